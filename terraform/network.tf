# Security groups. Every path is one entry of local.security_group_paths, from one group to another, on one port, and
# becomes two rules: the egress rule of the group it leaves and the ingress rule of the group it reaches.
#
#   clients --(listener ports)--> NLB --(router_port)--> router --(api_port, Service Connect)--> api, api-canary
#   fastscaler --(fastscaler_status_port)--> router          (stub_status: nothing else may reach it)
#   router, api, fastscaler --(443)--> AWS APIs             (ECR, CloudWatch Logs, ECS, CloudWatch)
#
# The AWS APIs are reached either through https_egress_cidrs (by default 0.0.0.0/0, through a NAT gateway) or, with
# vpc_endpoints enabled, through the VPC endpoints only (endpoints.tf): https_egress_cidrs is then empty by default.
#
# Nothing opens the status port or the daemon's listen port to a CIDR. The Amazon-provided DNS resolver is not
# filtered by security groups, so no DNS rule is needed.

locals {
  # The module's security groups, by key: the NLB's, the three task groups' and, with interface VPC endpoints, the
  # endpoints' (endpoints.tf). Each is named NAME-KEY (a prefix, not a fixed name, so that create_before_destroy can
  # replace a group without a name clash).
  security_groups = merge({
    nlb        = "Network Load Balancer in front of the routers"
    router     = "Nginx router tasks"
    api        = "API tasks (stable and canary)"
    fastscaler = "the autoscaler daemon"
  }, local.create_interface_endpoints ? { vpce = "interface VPC endpoints of the AWS APIs the tasks call" } : {})

  nlb_listener_ports = compact([
    var.nlb_tcp_listener_port == null ? "" : tostring(var.nlb_tcp_listener_port),
    var.nlb_tls_certificate_arn == null ? "" : tostring(var.nlb_tls_listener_port),
  ])
  # Null: 0.0.0.0/0 without VPC endpoints (the AWS APIs' addresses are not fixed), nothing with them.
  https_egress_cidrs = var.https_egress_cidrs != null ? var.https_egress_cidrs : (var.vpc_endpoints.enabled ? [] : ["0.0.0.0/0"])

  nlb_ingress = {
    for pair in setproduct(local.nlb_listener_ports, var.nlb_ingress_cidrs) :
    "${pair[0]}-${pair[1]}" => { port = tonumber(pair[0]), cidr = pair[1] }
  }

  # Paths between two of the module's groups, by name: from, to (keys of local.security_groups), the TCP port, and the
  # description of each side's rule. The paths to the interface VPC endpoints come from endpoints.tf.
  security_group_paths = merge({
    nlb-to-router = {
      from    = "nlb", to = "router", port = var.router_port
      egress  = "Traffic and health checks to the routers"
      ingress = "Traffic and health checks from the NLB (works with client IP preservation too)"
    }
    fastscaler-to-router-status = {
      from    = "fastscaler", to = "router", port = var.fastscaler_status_port
      egress  = "Poll stub_status on every router task"
      ingress = "stub_status, polled by fastscaler only"
    }
    router-to-api = {
      from    = "router", to = "api", port = var.api_port
      egress  = "Service Connect to the API proxies (they listen on the container port)"
      ingress = "Service Connect from the routers"
    }
  }, local.vpc_endpoint_paths)

  # The descriptions of the task groups' HTTPS egress to https_egress_cidrs.
  https_egress_descriptions = {
    router     = "AWS APIs: ECR, CloudWatch Logs, ECS (Service Connect agent)"
    api        = "AWS APIs: ECR, CloudWatch Logs, ECS (Service Connect agent)"
    fastscaler = "AWS APIs: ECS, CloudWatch, ECR, CloudWatch Logs"
  }
}

resource "aws_security_group" "this" {
  for_each = local.security_groups

  name_prefix = "${var.name}-${each.key}-"
  description = "fastscaler ${var.name}: ${each.value}"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-${each.key}" })

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = each.key != "router" || local.create_interface_endpoints || length(local.https_egress_cidrs) > 0
      error_message = "The tasks need a way to the AWS APIs (ECR, CloudWatch Logs, ECS): enable vpc_endpoints, or set https_egress_cidrs (to the VPC CIDR when the VPC has its own interface endpoints and vpc_endpoints.create_interface_endpoints is false)."
    }
  }
}

# --- the rules -----------------------------------------------------------------------------------------------------------
# Every rule between the module's groups, or to and from CIDRs, is made by modules/security_group_rules (the egress
# rules to the gateway endpoints' prefix lists are in endpoints.tf), in families of one direction: the paths' egress rules and their
# ingress rules (keyed by path), and the rules to and from CIDRs, keyed by the CIDRs, which are inputs. Each family is a
# resource of its own, so that its keys, and the rules of an existing state, stay as they are when it moves (moved.tf).

module "security_group_rules" {
  source = "./modules/security_group_rules"
  for_each = merge(
    {
      paths-egress = {
        direction = "egress"
        rules     = { for k, p in local.security_group_paths : k => { group = p.from, peer_group = p.to, port = p.port, description = p.egress } }
      }
      paths-ingress = {
        direction = "ingress"
        rules     = { for k, p in local.security_group_paths : k => { group = p.to, peer_group = p.from, port = p.port, description = p.ingress } }
      }
      nlb-from-clients = {
        direction = "ingress"
        rules     = { for k, r in local.nlb_ingress : k => { group = "nlb", cidr = r.cidr, port = r.port, description = "Clients to listener ${r.port}" } }
      }
    },
    { for group, description in local.https_egress_descriptions : "${group}-https" => {
      direction = "egress"
      rules     = { for cidr in local.https_egress_cidrs : cidr => { group = group, cidr = cidr, port = 443, description = description } }
    } },
    local.vpc_endpoint_cidr_rules,
  )

  direction          = each.value.direction
  security_group_ids = { for k, g in aws_security_group.this : k => g.id }
  rules              = each.value.rules
  tags               = local.tags
}
