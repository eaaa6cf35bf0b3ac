# invariants_test.go adds this file only when it runs plain terraform with the real provider (no offline-terraform):
# the inputs below replace the module's two data-source lookups (sts:GetCallerIdentity, ec2:DescribeVpcs), so the
# plan needs no AWS API at all.
module "fastscaler" {
  account_id         = "123456789012"
  status_allow_cidrs = ["10.0.0.0/16"]
}
