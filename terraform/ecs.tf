resource "aws_service_discovery_http_namespace" "this" {
  name        = coalesce(var.service_connect_namespace, var.name)
  description = "Service Connect namespace of fastscaler deployment ${var.name}: router (client) to api and canary-api (servers)"
  tags        = local.tags
}

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  service_connect_defaults {
    namespace = aws_service_discovery_http_namespace.this.arn
  }

  tags = local.tags
}

# One log group per workload; the Service Connect proxies log into their service's group under their own prefix.
resource "aws_cloudwatch_log_group" "this" {
  for_each = local.log_group_names

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = local.tags
}
