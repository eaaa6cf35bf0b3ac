# Optional safety net: Application Auto Scaling target tracking on CPU for api and api-canary.
#
# It coexists with fastscaler instead of fighting it:
#   - scale-in is disabled on the policy, so it can only add tasks; it never cuts what fastscaler (or a pre-scale)
#     added, and fastscaler remains the only one that scales in;
#   - its MinCapacity/MaxCapacity are the same bounds fastscaler uses (scaled_services).
# A later fastscaler version raises MinCapacity instead of only desiredCount when a scalable target exists (see the
# README); until then, a CPU-driven scale-out may be trimmed by fastscaler's normal, cooled-down scale-in.

resource "aws_appautoscaling_target" "api" {
  for_each = var.cpu_target_tracking.enabled ? local.api_services : {}

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.api[each.key].name}"
  min_capacity       = local.scaled[each.key].min_tasks
  max_capacity       = local.scaled[each.key].max_tasks
  tags               = local.tags
}

resource "aws_appautoscaling_policy" "api_cpu" {
  for_each = aws_appautoscaling_target.api

  name               = "${var.name}-${each.key}-cpu-safety-net"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  scalable_dimension = each.value.scalable_dimension
  resource_id        = each.value.resource_id

  target_tracking_scaling_policy_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
    target_value       = var.cpu_target_tracking.target_cpu_percent
    scale_out_cooldown = var.cpu_target_tracking.scale_out_cooldown_seconds
    disable_scale_in   = true
  }
}
