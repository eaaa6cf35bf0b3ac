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

  # The policies below list every statement they may hold; `when` says whether this deployment needs it, and is left
  # out of the document.
  execution_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [for s in [
      {
        # Only images in ECR need the first two. GetAuthorizationToken has no resource-level permissions.
        when     = length(local.ecr_repository_arns) > 0
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        when     = length(local.ecr_repository_arns) > 0
        Sid      = "PullTheImages"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = local.ecr_repository_arns
      },
      {
        when     = true
        Sid      = "WriteTheLogGroups"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for name in values(local.log_group_names) : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}:log-stream:*"]
      },
    ] : { for k, v in s : k => v if k != "when" } if s.when]
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
    Statement = [for s in [
      {
        when     = true
        Sid      = "ScaleTheScaledServices"
        Effect   = "Allow"
        Action   = ["ecs:DescribeServices", "ecs:ListTagsForResource", "ecs:TagResource", "ecs:UntagResource", "ecs:UpdateService"]
        Resource = local.scaled_service_arns
      },
      {
        when      = true
        Sid       = "ListTasksOfThisCluster"
        Effect    = "Allow"
        Action    = ["ecs:ListTasks"]
        Resource  = "*"
        Condition = { ArnEquals = { "ecs:cluster" = local.cluster_arn } }
      },
      {
        when      = true
        Sid       = "DescribeTasksOfThisCluster"
        Effect    = "Allow"
        Action    = ["ecs:DescribeTasks"]
        Resource  = "${local.arn_prefix}:task/${local.cluster_name}/*"
        Condition = { ArnEquals = { "ecs:cluster" = local.cluster_arn } }
      },
      {
        # The leader lease (standby.tf): read, take and renew/release the lease item, on the lease table only.
        when     = var.fastscaler_standby
        Sid      = "HoldTheLeaderLease"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = local.lease_table_arn
      },
      {
        when      = local.publish_metrics
        Sid       = "PublishMetricsToItsNamespace"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = "*"
        Condition = { StringEquals = { "cloudwatch:namespace" = var.fastscaler_metrics_namespace } }
      },
      {
        when     = local.publish_metrics
        Sid      = "ReadBackItsRequestRate"
        Effect   = "Allow"
        Action   = ["cloudwatch:GetMetricData"]
        Resource = "*"
      },
      {
        when     = var.cpu_target_tracking.enabled
        Sid      = "FindScalableTargets"
        Effect   = "Allow"
        Action   = ["application-autoscaling:DescribeScalableTargets"]
        Resource = "*"
      },
      {
        # A scalable target's ARN ends in an ID known only after apply; the tag below, set on this module's targets
        # alone, names them at plan time (ABAC), so the policy can be reviewed in the plan.
        when      = var.cpu_target_tracking.enabled
        Sid       = "MoveMinCapacityOfTheSafetyNet"
        Effect    = "Allow"
        Action    = ["application-autoscaling:RegisterScalableTarget"]
        Resource  = "arn:${local.partition}:application-autoscaling:${local.region}:${local.account_id}:scalable-target/*"
        Condition = { StringEquals = { "aws:ResourceTag/${local.scalable_target_tag}" = var.name } }
      },
    ] : { for k, v in s : k => v if k != "when" } if s.when]
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

# --- roles and their inline policies -------------------------------------------------------------------------------------

locals {
  # The roles, by key: the execution role shared by the four task definitions, fastscaler's task role, the router's
  # (only ECS Exec needs it: nginx calls no AWS API), and the API's (unless api_task_role_arn is given; attach your
  # API's own permissions to it).
  iam_roles = merge(
    {
      execution  = { name = "ecs-execution", trust = local.execution_trust_policy, description = "ECS pulls the images and writes the logs of all four services" }
      fastscaler = { name = "fastscaler-task", trust = local.task_trust_policy, description = "the autoscaler daemon (scales router, api, api-canary)" }
    },
    var.enable_execute_command ? { router = { name = "router-task", trust = local.task_trust_policy, description = "Nginx router tasks (ECS Exec only)" } } : {},
    var.api_task_role_arn == null ? { api = { name = "api-task", trust = local.task_trust_policy, description = "API tasks (stable and canary); attach the API's own permissions here" } } : {},
  )

  # The inline policies, by key: role (a key of iam_roles), the policy's name and document. With ECS Exec, every task
  # role the module creates gets the exec policy.
  iam_role_policies = merge(
    {
      execution  = { role = "execution", name = "pull-images-write-logs", policy = local.execution_policy }
      fastscaler = { role = "fastscaler", name = "fastscaler", policy = local.fastscaler_policy }
    },
    {
      for role in ["fastscaler", "router", "api"] : "${role}-exec" => { role = role, name = "ecs-exec", policy = local.exec_policy }
      if var.enable_execute_command && contains(keys(local.iam_roles), role)
    },
  )
}

resource "aws_iam_role" "this" {
  for_each = local.iam_roles

  name                 = "${var.name}-${each.value.name}"
  description          = "fastscaler ${var.name}: ${each.value.description}"
  assume_role_policy   = each.value.trust
  permissions_boundary = var.iam_permissions_boundary_arn
  tags                 = local.tags
}

resource "aws_iam_role_policy" "this" {
  for_each = local.iam_role_policies

  name   = each.value.name
  role   = aws_iam_role.this[each.value.role].id
  policy = each.value.policy
}
