# Optional safety net: Application Auto Scaling target tracking on CPU for api and api-canary.
#
# It coexists with fastscaler instead of fighting it (fastscaler's AAS mode, FASTSCALER_AAS_MODE=auto, set by this
# module when the safety net is on):
#   - fastscaler finds these scalable targets and, with every scale-out, raises MinCapacity to the count it set, so
#     the policy can never scale in below what fastscaler (or a pre-scale floor) holds; on scale-in it lowers
#     MinCapacity step by step back to min_tasks, recorded as the owner's minimum in the service's tags;
#   - the policy's own scale-outs (CPU that fastscaler cannot see) are the policy's to remove: fastscaler never
#     scales in tasks above the MinCapacity it set, so scale-in stays enabled on the policy by default;
#   - MaxCapacity is max_tasks: fastscaler's scale-outs are capped by it too.
# min_capacity is ignored after creation: fastscaler moves it at run time, and an apply in the middle of a surge (a
# canary weight change, say) must not reset it. To change the owner's minimum later, register the target again
# with the AWS CLI; fastscaler takes a MinCapacity it did not set as the owner's.

locals {
  # Tags this module's scalable targets: fastscaler's IAM policy may move the MinCapacity of these alone.
  scalable_target_tag = "fastscaler-scalable-target"
}

resource "aws_appautoscaling_target" "api" {
  for_each = var.cpu_target_tracking.enabled ? local.api_services : {}

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.api[each.key].name}"
  min_capacity       = local.scaled[each.key].min_tasks
  max_capacity       = local.scaled[each.key].max_tasks
  tags               = merge(local.tags, { (local.scalable_target_tag) = var.name })

  lifecycle {
    ignore_changes = [min_capacity]
  }
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
    disable_scale_in   = var.cpu_target_tracking.disable_scale_in
  }
}
