output "cluster_name" {
  description = "Name of the ECS cluster (FASTSCALER_CLUSTER)."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "nlb_arn" {
  description = "ARN of the Network Load Balancer."
  value       = aws_lb.this.arn
}

output "nlb_dns_name" {
  description = "DNS name of the NLB: point your domain's alias record here."
  value       = aws_lb.this.dns_name
}

output "nlb_zone_id" {
  description = "Route 53 hosted zone ID of the NLB, for an alias record."
  value       = aws_lb.this.zone_id
}

output "router_target_group_arn" {
  description = "ARN of the router target group."
  value       = aws_lb_target_group.router.arn
}

output "service_names" {
  description = "ECS service names by role: router, api, api_canary (the services fastscaler scales) and fastscaler."
  value       = local.service_names
}

output "service_arns" {
  description = "ECS service ARNs by service name."
  value = merge(
    { (aws_ecs_service.router.name) = aws_ecs_service.router.id, (aws_ecs_service.fastscaler.name) = aws_ecs_service.fastscaler.id },
    { for name, svc in aws_ecs_service.api : name => svc.id },
  )
}

output "scaled_service_arns" {
  description = "The ARNs fastscaler's task role may update and tag: exactly the scaled services."
  value       = local.scaled_service_arns
}

output "service_connect_namespace_arn" {
  description = "ARN of the Service Connect (Cloud Map HTTP) namespace."
  value       = aws_service_discovery_http_namespace.this.arn
}

output "security_group_ids" {
  description = "Security group IDs by workload: nlb, router, api, fastscaler. Add rules to the api group (or pass api_security_group_ids) for the API's own dependencies."
  value       = { for k in ["nlb", "router", "api", "fastscaler"] : k => aws_security_group.this[k].id }
}

output "vpc_endpoints" {
  description = "The VPC endpoints the module created (null when vpc_endpoints is off): security_group_id of the interface endpoints (add ingress rules for other clients of the VPC here; null when the module creates none), interface and gateway endpoint IDs by service, and the gateway prefix list IDs the tasks' egress names."
  value = local.vpc_endpoints_enabled ? {
    security_group_id = try(aws_security_group.this["vpce"].id, null)
    interface         = { for svc, e in aws_vpc_endpoint.interface : svc => e.id }
    gateway           = { for svc, e in aws_vpc_endpoint.gateway : svc => e.id }
    prefix_list_ids   = local.vpc_gateway_prefix_list_ids
  } : null
}

output "execution_role_arn" {
  description = "ARN of the task execution role shared by the four task definitions."
  value       = aws_iam_role.this["execution"].arn
}

output "fastscaler_task_role_arn" {
  description = "ARN of fastscaler's task role."
  value       = aws_iam_role.this["fastscaler"].arn
}

output "fastscaler_task_policy" {
  description = "The least-privilege policy of fastscaler's task role, as JSON, for review."
  value       = local.fastscaler_policy
}

output "api_task_role_name" {
  description = "Name of the API task role the module created (null when api_task_role_arn was given). Attach the API's own permissions to it."
  value       = try(aws_iam_role.this["api"].name, null)
}

output "fastscaler_lease_table_name" {
  description = "Name of the DynamoDB table of fastscaler's leader lease (FASTSCALER_LEASE_TABLE); null without fastscaler_standby."
  value       = one(aws_dynamodb_table.lease[*].name)
}

output "fastscaler_lease_table_arn" {
  description = "ARN of the DynamoDB table of fastscaler's leader lease, the only resource of the task role's dynamodb:GetItem/PutItem/UpdateItem; null without fastscaler_standby."
  value       = one(aws_dynamodb_table.lease[*].arn)
}

output "router_environment" {
  description = "Environment of the router container (CANARY_WEIGHT, upstreams, status port and allowed CIDRs, CORS, listen port)."
  value       = local.router_environment
}

output "fastscaler_environment" {
  description = "Environment of the fastscaler container: the FASTSCALER_* variables the module sets (FASTSCALER_LEASE_* with fastscaler_standby), AWS_REGION and fastscaler_extra_environment."
  value       = local.fastscaler_environment
}

output "fastscaler_env_file" {
  description = "The FASTSCALER_* variables of fastscaler_environment and AWS_REGION as an env file, one KEY=VALUE line each, for the CLI: `terraform output -raw fastscaler_env_file > fastscaler.env`, then `fastscaler --env-file fastscaler.env status` (a variable set in the shell wins over the file)."
  value       = module.fastscaler_env_file.text
}

output "ecr_repository_urls" {
  description = "URLs of the ECR repositories by image (router, fastscaler) to push to and to name in router_image and fastscaler_image; empty without ecr_repositories.enabled."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "log_group_names" {
  description = "CloudWatch log group names by workload: router, api, fastscaler."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms by name."
  value       = { for a in aws_cloudwatch_metric_alarm.this : a.alarm_name => a.arn }
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (null when create_dashboard is false)."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}
