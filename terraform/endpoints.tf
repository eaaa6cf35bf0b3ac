# VPC endpoints (optional, var.vpc_endpoints): the AWS APIs the tasks call, served inside the VPC, so that the tasks'
# HTTPS egress can be narrowed from 0.0.0.0/0 (through a NAT gateway) to the endpoints' security group and the gateway
# endpoints' prefix lists.
#
#   router, api, fastscaler --(443)--> endpoints' security group      (interface endpoints, private DNS)
#   router, api, fastscaler --(443)--> S3 prefix list                 (gateway endpoint: ECR image layers)
#   fastscaler              --(443)--> DynamoDB prefix list           (gateway endpoint: the leader lease, standby only)
#
# What calls what:
#   ecr.api, ecr.dkr, s3     image pulls (Fargate platform 1.4 pulls through the task's own network interface)
#   logs                     the awslogs driver of every container (and the Service Connect proxies' logs)
#   ecs                      fastscaler: DescribeServices, UpdateService, ListTasks, DescribeTasks, tags
#   monitoring               fastscaler: PutMetricData (only when fastscaler_metrics_namespace is set)
#   application-autoscaling  fastscaler in AAS mode (only with cpu_target_tracking)
#   ssmmessages              ECS Exec (only with enable_execute_command)
#   dynamodb                 fastscaler's leader lease (only with fastscaler_standby), a gateway endpoint
# The ECS guide says Fargate tasks need no ECS endpoint of their own (ecs, ecs-agent, ecs-telemetry serve the agent
# on EC2 instances); ecs is here for fastscaler's API calls. Add ecs-agent and ecs-telemetry with
# additional_interface_services where AWS asks for all three (Regions launched since December 2023).

locals {
  vpc_endpoints_enabled = var.vpc_endpoints.enabled
  # false: the VPC already has interface endpoints (with private DNS) for these services; the tasks reach them
  # through https_egress_cidrs (e.g. the VPC CIDR) and the module creates none.
  create_interface_endpoints = local.vpc_endpoints_enabled && var.vpc_endpoints.create_interface_endpoints

  # The security groups of the module's tasks, by workload. Keys are static so that for_each works at plan time.
  task_security_groups = { for group in ["router", "api", "fastscaler"] : group => aws_security_group.this[group].id }

  # With interface endpoints: every task group reaches the endpoints' group on 443 (network.tf makes the two rules of
  # each path), and private DNS points the whole VPC at these endpoints, so other workloads of the VPC that call the
  # same services need to be admitted too (vpc_endpoints.client_cidrs, or rules of your own on the vpc_endpoints
  # output's group).
  vpc_endpoint_paths = local.create_interface_endpoints ? {
    for group in keys(local.task_security_groups) : "${group}-to-vpce" => {
      from    = group, to = "vpce", port = 443
      egress  = "AWS APIs through the interface VPC endpoints"
      ingress = "HTTPS from the ${group} tasks"
    }
  } : {}
  vpc_endpoint_cidr_rules = local.create_interface_endpoints ? {
    vpce-from-clients = {
      direction = "ingress"
      rules     = { for cidr in var.vpc_endpoints.client_cidrs : cidr => { group = "vpce", cidr = cidr, port = 443, description = "HTTPS from other clients of the VPC endpoints" } }
    }
  } : {}

  vpc_endpoint_service_prefix = "com.amazonaws.${local.region}"

  vpc_interface_services = local.create_interface_endpoints ? toset(concat(
    ["ecr.api", "ecr.dkr", "logs", "ecs"],
    local.publish_metrics ? ["monitoring"] : [],
    var.cpu_target_tracking.enabled ? ["application-autoscaling"] : [],
    var.enable_execute_command ? ["ssmmessages"] : [],
    var.vpc_endpoints.additional_interface_services,
  )) : toset([])

  # Gateway endpoints: free, a route in each of the tasks' route tables, and an AWS-managed prefix list the egress rules
  # of the tasks that call the service name. By service: the task security groups (keys of task_security_groups) that
  # call it. The endpoints, the lookups and the egress rules below all follow this map.
  vpc_gateway_clients = merge(
    { s3 = keys(local.task_security_groups) }, # ECR image layers: every task
    var.fastscaler_standby ? { dynamodb = ["fastscaler"] } : {},
  )
  vpc_gateway_services = local.vpc_endpoints_enabled ? toset(keys(local.vpc_gateway_clients)) : toset([])

  # With no route tables given, the VPC already routes these services through its own gateway endpoints: the module
  # then creates none and only opens the tasks' egress to the services' prefix lists.
  create_gateway_endpoints = length(var.vpc_endpoints.route_table_ids) > 0

  vpc_gateway_prefix_list_ids = {
    for svc in local.vpc_gateway_services : svc => (
      local.create_gateway_endpoints ? aws_vpc_endpoint.gateway[svc].prefix_list_id : data.aws_prefix_list.gateway[svc].id
    )
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.vpc_interface_services

  vpc_id              = var.vpc_id
  service_name        = "${local.vpc_endpoint_service_prefix}.${each.value}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.vpc_endpoints.subnet_ids != null ? var.vpc_endpoints.subnet_ids : var.private_subnet_ids
  security_group_ids  = [aws_security_group.this["vpce"].id]
  private_dns_enabled = true
  tags                = merge(local.tags, { Name = "${var.name}-${each.value}" })
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = local.create_gateway_endpoints ? local.vpc_gateway_services : toset([])

  vpc_id            = var.vpc_id
  service_name      = "${local.vpc_endpoint_service_prefix}.${each.value}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.vpc_endpoints.route_table_ids
  tags              = merge(local.tags, { Name = "${var.name}-${each.value}" })
}

data "aws_prefix_list" "gateway" {
  for_each = local.create_gateway_endpoints ? toset([]) : local.vpc_gateway_services

  name = "${local.vpc_endpoint_service_prefix}.${each.value}"
}

# --- the tasks' egress to the gateway endpoints (the interface endpoints' paths are in network.tf) --------------------

# Only the tasks that call a gateway service reach its prefix list: every task S3, fastscaler alone DynamoDB.
resource "aws_vpc_security_group_egress_rule" "tasks_to_gateway_endpoints" {
  for_each = merge([
    for svc in sort(local.vpc_gateway_services) : {
      for group in sort(local.vpc_gateway_clients[svc]) : "${group}-${svc}" => { group = group, service = svc }
    }
  ]...)

  security_group_id = local.task_security_groups[each.value.group]
  description       = "${each.value.service} through its gateway VPC endpoint (prefix list)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = local.vpc_gateway_prefix_list_ids[each.value.service]
  tags              = local.tags
}
