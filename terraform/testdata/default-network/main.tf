# A second deployment for TestMovedBlocksKeepEveryResource: the module's default network (no VPC endpoints, HTTPS egress
# to CIDRs), whose security group rule families examples/complete does not have, with ECS Exec on and no standby.
# Planned offline only, with provider_override.tf beside it; the IDs are fake.
provider "aws" {
  region = "eu-west-1"
}

module "fastscaler" {
  source = "../.."

  name                      = "fsdefault"
  vpc_id                    = "vpc-0123456789abcdef0"
  public_subnet_ids         = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
  private_subnet_ids        = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  service_connect_namespace = "default"

  router_image     = "docker.io/example/router:1.0.0"
  api_image        = "public.ecr.aws/example/api:2"
  fastscaler_image = "ghcr.io/example/fastscaler:1.0.0"

  https_egress_cidrs     = ["10.0.0.0/8", "0.0.0.0/0"]
  nlb_ingress_cidrs      = ["192.0.2.0/24", "198.51.100.0/24"]
  status_allow_cidrs     = ["10.0.0.0/16"]
  enable_execute_command = true
  fastscaler_standby     = false
}
