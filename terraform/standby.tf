# Hot standby (var.fastscaler_standby): two fastscaler tasks, both polling and deciding, only the holder of a leader
# lease writing (UpdateService, tags, MinCapacity). The lease is one item in this DynamoDB table, keyed by router group
# (CLUSTER/ROUTER_SERVICE) and written with conditional writes by the daemon (autoscaler/lease). The module creates the
# table, passes it as FASTSCALER_LEASE_TABLE, grants the task role GetItem/PutItem/UpdateItem on it alone (iam.tf), runs
# the service with two tasks and 100/200 % deployments (services.tf), and, with vpc_endpoints, adds the DynamoDB
# gateway endpoint and fastscaler's egress to its prefix list (endpoints.tf).

locals {
  lease_table_name = "${var.name}-fastscaler-lease"
  # Built from the name, like the ECS ARNs in main.tf, so that the IAM policy is known at plan time.
  lease_table_arn = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.lease_table_name}"

  # Go durations in milliseconds, to check the daemon's timing rules at plan time (see the precondition in
  # services.tf): the renew period at most half the lease duration (autoscaler/lease.CheckTimings).
  duration_units_ms = { ns = 0.000001, us = 0.001, "µs" = 0.001, ms = 1, s = 1000, m = 60000, h = 3600000 }
  lease_duration_ms = sum([for m in regexall("([0-9]+(?:\\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", var.fastscaler_lease_duration) : tonumber(m[0]) * local.duration_units_ms[m[1]]])
  lease_renew_ms    = sum([for m in regexall("([0-9]+(?:\\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", var.fastscaler_lease_renew) : tonumber(m[0]) * local.duration_units_ms[m[1]]])

  # Empty without the standby: the daemon then runs alone, with no lease, as before.
  lease_environment = var.fastscaler_standby ? {
    FASTSCALER_LEASE_TABLE    = aws_dynamodb_table.lease[0].name
    FASTSCALER_LEASE_DURATION = var.fastscaler_lease_duration
    FASTSCALER_LEASE_RENEW    = var.fastscaler_lease_renew
  } : {}
}

resource "aws_dynamodb_table" "lease" {
  count = var.fastscaler_standby ? 1 : 0

  name = local.lease_table_name
  # A handful of small reads and writes a second (a renewal every FASTSCALER_LEASE_RENEW, a read per standby poll):
  # on-demand costs cents a month and needs no capacity planning.
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  # The daemon sets expires_at (epoch seconds) on the lease item, so that an abandoned item (a renamed cluster or router
  # service) goes away by itself. TTL deletion is lazy and never decides who leads: the daemon's own clock does.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  # No point-in-time recovery: the table holds only the lease, an item that is stale seconds after it was written and
  # that the daemons write again on their next tick. A restore would bring back nothing worth having (and a restore
  # makes a new table, which the daemons would not use). Losing the table stops the writes until the next apply
  # recreates it; it loses no state.
  #trivy:ignore:AWS-0024
  point_in_time_recovery {
    enabled = false
  }

  # Encrypted at rest with the AWS-owned key, DynamoDB's default (DynamoDB encrypts every table). The item holds a
  # router group's name, the holder's task ID, a version number and timestamps: nothing secret, nothing a customer-
  # managed key would protect better, while a CMK would add a key, its policy and KMS permissions for the task role to
  # every lease read and write. Trivy reports that as AWS-0025 (LOW); the decision is here.
  #trivy:ignore:AWS-0025
  server_side_encryption {
    enabled = false
  }

  tags = local.tags
}
