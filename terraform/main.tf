# The module is split by concern:
#   main.tf         names, ARNs and the environment of every container, fastscaler's env file (this file)
#   network.tf      security groups and their rules
#   endpoints.tf    the optional VPC endpoints of the AWS APIs the tasks call, and the tasks' egress to them
#   nlb.tf          the Network Load Balancer, its listeners and the router target group
#   ecs.tf          the cluster, the Service Connect namespace and the log groups
#   services.tf     task definitions and ECS services of router, api, api-canary and the autoscaler (fastscaler)
#   standby.tf      the optional hot standby: the leader lease's DynamoDB table and the daemon's lease settings
#   iam.tf          execution role and task roles (least privilege)
#   autoscaling.tf  the optional Application Auto Scaling safety net
#   monitoring.tf   alarms and the dashboard

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {
  count = var.account_id == null ? 1 : 0
}

data "aws_vpc" "this" {
  count = var.status_allow_cidrs == null ? 1 : 0
  id    = var.vpc_id
}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = var.account_id != null ? var.account_id : data.aws_caller_identity.current[0].account_id

  cluster_name = var.name
  # ARNs are built from names rather than read from the resources so that the IAM policies are known at plan time:
  # a reviewer sees exactly what fastscaler may touch, and the invariant test can check it.
  arn_prefix  = "arn:${local.partition}:ecs:${local.region}:${local.account_id}"
  cluster_arn = "${local.arn_prefix}:cluster/${local.cluster_name}"

  # ECS service names. They are the keys of FASTSCALER_CAPACITY/WEIGHTS/MIN_TASKS/MAX_TASKS, so they are fixed
  # here, in one place; the cluster (var.name) keeps deployments apart.
  service_names = {
    router     = "router"
    api        = "api"
    api_canary = "api-canary"
    fastscaler = "fastscaler"
  }

  # The services fastscaler scales, keyed by ECS service name, with their scaling bounds.
  scaled = {
    (local.service_names.router)     = var.scaled_services.router
    (local.service_names.api)        = var.scaled_services.api
    (local.service_names.api_canary) = var.scaled_services.api_canary
  }
  scaled_service_arns = [for name in sort(keys(local.scaled)) : "${local.arn_prefix}:service/${local.cluster_name}/${name}"]

  # The two API services share one shape; they differ in image, environment, size and Service Connect name.
  # Service Connect names follow the namespace convention api / canary-api; the router reaches them as api:PORT and
  # canary-api:PORT.
  api_services = {
    (local.service_names.api) = {
      image          = var.api_image
      environment    = var.api_environment
      size           = var.task_sizes.api
      discovery_name = "api"
    }
    (local.service_names.api_canary) = {
      image          = coalesce(var.api_canary_image, var.api_image)
      environment    = merge(var.api_environment, var.api_canary_environment)
      size           = var.task_sizes.api_canary
      discovery_name = "canary-api"
    }
  }

  status_allow_cidrs = var.status_allow_cidrs != null ? var.status_allow_cidrs : distinct(concat(
    [data.aws_vpc.this[0].cidr_block],
    [for a in data.aws_vpc.this[0].cidr_block_associations : a.cidr_block],
  ))

  # ------------------------------------------------------------------------------------------------------------------
  # Router environment (docker/router/render.sh reads it). The variable NAMES live here, in one map, so
  # that aligning them with the image is a one-line change each. Upstreams are host:port (Service Connect names), as
  # the image expects; the status port and path are the ones fastscaler polls, from the same variables.
  # ------------------------------------------------------------------------------------------------------------------
  router_env_names = {
    canary_weight        = "CANARY_WEIGHT"
    stable_upstream      = "STABLE_UPSTREAM"
    canary_upstream      = "CANARY_UPSTREAM"
    status_port          = "STATUS_PORT"
    status_path          = "STATUS_PATH"
    status_allow_cidrs   = "STATUS_ALLOW_CIDRS"
    cors_allowed_origins = "CORS_ALLOWED_ORIGINS"
    listen_port          = "LISTEN_PORT"
  }
  router_environment = merge({
    (local.router_env_names.canary_weight)        = tostring(var.canary_weight)
    (local.router_env_names.stable_upstream)      = "${local.api_services[local.service_names.api].discovery_name}:${var.api_port}"
    (local.router_env_names.canary_upstream)      = "${local.api_services[local.service_names.api_canary].discovery_name}:${var.api_port}"
    (local.router_env_names.status_port)          = tostring(var.fastscaler_status_port)
    (local.router_env_names.status_path)          = var.fastscaler_status_path
    (local.router_env_names.status_allow_cidrs)   = join(",", local.status_allow_cidrs)
    (local.router_env_names.cors_allowed_origins) = join(",", var.cors_allowed_origins)
    (local.router_env_names.listen_port)          = tostring(var.router_port)
  }, var.router_extra_environment)

  # ------------------------------------------------------------------------------------------------------------------
  # fastscaler environment: the FASTSCALER_* variables the module has a say in (the README's "fastscaler environment"
  # says where each of the daemon's knobs comes from), built from the resources or from module variables with the
  # daemon's defaults; the rest, through fastscaler_extra_environment. Maps are written service:value,service:value in a
  # stable (sorted) order.
  # ------------------------------------------------------------------------------------------------------------------
  fastscaler_environment = merge(
    {
      FASTSCALER_CLUSTER           = local.cluster_name
      FASTSCALER_ROUTER_SERVICE    = local.service_names.router
      FASTSCALER_CAPACITY          = join(",", [for name in sort(keys(local.scaled)) : "${name}:${tostring(local.scaled[name].capacity_rps)}"])
      FASTSCALER_WEIGHTS           = "${local.service_names.api}:${100 - var.canary_weight},${local.service_names.api_canary}:${var.canary_weight}"
      FASTSCALER_MIN_TASKS         = join(",", [for name in sort(keys(local.scaled)) : "${name}:${local.scaled[name].min_tasks}"])
      FASTSCALER_MAX_TASKS         = join(",", [for name in sort(keys(local.scaled)) : "${name}:${local.scaled[name].max_tasks}"])
      FASTSCALER_STATUS_PORT       = tostring(var.fastscaler_status_port)
      FASTSCALER_STATUS_PATH       = var.fastscaler_status_path
      FASTSCALER_POLL_INTERVAL     = var.fastscaler_poll_interval
      FASTSCALER_SURGE_RATIO       = tostring(var.fastscaler_surge_ratio)
      FASTSCALER_LEAD_TIME         = var.fastscaler_lead_time
      FASTSCALER_SCALE_IN_COOLDOWN = var.fastscaler_scale_in_cooldown
      FASTSCALER_DRY_RUN           = tostring(var.fastscaler_dry_run)
      FASTSCALER_LISTEN            = var.fastscaler_listen
      FASTSCALER_LOG_LEVEL         = var.fastscaler_log_level
      FASTSCALER_METRICS_NAMESPACE = var.fastscaler_metrics_namespace
      FASTSCALER_AAS_MODE          = var.cpu_target_tracking.enabled ? "auto" : "off"
      AWS_REGION                   = local.region
    },
    # Null: unset, so that the daemon's default (1s, or half the poll interval if that is shorter) follows the interval.
    var.fastscaler_poll_timeout == null ? {} : { FASTSCALER_POLL_TIMEOUT = var.fastscaler_poll_timeout },
    local.lease_environment,
    var.fastscaler_extra_environment,
  )

  publish_metrics = var.fastscaler_metrics_namespace != ""

  log_group_names = {
    router     = "/ecs/${var.name}/router"
    api        = "/ecs/${var.name}/api"
    fastscaler = "/ecs/${var.name}/fastscaler"
  }

  # ECR repositories the execution role may pull from, derived from the images: only ECR images need IAM
  # permissions, and only on their own repositories. Images from other registries need none.
  ecr_image_pattern = "^(?P<account>[0-9]{12})\\.dkr\\.ecr(?:-fips)?\\.(?P<region>[a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/(?P<repository>[^:@]+)"
  ecr_repository_arns = sort(distinct([
    for image in compact([var.router_image, var.api_image, var.api_canary_image, var.fastscaler_image]) :
    "arn:${local.partition}:ecr:${regex(local.ecr_image_pattern, image).region}:${regex(local.ecr_image_pattern, image).account}:repository/${regex(local.ecr_image_pattern, image).repository}"
    if can(regex(local.ecr_image_pattern, image))
  ]))

  tags = var.tags
}

# fastscaler's settings as an env file for the CLI (`fastscaler --env-file FILE`, the fastscaler_env_file output): the
# FASTSCALER_* variables and AWS_REGION; the CLI refuses other AWS_* variables in a file (the AWS SDK reads them from
# the environment only).
module "fastscaler_env_file" {
  source = "./modules/env_file"

  environment = { for k, v in local.fastscaler_environment : k => v if startswith(k, "FASTSCALER_") || k == "AWS_REGION" }
  comment     = "fastscaler settings of cluster ${local.cluster_name}, from Terraform (terraform output -raw fastscaler_env_file)"
}
