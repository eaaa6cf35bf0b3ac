# The autoscaler itself: the task that polls every router's stub_status and raises the desired counts of the
# services in FASTSCALER_CAPACITY. It is not scaled, so Terraform keeps its desired count fixed: 2 with the hot standby
# (fastscaler_standby, standby.tf: both decide, only the lease holder writes), 1 without.

resource "aws_ecs_task_definition" "fastscaler" {
  family                   = "${var.name}-fastscaler"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_sizes.fastscaler.cpu
  memory                   = var.task_sizes.fastscaler.memory
  execution_role_arn       = aws_iam_role.this["execution"].arn
  task_role_arn            = aws_iam_role.this["fastscaler"].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([{
    name      = "fastscaler"
    image     = var.fastscaler_image
    essential = true
    # The image's default command is `fastscaler run`.
    environment = [for k, v in local.fastscaler_environment : { name = k, value = v }]
    # The image is distroless (no shell, no curl): the binary checks its own /healthz on FASTSCALER_LISTEN.
    # /healthz turns 503 when poll cycles stop completing; after 3 x 10 s ECS replaces the task. The 30 s start
    # period covers the first router discovery and poll cycles.
    healthCheck = {
      command     = ["CMD", "/fastscaler", "healthcheck"]
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    # Nothing in the task writes to disk. ECS Exec needs a writable root filesystem for its agent, hence the exception.
    readonlyRootFilesystem = !var.enable_execute_command
    # On SIGTERM the daemon finishes its in-flight call and flushes metrics within a few seconds.
    stopTimeout = 15
    linuxParameters = {
      initProcessEnabled = var.enable_execute_command
    }
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.awslogs_options, { "awslogs-group" = aws_cloudwatch_log_group.this["fastscaler"].name, "awslogs-stream-prefix" = "fastscaler" })
    }
  }])

  tags = local.tags

  lifecycle {
    precondition {
      condition     = !var.fastscaler_standby || local.lease_renew_ms * 2 <= local.lease_duration_ms
      error_message = "fastscaler_lease_renew must be at most half fastscaler_lease_duration: the daemon refuses to start otherwise (a leader must renew at least twice per lease)."
    }
  }
}

resource "aws_ecs_service" "fastscaler" {
  name            = local.service_names.fastscaler
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.fastscaler.arn
  launch_type     = "FARGATE"
  # With the standby: two tasks. ECS spreads a Fargate service's tasks across the Availability Zones of its subnets
  # (private_subnet_ids), so with subnets in two or more AZs the leader and the standby run in different AZs, and an
  # AZ outage leaves a warm standby that takes the lease within FASTSCALER_LEASE_DURATION. (New services also get ECS
  # AZ rebalancing by default, which moves a task back once the AZ recovers.) Give private_subnet_ids at least two AZs.
  desired_count = var.fastscaler_standby ? 2 : 1

  # With the standby (a lease): a rolling deploy, 100 % minimum healthy / 200 % maximum. The new tasks start beside
  # the old ones and poll as standbys; ECS then stops the old ones, and the leader, on SIGTERM, releases the lease after
  # its last write, so a new task takes over within seconds. However many tasks run, only the lease holder writes.
  # Without the standby (no lease): never two daemons at once, not even during a deployment: two deciders would race
  # on UpdateService and on the state tags. The price is a gap of about a minute without automatic scaling while the
  # new task starts.
  deployment_minimum_healthy_percent = var.fastscaler_standby ? 100 : 0
  deployment_maximum_percent         = var.fastscaler_standby ? 200 : 100
  enable_execute_command             = var.enable_execute_command
  enable_ecs_managed_tags            = true
  propagate_tags                     = "TASK_DEFINITION"

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.this["fastscaler"].id]
    assign_public_ip = false
  }

  tags = local.tags

  # The task must not start before its permissions exist, or its first calls fail.
  depends_on = [aws_iam_role_policy.this]
}

# fastscaler's settings as an env file for the CLI (`fastscaler --env-file FILE`, the fastscaler_env_file output): the
# FASTSCALER_* variables and AWS_REGION; the CLI refuses other AWS_* variables in a file (the AWS SDK reads them from
# the environment only).
module "fastscaler_env_file" {
  source = "./modules/env_file"

  environment = { for k, v in local.fastscaler_environment : k => v if startswith(k, "FASTSCALER_") || k == "AWS_REGION" }
  comment     = "fastscaler settings of cluster ${local.cluster_name}, from Terraform (terraform output -raw fastscaler_env_file)"
}
