# invariants_test.go copies this file into its temporary copy of examples/complete. Terraform merges *_override.tf
# files into the configuration: here it turns the example's provider into one that can plan without AWS. The fake
# keys are never valid, the skip_* flags stop the provider from checking them, and every endpoint the module's
# resources and data sources could call points at a closed local port, so a real AWS call cannot happen: it fails.
provider "aws" {
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1

  endpoints {
    applicationautoscaling = "http://127.0.0.1:9"
    cloudwatch             = "http://127.0.0.1:9"
    ec2                    = "http://127.0.0.1:9"
    ecs                    = "http://127.0.0.1:9"
    elbv2                  = "http://127.0.0.1:9"
    iam                    = "http://127.0.0.1:9"
    logs                   = "http://127.0.0.1:9"
    servicediscovery       = "http://127.0.0.1:9"
    sts                    = "http://127.0.0.1:9"
  }
}
