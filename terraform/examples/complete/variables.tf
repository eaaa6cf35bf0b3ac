variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "ap-northeast-1"
}

variable "name" {
  description = "Name of the deployment (cluster, NLB, prefix of the other resources)."
  type        = string
  default     = "fastscaler-demo"
}

variable "vpc_id" {
  description = "ID of the existing VPC."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets of the NLB, one per AZ."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Private subnets of the tasks; the module puts the interface VPC endpoints in them (one subnet per AZ)."
  type        = list(string)
}

variable "private_route_table_ids" {
  description = "Route tables of the private subnets, for the S3 gateway endpoint. Empty if the VPC already has one on them."
  type        = list(string)
  default     = []
}

variable "service_connect_namespace" {
  description = "Service Connect namespace name, e.g. dev2a. Null uses name."
  type        = string
  default     = null
}

variable "router_image" {
  description = "Image of the Nginx router (docker/router)."
  type        = string
}

variable "api_image" {
  description = "Image of the stable API."
  type        = string
}

variable "api_canary_image" {
  description = "Image of the canary API. Null uses api_image."
  type        = string
  default     = null
}

variable "fastscaler_image" {
  description = "Image of the fastscaler daemon (docker/autoscaler)."
  type        = string
}

variable "canary_weight" {
  description = "Percentage of traffic sent to the canary API (0-100)."
  type        = number
  default     = 10
}

variable "cors_allowed_origins" {
  description = "Origins allowed by the router's CORS handling."
  type        = list(string)
  default     = []
}

variable "nlb_tls_certificate_arn" {
  description = "ACM certificate ARN for a TLS listener on 443. Null: TCP listener on 80 only."
  type        = string
  default     = null
}

variable "nlb_deletion_protection" {
  description = "Protect the NLB against deletion."
  type        = bool
  default     = true
}

variable "fastscaler_dry_run" {
  description = "Run fastscaler in dry-run mode (decide and log, never scale)."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified by the alarms."
  type        = list(string)
  default     = []
}
