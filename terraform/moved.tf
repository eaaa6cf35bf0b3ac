# Where resources of earlier versions of the module live now, so that `terraform apply` over an existing state moves
# them instead of destroying and recreating them. Folding alike resources into one resource with for_each (security
# groups and their rules, IAM roles and policies, alarms, listeners) changed their addresses, not the resources: the
# plan of examples/complete is the same before and after (plan_golden_test.go). Keep these blocks for as long as a
# state from before the folding may exist.
#
# A family of rules keyed by input CIDRs (the NLB's clients, the tasks' HTTPS egress, the VPC endpoints' other clients)
# moved as a whole into its own instance of modules/cidr_rules: a whole resource keeps its instance keys when it
# moves, whatever the CIDRs are.

# --- security groups ---------------------------------------------------------------------------------------------------

moved {
  from = aws_security_group.nlb
  to   = aws_security_group.this["nlb"]
}

moved {
  from = aws_security_group.router
  to   = aws_security_group.this["router"]
}

moved {
  from = aws_security_group.api
  to   = aws_security_group.this["api"]
}

moved {
  from = aws_security_group.fastscaler
  to   = aws_security_group.this["fastscaler"]
}

moved {
  from = aws_security_group.vpc_endpoints[0]
  to   = aws_security_group.this["vpce"]
}

# --- rules between the module's groups ---------------------------------------------------------------------------------

moved {
  from = aws_vpc_security_group_egress_rule.nlb_to_router
  to   = aws_vpc_security_group_egress_rule.path["nlb-to-router"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.router_from_nlb
  to   = aws_vpc_security_group_ingress_rule.path["nlb-to-router"]
}

moved {
  from = aws_vpc_security_group_egress_rule.fastscaler_to_router_status
  to   = aws_vpc_security_group_egress_rule.path["fastscaler-to-router-status"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.router_status_from_fastscaler
  to   = aws_vpc_security_group_ingress_rule.path["fastscaler-to-router-status"]
}

moved {
  from = aws_vpc_security_group_egress_rule.router_to_api
  to   = aws_vpc_security_group_egress_rule.path["router-to-api"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.api_from_router
  to   = aws_vpc_security_group_ingress_rule.path["router-to-api"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_to_vpc_endpoints["router"]
  to   = aws_vpc_security_group_egress_rule.path["router-to-vpce"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_to_vpc_endpoints["api"]
  to   = aws_vpc_security_group_egress_rule.path["api-to-vpce"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_to_vpc_endpoints["fastscaler"]
  to   = aws_vpc_security_group_egress_rule.path["fastscaler-to-vpce"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.vpc_endpoints_from_tasks["router"]
  to   = aws_vpc_security_group_ingress_rule.path["router-to-vpce"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.vpc_endpoints_from_tasks["api"]
  to   = aws_vpc_security_group_ingress_rule.path["api-to-vpce"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.vpc_endpoints_from_tasks["fastscaler"]
  to   = aws_vpc_security_group_ingress_rule.path["fastscaler-to-vpce"]
}

# --- rules to and from CIDRs (whole families: their keys are the inputs' CIDRs) ----------------------------------------

moved {
  from = aws_vpc_security_group_ingress_rule.nlb_from_clients
  to   = module.cidr_rules["nlb-from-clients"].aws_vpc_security_group_ingress_rule.this
}

moved {
  from = aws_vpc_security_group_ingress_rule.vpc_endpoints_from_clients
  to   = module.cidr_rules["vpce-from-clients"].aws_vpc_security_group_ingress_rule.this
}

moved {
  from = aws_vpc_security_group_egress_rule.router_https
  to   = module.cidr_rules["router-https"].aws_vpc_security_group_egress_rule.this
}

moved {
  from = aws_vpc_security_group_egress_rule.api_https
  to   = module.cidr_rules["api-https"].aws_vpc_security_group_egress_rule.this
}

moved {
  from = aws_vpc_security_group_egress_rule.fastscaler_https
  to   = module.cidr_rules["fastscaler-https"].aws_vpc_security_group_egress_rule.this
}

# --- IAM -----------------------------------------------------------------------------------------------------------------

moved {
  from = aws_iam_role.execution
  to   = aws_iam_role.this["execution"]
}

moved {
  from = aws_iam_role.fastscaler
  to   = aws_iam_role.this["fastscaler"]
}

moved {
  from = aws_iam_role.router[0]
  to   = aws_iam_role.this["router"]
}

moved {
  from = aws_iam_role.api[0]
  to   = aws_iam_role.this["api"]
}

moved {
  from = aws_iam_role_policy.execution
  to   = aws_iam_role_policy.this["execution"]
}

moved {
  from = aws_iam_role_policy.fastscaler
  to   = aws_iam_role_policy.this["fastscaler"]
}

moved {
  from = aws_iam_role_policy.fastscaler_exec[0]
  to   = aws_iam_role_policy.this["fastscaler-exec"]
}

moved {
  from = aws_iam_role_policy.router_exec[0]
  to   = aws_iam_role_policy.this["router-exec"]
}

moved {
  from = aws_iam_role_policy.api_exec[0]
  to   = aws_iam_role_policy.this["api-exec"]
}

# --- alarms and listeners --------------------------------------------------------------------------------------------

moved {
  from = aws_cloudwatch_metric_alarm.api_target_5xx["api"]
  to   = aws_cloudwatch_metric_alarm.this["api-target-5xx"]
}

moved {
  from = aws_cloudwatch_metric_alarm.api_target_5xx["api-canary"]
  to   = aws_cloudwatch_metric_alarm.this["api-canary-target-5xx"]
}

moved {
  from = aws_cloudwatch_metric_alarm.nlb_unhealthy_routers
  to   = aws_cloudwatch_metric_alarm.this["nlb-unhealthy-routers"]
}

moved {
  from = aws_cloudwatch_metric_alarm.nlb_no_healthy_router
  to   = aws_cloudwatch_metric_alarm.this["nlb-no-healthy-router"]
}

moved {
  from = aws_cloudwatch_metric_alarm.fastscaler_metrics_missing[0]
  to   = aws_cloudwatch_metric_alarm.this["fastscaler-metrics-missing"]
}

moved {
  from = aws_lb_listener.tcp[0]
  to   = aws_lb_listener.this["tcp"]
}

moved {
  from = aws_lb_listener.tls[0]
  to   = aws_lb_listener.this["tls"]
}
