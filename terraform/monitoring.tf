# Monitoring without an ALB: the NLB's metrics (AWS/NetworkELB), Service Connect's HTTP metrics (AWS/ECS, per
# discovery name; the backend 5xx count is the signal that tracks user-facing errors), Container Insights for running
# task counts, and fastscaler's own metrics (published every ~10 s at 1-second resolution, dimension Cluster, plus
# Service for per-service metrics).

# --- alarms ------------------------------------------------------------------------------------------------------------

locals {
  # The NLB's alarms on the health checks of the router targets: metrics of its target group, every datapoint counts.
  nlb_alarm_dimensions = { LoadBalancer = aws_lb.this.arn_suffix, TargetGroup = aws_lb_target_group.router.arn_suffix }
  nlb_alarms = {
    nlb-unhealthy-routers = {
      description = "At least one router target has failed the NLB health check for 3 minutes."
      metric      = "UnHealthyHostCount", statistic = "Maximum", periods = 3
      comparison  = "GreaterThanThreshold", threshold = 0, missing = "notBreaching"
    }
    nlb-no-healthy-router = {
      description = "No router target is healthy behind the NLB: every request fails."
      metric      = "HealthyHostCount", statistic = "Minimum", periods = 2
      comparison  = "LessThanThreshold", threshold = 1, missing = "breaching"
    }
  }

  # Every alarm, by name (NAME-KEY); `when` says whether this deployment has it. All alarm on one metric and notify
  # alarm_actions when they fire and when they recover.
  alarms = merge(
    {
      for name, api in local.api_services : "${name}-target-5xx" => {
        when        = true
        description = "${name}: more than ${var.api_5xx_alarm_threshold} HTTP 5xx per minute from the API tasks (Service Connect ${api.discovery_name}) in 2 of the last 3 minutes."
        namespace   = "AWS/ECS", metric = "HTTPCode_Target_5XX_Count", statistic = "Sum"
        dimensions  = { ClusterName = local.cluster_name, ServiceName = name, DiscoveryName = api.discovery_name }
        periods     = 3, datapoints = 2, comparison = "GreaterThanThreshold", threshold = var.api_5xx_alarm_threshold
        # No requests means no datapoints, which is not an error.
        missing = "notBreaching"
      }
    },
    { for key, a in local.nlb_alarms : key => merge(a, { when = true, namespace = "AWS/NetworkELB", dimensions = local.nlb_alarm_dimensions, datapoints = null }) },
    {
      # fastscaler publishes TargetsKnown every ~10 s whatever the traffic. No sample for 3 minutes means the daemon is
      # down, stuck, or cannot publish, and nothing is scaling the services: missing data is the alarm, hence
      # "breaching".
      fastscaler-metrics-missing = {
        when        = local.publish_metrics
        description = "fastscaler has published no ${var.fastscaler_metrics_namespace}/TargetsKnown for cluster ${local.cluster_name} for 3 minutes: automatic scaling is probably not running."
        namespace   = var.fastscaler_metrics_namespace, metric = "TargetsKnown", statistic = "SampleCount"
        dimensions  = { Cluster = local.cluster_name }
        periods     = 3, datapoints = null, comparison = "LessThanThreshold", threshold = 1
        missing     = "breaching"
      }
    },
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = { for key, a in local.alarms : key => a if a.when }

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 60
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.datapoints
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}

# --- dashboard ---------------------------------------------------------------------------------------------------------

locals {
  fs_ns              = var.fastscaler_metrics_namespace
  container_insights = var.container_insights != "disabled"
  nlb_dimensions     = ["LoadBalancer", aws_lb.this.arn_suffix, "TargetGroup", aws_lb_target_group.router.arn_suffix]

  # Top row, side by side: request rate, desired vs running per service, surge mode, 5xx. Second row: the NLB, latency
  # and CPU. Graphs whose source is switched off (metrics namespace empty, Container Insights disabled) are dropped.
  dashboard_graphs = [
    {
      title = "Request rate"
      metrics = concat(
        [for line in [[local.fs_ns, "RequestRate", "Cluster", local.cluster_name, { label = "req/s through the routers (fastscaler)", stat = "Average", period = 10 }]] : line if local.publish_metrics],
        [for name, api in local.api_services : ["AWS/ECS", "RequestCount", "ClusterName", local.cluster_name, "ServiceName", name, "DiscoveryName", api.discovery_name, { label = "${name} req/min (Service Connect)", stat = "Sum", period = 60, yAxis = "right" }]],
      )
    },
    {
      title = "Desired / running tasks"
      metrics = concat(
        [for name in sort(keys(local.scaled)) : [local.fs_ns, "DesiredCount", "Cluster", local.cluster_name, "Service", name, { label = "${name} desired", stat = "Maximum", period = 10 }] if local.publish_metrics],
        [for name in sort(keys(local.scaled)) : ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", local.cluster_name, "ServiceName", name, { label = "${name} running", stat = "Average", period = 60 }] if local.container_insights],
      )
    },
    {
      title = "Surge mode and router targets"
      metrics = [for line in [
        [local.fs_ns, "SurgeMode", "Cluster", local.cluster_name, { label = "surge mode (0/1)", stat = "Maximum", period = 10 }],
        [local.fs_ns, "TargetsReporting", "Cluster", local.cluster_name, { label = "routers reporting", stat = "Minimum", period = 10, yAxis = "right" }],
        [local.fs_ns, "TargetsKnown", "Cluster", local.cluster_name, { label = "routers known", stat = "Maximum", period = 10, yAxis = "right" }],
      ] : line if local.publish_metrics]
    },
    {
      title   = "API 5xx (Service Connect, per minute)"
      metrics = [for name, api in local.api_services : ["AWS/ECS", "HTTPCode_Target_5XX_Count", "ClusterName", local.cluster_name, "ServiceName", name, "DiscoveryName", api.discovery_name, { label = "${name} 5xx", stat = "Sum", period = 60 }]]
    },
    {
      title = "NLB flows and router health"
      metrics = [
        concat(["AWS/NetworkELB", "NewFlowCount", "LoadBalancer", aws_lb.this.arn_suffix], [{ label = "new flows/min", stat = "Sum", period = 60 }]),
        concat(["AWS/NetworkELB", "ActiveFlowCount", "LoadBalancer", aws_lb.this.arn_suffix], [{ label = "active flows", stat = "Average", period = 60 }]),
        concat(["AWS/NetworkELB", "HealthyHostCount"], local.nlb_dimensions, [{ label = "healthy routers", stat = "Minimum", period = 60, yAxis = "right" }]),
        concat(["AWS/NetworkELB", "UnHealthyHostCount"], local.nlb_dimensions, [{ label = "unhealthy routers", stat = "Maximum", period = 60, yAxis = "right" }]),
      ]
    },
    {
      title   = "API response time p99 (Service Connect, ms)"
      metrics = [for name, api in local.api_services : ["AWS/ECS", "TargetResponseTime", "ClusterName", local.cluster_name, "ServiceName", name, "DiscoveryName", api.discovery_name, { label = "${name} p99", stat = "p99", period = 60 }]]
    },
    {
      title   = "CPU utilisation per service (%)"
      metrics = [for name in sort(keys(local.scaled)) : ["AWS/ECS", "CPUUtilization", "ClusterName", local.cluster_name, "ServiceName", name, { label = name, stat = "Average", period = 60 }]]
    },
  ]
  dashboard_widgets = [for i, g in [for g in local.dashboard_graphs : g if length(g.metrics) > 0] : {
    type   = "metric"
    x      = (i % 4) * 6
    y      = floor(i / 4) * 6
    width  = 6
    height = 6
    properties = {
      title   = g.title
      region  = local.region
      view    = "timeSeries"
      stacked = false
      metrics = g.metrics
      yAxis   = { left = { min = 0 }, right = { min = 0 } }
    }
  }]
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = "${var.name}-fastscaler"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
