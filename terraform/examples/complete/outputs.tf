output "nlb_dns_name" {
  description = "DNS name of the NLB."
  value       = module.fastscaler.nlb_dns_name
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.fastscaler.cluster_name
}

output "service_names" {
  description = "ECS service names by role."
  value       = module.fastscaler.service_names
}

output "fastscaler_environment" {
  description = "Environment of the fastscaler container."
  value       = module.fastscaler.fastscaler_environment
}

output "fastscaler_env_file" {
  description = "fastscaler's settings as an env file for the CLI: terraform output -raw fastscaler_env_file > fastscaler.env"
  value       = module.fastscaler.fastscaler_env_file
}

output "ecr_repository_urls" {
  description = "ECR repositories to push the router and fastscaler images to (docker/README.md)."
  value       = module.fastscaler.ecr_repository_urls
}

output "router_environment" {
  description = "Environment of the router container."
  value       = module.fastscaler.router_environment
}

output "fastscaler_task_policy" {
  description = "fastscaler's task role policy, for review."
  value       = module.fastscaler.fastscaler_task_policy
}

output "fastscaler_lease_table_name" {
  description = "DynamoDB table of fastscaler's leader lease."
  value       = module.fastscaler.fastscaler_lease_table_name
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = module.fastscaler.dashboard_name
}
