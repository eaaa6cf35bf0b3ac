# The ECS services and their task definitions: router, api and api-canary, the services fastscaler scales, and
# fastscaler itself.
#
# Every scaled service ignores desired_count after creation: fastscaler (and an SRE's `fastscaler prescale`) owns the
# count, and an apply must never undo a scale-out in the middle of a surge. They also ignore tags, because fastscaler
# keeps its durable state (pre-scale floors, pause, last scale-out) in these services' tags; an apply that "corrected"
# the tags would silently end a pause or a floor. The invariant test (invariants_test.go) checks both.
#
# fastscaler's own service is not scaled, so Terraform keeps its desired count fixed: 2 with the hot standby
# (fastscaler_standby, standby.tf: both decide, only the lease holder writes), 1 without.

locals {
  # awslogs in non-blocking mode: when CloudWatch Logs is slow, drop log lines rather than stall the process writing
  # them (nginx's access log on the request path above all). The 25 MiB buffer absorbs a surge's worth of lines.
  awslogs_options = {
    "awslogs-region"  = local.region
    "mode"            = "non-blocking"
    "max-buffer-size" = "25m"
  }

  default_router_health_check = ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1:${var.router_port}${var.nlb_health_check.path} || exit 1"]
  default_api_health_check    = ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1:${var.api_port}/healthz || exit 1"]

  # The task definitions, by workload (family NAME-KEY): size, task role, the container's environment and health
  # check, and the container's own settings. Each has one essential container, which logs to the log group named like
  # it (router, api or fastscaler) under the stream prefix KEY, runs an init process with ECS Exec, and is checked
  # every 10 s: after 3 failed checks in a row ECS replaces the task.
  task_definitions = merge(
    {
      router = {
        size = var.task_sizes.router
        # Only ECS Exec needs a task role: nginx calls no AWS API.
        task_role   = var.enable_execute_command ? aws_iam_role.this["router"].arn : null
        environment = local.router_environment
        # The container check is deliberately slower than the NLB's (3 x 10 s against 2 x 5 s): the NLB stops sending
        # traffic to a failing router within ~10 s, while ECS replaces the task only if it stays broken for ~30 s, so a
        # short stall never costs a task in the middle of a surge. startPeriod covers nginx and the Service Connect proxy.
        health_check = { command = coalesce(var.router_health_check_command, local.default_router_health_check), timeout = 3, startPeriod = 15 }
        container = {
          name = "router", image = var.router_image
          portMappings = [
            { name = "http", containerPort = var.router_port, protocol = "tcp" },
            { name = "status", containerPort = var.fastscaler_status_port, protocol = "tcp" },
          ]
          # nginx holds two sockets per proxied request; the Linux default of 1024 would cap a router far below its CPU.
          ulimits = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]
          # ECS deregisters the task from the NLB and waits for the deregistration delay before it stops the container,
          # so little is left in flight by then; 30 s lets nginx finish it (graceful stop).
          stopTimeout = 30
        }
      }
      fastscaler = {
        size        = var.task_sizes.fastscaler
        task_role   = aws_iam_role.this["fastscaler"].arn
        environment = local.fastscaler_environment
        # The image is distroless (no shell, no curl): the binary checks its own /healthz on FASTSCALER_LISTEN.
        # /healthz turns 503 when poll cycles stop completing. The 30 s start period covers the first router discovery
        # and poll cycles.
        health_check = { command = ["CMD", "/fastscaler", "healthcheck"], timeout = 5, startPeriod = 30 }
        # The image's default command is `fastscaler run`.
        container = {
          name = "fastscaler", image = var.fastscaler_image
          # Nothing in the task writes to disk. ECS Exec needs a writable root filesystem for its agent, hence the
          # exception.
          readonlyRootFilesystem = !var.enable_execute_command
          # On SIGTERM the daemon finishes its in-flight call and flushes metrics within a few seconds.
          stopTimeout = 15
        }
      }
    },
    {
      for name, api in local.api_services : name => {
        size        = api.size
        task_role   = var.api_task_role_arn != null ? var.api_task_role_arn : aws_iam_role.this["api"].arn
        environment = api.environment
        # Same reasoning as the router: ECS replaces a task after ~30 s of failures. The 30 s start period gives an
        # application runtime time to warm up before failures count.
        health_check = { command = coalesce(var.api_health_check_command, local.default_api_health_check), timeout = 5, startPeriod = 30 }
        container = {
          name = "api", image = api.image
          # appProtocol http makes Service Connect publish HTTP metrics (request count, response time, target 5xx),
          # which the alarms and the dashboard use now that there is no ALB.
          portMappings = [
            { name = "http", containerPort = var.api_port, protocol = "tcp", appProtocol = "http" },
          ]
        }
      }
    },
  )
}

