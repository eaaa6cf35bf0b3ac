# Where resources of earlier versions of the module live now, so that `terraform apply` over an existing state moves
# them instead of destroying and recreating them. Folding alike resources into one resource with for_each (security
# groups and their rules, IAM roles and policies, alarms, listeners, task definitions) changed their addresses, not
# the resources: the plan of examples/complete is the same before and after (plan_golden_test.go). Keep these blocks
# for as long as a state from before the folding may exist.
#
# A family of rules keyed by input CIDRs (the NLB's clients, the tasks' HTTPS egress, the VPC endpoints' other clients)
# moved as a whole into its own instance of modules/security_group_rules: a whole resource keeps its instance keys when
# it moves, whatever the CIDRs are.
#
# The blocks from the first folding name where those resources live now, not where that folding put them: the rules
# between the module's groups (once aws_vpc_security_group_*_rule.path) and the CIDR families (once in
# module.cidr_rules) have moved again since, into modules/security_group_rules; the blocks at the end move them from
# there.

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
  to   = module.security_group_rules["paths-egress"].aws_vpc_security_group_egress_rule.this["nlb-to-router"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.router_from_nlb
  to   = module.security_group_rules["paths-ingress"].aws_vpc_security_group_ingress_rule.this["nlb-to-router"]
}

moved {
  from = aws_vpc_security_group_egress_rule.fastscaler_to_router_status
  to   = module.security_group_rules["paths-egress"].aws_vpc_security_group_egress_rule.this["fastscaler-to-router-status"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.router_status_from_fastscaler
  to   = module.security_group_rules["paths-ingress"].aws_vpc_security_group_ingress_rule.this["fastscaler-to-router-status"]
}

moved {
  from = aws_vpc_security_group_egress_rule.router_to_api
  to   = module.security_group_rules["paths-egress"].aws_vpc_security_group_egress_rule.this["router-to-api"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.api_from_router
  to   = module.security_group_rules["paths-ingress"].aws_vpc_security_group_ingress_rule.this["router-to-api"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_to_vpc_endpoints["router"]
  to   = module.security_group_rules["paths-egress"].aws_vpc_security_group_egress_rule.this["router-to-vpce"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_to_vpc_endpoints["api"]
  to   = module.security_group_rules["paths-egress"].aws_vpc_security_group_egress_rule.this["api-to-vpce"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_to_vpc_endpoints["fastscaler"]
  to   = module.security_group_rules["paths-egress"].aws_vpc_security_group_egress_rule.this["fastscaler-to-vpce"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.vpc_endpoints_from_tasks["router"]
  to   = module.security_group_rules["paths-ingress"].aws_vpc_security_group_ingress_rule.this["router-to-vpce"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.vpc_endpoints_from_tasks["api"]
  to   = module.security_group_rules["paths-ingress"].aws_vpc_security_group_ingress_rule.this["api-to-vpce"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.vpc_endpoints_from_tasks["fastscaler"]
  to   = module.security_group_rules["paths-ingress"].aws_vpc_security_group_ingress_rule.this["fastscaler-to-vpce"]
}

# --- rules to and from CIDRs (whole families: their keys are the inputs' CIDRs) ----------------------------------------

moved {
  from = aws_vpc_security_group_ingress_rule.nlb_from_clients
  to   = module.security_group_rules["nlb-from-clients"].aws_vpc_security_group_ingress_rule.this
}

moved {
  from = aws_vpc_security_group_ingress_rule.vpc_endpoints_from_clients
  to   = module.security_group_rules["vpce-from-clients"].aws_vpc_security_group_ingress_rule.this
}

moved {
  from = aws_vpc_security_group_egress_rule.router_https
  to   = module.security_group_rules["router-https"].aws_vpc_security_group_egress_rule.this
}

moved {
  from = aws_vpc_security_group_egress_rule.api_https
  to   = module.security_group_rules["api-https"].aws_vpc_security_group_egress_rule.this
}

moved {
  from = aws_vpc_security_group_egress_rule.fastscaler_https
  to   = module.security_group_rules["fastscaler-https"].aws_vpc_security_group_egress_rule.this
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

# --- task definitions ------------------------------------------------------------------------------------------------

moved {
  from = aws_ecs_task_definition.router
  to   = aws_ecs_task_definition.this["router"]
}

moved {
  from = aws_ecs_task_definition.api["api"]
  to   = aws_ecs_task_definition.this["api"]
}

moved {
  from = aws_ecs_task_definition.api["api-canary"]
  to   = aws_ecs_task_definition.this["api-canary"]
}

moved {
  from = aws_ecs_task_definition.fastscaler
  to   = aws_ecs_task_definition.this["fastscaler"]
}

# --- rules, again: every family into modules/security_group_rules ------------------------------------------------------

moved {
  from = aws_vpc_security_group_egress_rule.path
  to   = module.security_group_rules["paths-egress"].aws_vpc_security_group_egress_rule.this
}

moved {
  from = aws_vpc_security_group_ingress_rule.path
  to   = module.security_group_rules["paths-ingress"].aws_vpc_security_group_ingress_rule.this
}

moved {
  from = module.cidr_rules
  to   = module.security_group_rules
}
