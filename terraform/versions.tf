terraform {
  # The module needs optional() object attributes with defaults and startswith() (1.3); 1.6 is the oldest release
  # the project supports.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.0 is the first release with data.aws_region.region (the module builds ARNs from it) and the one the
      # configuration is validated against (hashicorp/aws 6.52 schema).
      version = ">= 6.0"
    }
  }
}
