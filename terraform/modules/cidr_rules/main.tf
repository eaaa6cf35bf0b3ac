# One family of security group rules between a group of the fastscaler module and CIDRs, all in one direction. The
# root module calls it once per family (the NLB's clients, each task group's HTTPS egress, the VPC endpoints' other
# clients): the rules of a family are keyed by their own key (a CIDR, or PORT-CIDR), which comes from the inputs, and
# a family that is a resource of its own keeps those keys when it moves (see ../../moved.tf).

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
}

variable "security_group_id" {
  description = "The group the rules belong to."
  type        = string
}

variable "direction" {
  description = "ingress (the CIDRs reach the group) or egress (the group reaches the CIDRs)."
  type        = string

  validation {
    condition     = contains(["ingress", "egress"], var.direction)
    error_message = "direction must be ingress or egress."
  }
}

variable "rules" {
  description = "The rules by key: one TCP port, one IPv4 CIDR, and the rule's description."
  type = map(object({
    port        = number
    cidr        = string
    description = string
  }))
}

variable "tags" {
  description = "Tags of every rule."
  type        = map(string)
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = var.direction == "ingress" ? var.rules : {}

  security_group_id = var.security_group_id
  description       = each.value.description
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = var.direction == "egress" ? var.rules : {}

  security_group_id = var.security_group_id
  description       = each.value.description
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
  tags              = var.tags
}