resource "aws_ecs_task_definition" "this" {
  for_each = local.task_definitions

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.size.cpu
  memory                   = each.value.size.memory
  execution_role_arn       = aws_iam_role.this["execution"].arn
  task_role_arn            = each.value.task_role

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # Every container is essential and gets its environment, health check timing, init process (for ECS Exec) and log
  # settings here: these keys override any of the same name in the workload's `container`.
  container_definitions = jsonencode([merge(each.value.container, {
    essential       = true
    environment     = [for k, v in each.value.environment : { name = k, value = v }]
    healthCheck     = merge({ interval = 10, retries = 3 }, each.value.health_check)
    linuxParameters = { initProcessEnabled = var.enable_execute_command }
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.awslogs_options, { "awslogs-group" = aws_cloudwatch_log_group.this[each.value.container.name].name, "awslogs-stream-prefix" = each.key })
    }
  })])

  tags = local.tags
}

# --- router ------------------------------------------------------------------------------------------------------------

resource "aws_ecs_service" "router" {
  name            = local.service_names.router
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this["router"].arn
  launch_type     = "FARGATE"
  # Initial count only: see lifecycle below.
  desired_count = var.scaled_services.router.min_tasks

  # Roll out by adding new tasks before removing old ones: capacity never drops during a deployment.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  enable_execute_command             = var.enable_execute_command
  enable_ecs_managed_tags            = true
  # Tasks get the task definition's tags, not the service's: those hold fastscaler's state.
  propagate_tags = "TASK_DEFINITION"

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.this["router"].id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.router.arn
    container_name   = "router"
    container_port   = var.router_port
  }

  # Client only: the router resolves api and canary-api through its Service Connect proxy.
  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.this.arn

    log_configuration {
      log_driver = "awslogs"
      options    = merge(local.awslogs_options, { "awslogs-group" = aws_cloudwatch_log_group.this["router"].name, "awslogs-stream-prefix" = "service-connect" })
    }
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [desired_count, tags]
  }

  # A Service Connect client only learns the server names that exist when its tasks start, so the API services come
  # first. The target group must be attached to the NLB (through a listener) before a service can use it.
  depends_on = [aws_ecs_service.api, aws_lb_listener.this]
}

# --- api, api-canary ---------------------------------------------------------------------------------------------------

resource "aws_ecs_service" "api" {
  for_each = local.api_services

  name            = each.key
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this[each.key].arn
  launch_type     = "FARGATE"
  # Initial count only: see lifecycle below.
  desired_count = local.scaled[each.key].min_tasks

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_execute_command             = var.enable_execute_command
  enable_ecs_managed_tags            = true
  propagate_tags                     = "TASK_DEFINITION"

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = concat([aws_security_group.this["api"].id], var.api_security_group_ids)
    assign_public_ip = false
  }

  # Server: registers DISCOVERY_NAME in the namespace; clients call http://DISCOVERY_NAME:api_port.
  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.this.arn

    service {
      port_name      = "http"
      discovery_name = each.value.discovery_name

      client_alias {
        dns_name = each.value.discovery_name
        port     = var.api_port
      }
    }

    log_configuration {
      log_driver = "awslogs"
      options    = merge(local.awslogs_options, { "awslogs-group" = aws_cloudwatch_log_group.this["api"].name, "awslogs-stream-prefix" = "service-connect-${each.key}" })
    }
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [desired_count, tags]
  }
}

# --- fastscaler ----------------------------------------------------------------------------------------------------------

resource "aws_ecs_service" "fastscaler" {
  name            = local.service_names.fastscaler
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this["fastscaler"].arn
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

  lifecycle {
    precondition {
      condition     = !var.fastscaler_standby || local.lease_renew_ms * 2 <= local.lease_duration_ms
      error_message = "fastscaler_lease_renew must be at most half fastscaler_lease_duration: the daemon refuses to start otherwise (a leader must renew at least twice per lease)."
    }
  }

  # The task must not start before its permissions exist, or its first calls fail.
  depends_on = [aws_iam_role_policy.this]
}
