# Security groups. Every path is one rule, from one group to another, on one port:
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

resource "aws_security_group" "nlb" {
  # A prefix, not a fixed name, so that create_before_destroy can replace the group without a name clash.
  name_prefix = "${var.name}-nlb-"
  description = "fastscaler ${var.name}: Network Load Balancer in front of the routers"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-nlb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "router" {
  name_prefix = "${var.name}-router-"
  description = "fastscaler ${var.name}: Nginx router tasks"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-router" })

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = local.create_interface_endpoints || length(local.https_egress_cidrs) > 0
      error_message = "The tasks need a way to the AWS APIs (ECR, CloudWatch Logs, ECS): enable vpc_endpoints, or set https_egress_cidrs (to the VPC CIDR when the VPC has its own interface endpoints and vpc_endpoints.create_interface_endpoints is false)."
    }
  }
}

resource "aws_security_group" "api" {
  name_prefix = "${var.name}-api-"
  description = "fastscaler ${var.name}: API tasks (stable and canary)"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-api" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "fastscaler" {
  name_prefix = "${var.name}-fastscaler-"
  description = "fastscaler ${var.name}: the autoscaler daemon"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-fastscaler" })

  lifecycle {
    create_before_destroy = true
  }
}

locals {
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
}

# --- NLB ---------------------------------------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "nlb_from_clients" {
  for_each = local.nlb_ingress

  security_group_id = aws_security_group.nlb.id
  description       = "Clients to listener ${each.value.port}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
  tags              = local.tags
}

resource "aws_vpc_security_group_egress_rule" "nlb_to_router" {
  security_group_id            = aws_security_group.nlb.id
  description                  = "Traffic and health checks to the routers"
  ip_protocol                  = "tcp"
  from_port                    = var.router_port
  to_port                      = var.router_port
  referenced_security_group_id = aws_security_group.router.id
  tags                         = local.tags
}

# --- router ------------------------------------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "router_from_nlb" {
  security_group_id            = aws_security_group.router.id
  description                  = "Traffic and health checks from the NLB (works with client IP preservation too)"
  ip_protocol                  = "tcp"
  from_port                    = var.router_port
  to_port                      = var.router_port
  referenced_security_group_id = aws_security_group.nlb.id
  tags                         = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "router_status_from_fastscaler" {
  security_group_id            = aws_security_group.router.id
  description                  = "stub_status, polled by fastscaler only"
  ip_protocol                  = "tcp"
  from_port                    = var.fastscaler_status_port
  to_port                      = var.fastscaler_status_port
  referenced_security_group_id = aws_security_group.fastscaler.id
  tags                         = local.tags
}

resource "aws_vpc_security_group_egress_rule" "router_to_api" {
  security_group_id            = aws_security_group.router.id
  description                  = "Service Connect to the API proxies (they listen on the container port)"
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
  referenced_security_group_id = aws_security_group.api.id
  tags                         = local.tags
}

resource "aws_vpc_security_group_egress_rule" "router_https" {
  for_each = toset(local.https_egress_cidrs)

  security_group_id = aws_security_group.router.id
  description       = "AWS APIs: ECR, CloudWatch Logs, ECS (Service Connect agent)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
  tags              = local.tags
}

# --- api, api-canary ---------------------------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "api_from_router" {
  security_group_id            = aws_security_group.api.id
  description                  = "Service Connect from the routers"
  ip_protocol                  = "tcp"
  from_port                    = var.api_port
  to_port                      = var.api_port
  referenced_security_group_id = aws_security_group.router.id
  tags                         = local.tags
}

resource "aws_vpc_security_group_egress_rule" "api_https" {
  for_each = toset(local.https_egress_cidrs)

  security_group_id = aws_security_group.api.id
  description       = "AWS APIs: ECR, CloudWatch Logs, ECS (Service Connect agent)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
  tags              = local.tags
}

# --- fastscaler --------------------------------------------------------------------------------------------------------

resource "aws_vpc_security_group_egress_rule" "fastscaler_to_router_status" {
  security_group_id            = aws_security_group.fastscaler.id
  description                  = "Poll stub_status on every router task"
  ip_protocol                  = "tcp"
  from_port                    = var.fastscaler_status_port
  to_port                      = var.fastscaler_status_port
  referenced_security_group_id = aws_security_group.router.id
  tags                         = local.tags
}

resource "aws_vpc_security_group_egress_rule" "fastscaler_https" {
  for_each = toset(local.https_egress_cidrs)

  security_group_id = aws_security_group.fastscaler.id
  description       = "AWS APIs: ECS, CloudWatch, ECR, CloudWatch Logs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
  tags              = local.tags
}
