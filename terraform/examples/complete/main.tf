# A complete deployment: NLB -> Nginx router -> api / api-canary on ECS Fargate with Service Connect, and fastscaler
# scaling router and API together. Copy terraform.tfvars.example to terraform.tfvars, fill it in, then
# `terraform init && terraform apply`.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "fastscaler"
      ManagedBy = "terraform"
    }
  }
}

module "fastscaler" {
  source = "../../"

  name                      = var.name
  vpc_id                    = var.vpc_id
  public_subnet_ids         = var.public_subnet_ids
  private_subnet_ids        = var.private_subnet_ids
  service_connect_namespace = var.service_connect_namespace

  # The tasks reach the AWS APIs through VPC endpoints only (no 0.0.0.0/0 egress): interface endpoints with private
  # DNS in the private subnets, and the S3 gateway endpoint (ECR image layers) on their route tables.
  vpc_endpoints = {
    enabled         = true
    route_table_ids = var.private_route_table_ids
  }

  # The ECR repositories of the router and fastscaler images (NAME/router, NAME/fastscaler); docker/README.md builds
  # and pushes the images, and router_image and fastscaler_image name them by tag.
  ecr_repositories = {
    enabled = true
  }

  router_image     = var.router_image
  api_image        = var.api_image
  api_canary_image = var.api_canary_image
  fastscaler_image = var.fastscaler_image

  canary_weight        = var.canary_weight
  cors_allowed_origins = var.cors_allowed_origins

  nlb_tls_certificate_arn = var.nlb_tls_certificate_arn
  nlb_deletion_protection = var.nlb_deletion_protection

  scaled_services = {
    router     = { capacity_rps = 1000, min_tasks = 2, max_tasks = 40 }
    api        = { capacity_rps = 250, min_tasks = 2, max_tasks = 120 }
    api_canary = { capacity_rps = 250, min_tasks = 1, max_tasks = 20 }
  }

  api_environment = {
    LOG_FORMAT = "json"
  }

  # Start in dry-run to watch fastscaler's decisions in its logs before it acts, then set it to false.
  fastscaler_dry_run = var.fastscaler_dry_run

  # Hot standby (the default, spelled out): two fastscaler tasks in different AZs, a DynamoDB lease table, rolling
  # deploys that hand over within seconds. The DynamoDB gateway endpoint joins the S3 one on the route tables above.
  fastscaler_standby = true

  cpu_target_tracking = {
    enabled            = true
    target_cpu_percent = 70
  }

  alarm_actions = var.alarm_actions

  tags = {
    Environment = var.name
  }
}
