# IAM: one execution role (image pulls, logs) shared by the four task definitions, and per-workload task roles.
# All policies are inline and written out action by action: no wildcard actions, no AWS managed policies.

locals {
  # Task roles: only ECS tasks of this account may assume them (confused-deputy guard recommended by ECS).
  task_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EcsTasksOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        ArnLike      = { "aws:SourceArn" = "${local.arn_prefix}:*" }
        StringEquals = { "aws:SourceAccount" = local.account_id }
      }
    }]
  })

  execution_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EcsTasks"
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  execution_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      # Only images in ECR need these; filtered out when no image is in ECR.
      [for statement in [
        {
          # GetAuthorizationToken has no resource-level permissions.
          Sid      = "EcrLogin"
          Effect   = "Allow"
          Action   = ["ecr:GetAuthorizationToken"]
          Resource = "*"
        },
        {
          Sid      = "PullTheImages"
          Effect   = "Allow"
          Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
          Resource = local.ecr_repository_arns
        },
      ] : statement if length(local.ecr_repository_arns) > 0],
      [{
        Sid      = "WriteTheLogGroups"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for name in values(local.log_group_names) : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}:log-stream:*"]
      }],
    )
  })

  # What fastscaler does in AWS, and nothing else (see ../shared/interface.md, "ECS calls"):
  #   - UpdateService, DescribeServices (with TAGS), TagResource/UntagResource/ListTagsForResource for its durable
  #     state: on the scaled services' ARNs only (the daemon's own service is not among them);
  #   - ListTasks + DescribeTasks to find the router tasks, both confined to this cluster by the ecs:cluster
  #     condition. DescribeTasks is granted on this cluster's task ARNs. ListTasks is granted on "*": the Service
  #     Authorization Reference lists container-instance ARNs for it, but a Fargate ListTasks names no container
  #     instance, and users report it denied on container-instance ARNs (awsdocs/amazon-ecs-developer-guide#211;
  #     AWS CDK grants it the same way). The condition is what keeps it to this cluster;
  #   - PutMetricData, which has no resource-level permissions: confined to its namespace by cloudwatch:namespace;
  #   - GetMetricData, to read back its own RequestRate at start (the warm start of its surge baseline): it has no
  #     resource-level permissions nor a namespace condition key, and reads metric values only;
  #   - with the AAS safety net only (AAS mode): DescribeScalableTargets, which has no resource-level permissions,
  #     and RegisterScalableTarget on the module's scalable targets only (by their tag), to move their MinCapacity;
  #   - with the hot standby only (fastscaler_standby): GetItem, PutItem and UpdateItem on the lease table's ARN
  #     (built from its name, so known at plan time), for the leader lease.
  fastscaler_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "ScaleTheScaledServices"
        Effect   = "Allow"
        Action   = ["ecs:DescribeServices", "ecs:ListTagsForResource", "ecs:TagResource", "ecs:UntagResource", "ecs:UpdateService"]
        Resource = local.scaled_service_arns
      },
      {
        Sid       = "ListTasksOfThisCluster"
        Effect    = "Allow"
        Action    = ["ecs:ListTasks"]
        Resource  = "*"
        Condition = { ArnEquals = { "ecs:cluster" = local.cluster_arn } }
      },
      {
        Sid       = "DescribeTasksOfThisCluster"
        Effect    = "Allow"
        Action    = ["ecs:DescribeTasks"]
        Resource  = "${local.arn_prefix}:task/${local.cluster_name}/*"
        Condition = { ArnEquals = { "ecs:cluster" = local.cluster_arn } }
      },
      ], [for statement in [{
        # The leader lease (standby.tf): read, take and renew/release the lease item, on the lease table only.
        Sid      = "HoldTheLeaderLease"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = local.lease_table_arn
      }] : statement if var.fastscaler_standby],
      [for statement in [{
        Sid       = "PublishMetricsToItsNamespace"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = "*"
        Condition = { StringEquals = { "cloudwatch:namespace" = var.fastscaler_metrics_namespace } }
        }, {
        Sid      = "ReadBackItsRequestRate"
        Effect   = "Allow"
        Action   = ["cloudwatch:GetMetricData"]
        Resource = "*"
      }] : statement if local.publish_metrics],
      [for statement in [{
        Sid      = "FindScalableTargets"
        Effect   = "Allow"
        Action   = ["application-autoscaling:DescribeScalableTargets"]
        Resource = "*"
        }, {
        # A scalable target's ARN ends in an ID known only after apply; the tag below, set on this module's targets
        # alone, names them at plan time (ABAC), so the policy can be reviewed in the plan.
        Sid       = "MoveMinCapacityOfTheSafetyNet"
        Effect    = "Allow"
        Action    = ["application-autoscaling:RegisterScalableTarget"]
        Resource  = "arn:${local.partition}:application-autoscaling:${local.region}:${local.account_id}:scalable-target/*"
        Condition = { StringEquals = { "aws:ResourceTag/${local.scalable_target_tag}" = var.name } }
    }] : statement if var.cpu_target_tracking.enabled])
  })

  # ECS Exec: the SSM agent in the task opens its channels with the task role. These actions have no resource-level
  # permissions.
  exec_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "EcsExec"
      Effect   = "Allow"
      Action   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
      Resource = "*"
    }]
  })
}

