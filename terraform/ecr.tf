# Optional ECR repositories (var.ecr_repositories) for the two images this repository builds: the router
# (docker/router) and the daemon (docker/autoscaler). docker/README.md pushes multi-arch images to them with the
# ecr_repository_urls output; router_image and fastscaler_image then name those images by tag, and the execution role
# may pull from them like from any ECR repository the images name (main.tf, ecr_repository_arns).

locals {
  ecr_repository_prefix = coalesce(var.ecr_repositories.name_prefix, "${var.name}/")
  # By image: the keys match router_image and fastscaler_image.
  ecr_repositories = var.ecr_repositories.enabled ? toset(["router", "fastscaler"]) : toset([])
}

resource "aws_ecr_repository" "this" {
  for_each = local.ecr_repositories

  name = "${local.ecr_repository_prefix}${each.key}"
  # A tag names one image for good: a task definition that names router:1.4.0 runs the image that was reviewed, and
  # a rollback to an earlier tag gets the earlier image back.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.ecr_repositories.force_delete

  # Basic scanning on every push: the findings show in the console and in EventBridge before a task runs the image.
  image_scanning_configuration {
    scan_on_push = true
  }

  # KMS: with kms_key_arn, that key (a customer managed key); without, the AWS managed key aws/ecr. The images hold no
  # secret (their configuration comes from the task definition), so the AWS managed key is the default.
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.ecr_repositories.kms_key_arn
  }

  tags = local.tags
}

# Keep the newest keep_images tagged images (each a release: tags are immutable) and expire older ones. There is no rule
# for untagged images: a multi-arch push stores one tagged image index and an untagged image per platform, which
# belong to the index; they are left for ECR to handle with their index.
resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the newest ${var.ecr_repositories.keep_images} tagged images"
      selection = {
        tagStatus      = "tagged"
        tagPatternList = ["*"]
        countType      = "imageCountMoreThan"
        countNumber    = var.ecr_repositories.keep_images
      }
      action = { type = "expire" }
    }]
  })
}
