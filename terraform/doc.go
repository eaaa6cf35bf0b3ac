// Package terraform holds fastscaler's Terraform module (the *.tf files in this directory) and its example
// deployment (examples/complete). It has no Go code of its own: the Go files here are the module's tests.
//
// invariants_test.go checks the module the way an infra team would review it, from the plan Terraform makes of
// examples/complete: `terraform fmt -check -recursive`, init, validate and plan -refresh=false (offline, against
// the real hashicorp/aws schema through ../shared/terraform/offline-terraform when that exists, plain terraform
// otherwise), then, from `terraform show -json`, the invariants that keep fastscaler safe to apply:
//
//   - every service fastscaler scales ignores desired_count (and its tags, where fastscaler keeps its state), shown
//     by importing the services into a plan and checking that Terraform would not reset them;
//   - no IAM policy grants a wildcard action or attaches a managed FullAccess policy, and the daemon's
//     UpdateService and tagging permissions name exactly the scaled services' ARNs;
//   - no security group rule opens the routers' stub_status port to a CIDR, let alone 0.0.0.0/0;
//   - with vpc_endpoints on (as in the example), the endpoints the tasks call exist with private DNS, and no egress
//     rule reaches a CIDR: every task security group reaches the AWS APIs through the endpoints only;
//   - the canary weight variable rejects values outside 0-100.
//
// trivy_test.go runs Trivy's misconfiguration scan (trivy config) over this directory when trivy is on PATH and
// fails on any CRITICAL or HIGH finding; without trivy it is skipped.
//
// The tests work on a temporary copy of this directory, so they leave no .terraform directories, state or plan
// files behind, and no real AWS call can happen (see testdata/provider_override.tf).
package terraform
