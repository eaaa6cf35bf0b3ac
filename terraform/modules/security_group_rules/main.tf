# One family of the fastscaler module's security group rules, all in one direction, each on one TCP port, from a
# group of the module to a peer: a CIDR or another group of the module. The root module calls it once per family (the
# egress and the ingress rules of the paths between its groups, the NLB's clients, each task group's HTTPS egress, the
# VPC endpoints' other clients): the rules of a family are keyed by their own key (a path's name, a CIDR, or
# PORT-CIDR), which may come from the inputs, and a family that is a resource of its own keeps those keys when it
# moves (see ../../moved.tf).

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
}

variable "direction" {
  description = "ingress (the peers reach the groups) or egress (the groups reach the peers)."
  type        = string

  validation {
    condition     = contains(["ingress", "egress"], var.direction)
    error_message = "direction must be ingress or egress."
  }
}

variable "security_group_ids" {
  description = "The IDs of the module's security groups, by the keys the rules name them with."
  type        = map(string)
}

variable "rules" {
  description = "The rules by key: the group the rule belongs to (a key of security_group_ids), one TCP port, the peer (an IPv4 CIDR, or peer_group, a key of security_group_ids: exactly one of the two) and the rule's description."
  type = map(object({
    group       = string
    port        = number
    cidr        = optional(string)
    peer_group  = optional(string)
    description = string
  }))

  validation {
    condition     = alltrue([for r in values(var.rules) : (r.cidr == null) != (r.peer_group == null)])
    error_message = "Every rule needs exactly one peer: cidr or peer_group."
  }
}

variable "tags" {
  description = "Tags of every rule."
  type        = map(string)
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = var.direction == "ingress" ? var.rules : {}

  security_group_id            = var.security_group_ids[each.value.group]
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  cidr_ipv4                    = each.value.cidr
  referenced_security_group_id = each.value.peer_group == null ? null : var.security_group_ids[each.value.peer_group]
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = var.direction == "egress" ? var.rules : {}

  security_group_id            = var.security_group_ids[each.value.group]
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  cidr_ipv4                    = each.value.cidr
  referenced_security_group_id = each.value.peer_group == null ? null : var.security_group_ids[each.value.peer_group]
  tags                         = var.tags
}