# --- execution role ----------------------------------------------------------------------------------------------------

resource "aws_iam_role" "execution" {
  name                 = "${var.name}-ecs-execution"
  description          = "fastscaler ${var.name}: ECS pulls the images and writes the logs of all four services"
  assume_role_policy   = local.execution_trust_policy
  permissions_boundary = var.iam_permissions_boundary_arn
  tags                 = local.tags
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-images-write-logs"
  role   = aws_iam_role.execution.id
  policy = local.execution_policy
}

# --- fastscaler --------------------------------------------------------------------------------------------------------

resource "aws_iam_role" "fastscaler" {
  name                 = "${var.name}-fastscaler-task"
  description          = "fastscaler ${var.name}: the autoscaler daemon (scales router, api, api-canary)"
  assume_role_policy   = local.task_trust_policy
  permissions_boundary = var.iam_permissions_boundary_arn
  tags                 = local.tags
}

resource "aws_iam_role_policy" "fastscaler" {
  name   = "fastscaler"
  role   = aws_iam_role.fastscaler.id
  policy = local.fastscaler_policy
}

resource "aws_iam_role_policy" "fastscaler_exec" {
  count = var.enable_execute_command ? 1 : 0

  name   = "ecs-exec"
  role   = aws_iam_role.fastscaler.id
  policy = local.exec_policy
}

# --- router (only ECS Exec needs a role: nginx calls no AWS API) --------------------------------------------------------

resource "aws_iam_role" "router" {
  count = var.enable_execute_command ? 1 : 0

  name                 = "${var.name}-router-task"
  description          = "fastscaler ${var.name}: Nginx router tasks (ECS Exec only)"
  assume_role_policy   = local.task_trust_policy
  permissions_boundary = var.iam_permissions_boundary_arn
  tags                 = local.tags
}

resource "aws_iam_role_policy" "router_exec" {
  count = var.enable_execute_command ? 1 : 0

  name   = "ecs-exec"
  role   = aws_iam_role.router[0].id
  policy = local.exec_policy
}

# --- api (created unless api_task_role_arn is given; attach your API's own permissions to it) ---------------------------

resource "aws_iam_role" "api" {
  count = var.api_task_role_arn == null ? 1 : 0

  name                 = "${var.name}-api-task"
  description          = "fastscaler ${var.name}: API tasks (stable and canary); attach the API's own permissions here"
  assume_role_policy   = local.task_trust_policy
  permissions_boundary = var.iam_permissions_boundary_arn
  tags                 = local.tags
}

resource "aws_iam_role_policy" "api_exec" {
  count = var.api_task_role_arn == null && var.enable_execute_command ? 1 : 0

  name   = "ecs-exec"
  role   = aws_iam_role.api[0].id
  policy = local.exec_policy
}
