terraform {
  # 1.6 brings the variable validation, optional() object attributes and check blocks this module relies on.
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
