# ---------------------------------------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------------------------------------

variable "name" {
  description = "Name of the deployment: the ECS cluster, the NLB and the prefix of every other resource name (IAM roles, log groups, alarms, the dashboard). Lower-case letters, digits and hyphens, at most 24 characters so that the target group name (NAME-router) stays within the 32 characters ELB allows."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name)) && !startswith(var.name, "internal-")
    error_message = "name must be 2-24 characters of lower-case letters, digits and hyphens, start with a letter, not end with a hyphen, and not start with internal- (ELB reserves it)."
  }
}

variable "tags" {
  description = "Tags added to every resource the module creates (on top of the provider's default_tags). ECS services receive them only when they are created: see the README (fastscaler keeps its state in service tags, so the module does not manage them afterwards)."
  type        = map(string)
  default     = {}
}

variable "account_id" {
  description = "AWS account ID used to build the ARNs in the IAM policies. Leave null to look it up with sts:GetCallerIdentity; set it to plan without that call (for example in plan-only CI)."
  type        = string
  default     = null

  validation {
    condition     = var.account_id == null || can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be null or a 12-digit AWS account ID."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Network (the module creates no VPC)
# ---------------------------------------------------------------------------------------------------------------------

variable "vpc_id" {
  description = "ID of the existing VPC the NLB and the tasks run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "public_subnet_ids" {
  description = "Subnets of the NLB, one per Availability Zone (public subnets for an internet-facing NLB, private ones when nlb_internal is true). Use at least two AZs in production."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 1 && alltrue([for s in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "public_subnet_ids must hold at least one subnet ID (subnet-...)."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets of the ECS tasks (router, api, api-canary, fastscaler). They need a way to the AWS APIs: a NAT gateway, or VPC endpoints (see vpc_endpoints)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "private_subnet_ids must hold at least one subnet ID (subnet-...)."
  }
}

variable "status_allow_cidrs" {
  description = "CIDRs the router's nginx lets read stub_status (router env STATUS_ALLOW_CIDRS). Null means every IPv4 CIDR of the VPC, read with the aws_vpc data source. This is the second fence: the security groups already admit only fastscaler on the status port."
  type        = list(string)
  default     = null

  validation {
    condition     = var.status_allow_cidrs == null ? true : alltrue([for c in var.status_allow_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0" && c != "::/0"])
    error_message = "status_allow_cidrs must be valid CIDRs and must not be 0.0.0.0/0 or ::/0: stub_status is never public."
  }
}

variable "https_egress_cidrs" {
  description = "IPv4 CIDRs the tasks may reach on TCP 443. Null (the default) means 0.0.0.0/0 without vpc_endpoints, so that the tasks reach the AWS APIs (ECS, ECR, CloudWatch, CloudWatch Logs, S3 for image layers) through a NAT gateway, and nothing with vpc_endpoints enabled (the tasks then reach only the endpoints). Set it to allow more, e.g. the VPC CIDR when the VPC has its own interface endpoints (vpc_endpoints.create_interface_endpoints = false)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.https_egress_cidrs == null ? true : alltrue([for c in var.https_egress_cidrs : can(cidrhost(c, 0))])
    error_message = "https_egress_cidrs must be null or a list of valid IPv4 CIDRs."
  }
}

variable "vpc_endpoints" {
  description = "Create VPC endpoints for the AWS APIs the tasks call (interface endpoints with private DNS for ECR api and dkr, CloudWatch Logs, ECS, plus CloudWatch with fastscaler's metrics, Application Auto Scaling with cpu_target_tracking and ssmmessages with ECS Exec; the S3 gateway endpoint for ECR image layers) and restrict the tasks' HTTPS egress to them. create_interface_endpoints = false: the VPC already has interface endpoints with private DNS for these services; the module creates none and the tasks reach them through https_egress_cidrs (e.g. the VPC CIDR). subnet_ids: the interface endpoints' subnets, at most one per AZ (null: private_subnet_ids). route_table_ids: the tasks' route tables, for the S3 gateway endpoint; empty when the VPC already has one there (the tasks' egress is still opened to the S3 prefix list). additional_interface_services: more interface endpoints by service suffix, e.g. ecs-agent and ecs-telemetry. client_cidrs: other clients admitted to the endpoints (private DNS sends the whole VPC's calls to them)."
  type = object({
    enabled                       = optional(bool, false)
    create_interface_endpoints    = optional(bool, true)
    subnet_ids                    = optional(list(string))
    route_table_ids               = optional(list(string), [])
    additional_interface_services = optional(list(string), [])
    client_cidrs                  = optional(list(string), [])
  })
  default = {}

  validation {
    condition     = var.vpc_endpoints.subnet_ids == null ? true : length(var.vpc_endpoints.subnet_ids) >= 1 && alltrue([for s in var.vpc_endpoints.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "vpc_endpoints.subnet_ids must be null or hold at least one subnet ID (subnet-...)."
  }
  validation {
    condition     = alltrue([for r in var.vpc_endpoints.route_table_ids : can(regex("^rtb-[0-9a-f]{8,17}$", r))])
    error_message = "vpc_endpoints.route_table_ids must hold route table IDs (rtb-...)."
  }
  validation {
    condition     = alltrue([for s in var.vpc_endpoints.additional_interface_services : can(regex("^[a-z0-9][a-z0-9.-]*$", s))])
    error_message = "vpc_endpoints.additional_interface_services must hold service suffixes such as ecs-agent (com.amazonaws.REGION. is added)."
  }
  validation {
    condition     = alltrue([for c in var.vpc_endpoints.client_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "vpc_endpoints.client_cidrs must be valid IPv4 CIDRs other than 0.0.0.0/0."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Network Load Balancer
# ---------------------------------------------------------------------------------------------------------------------

variable "nlb_internal" {
  description = "Create an internal NLB instead of an internet-facing one."
  type        = bool
  default     = false
}

variable "nlb_ingress_cidrs" {
  description = "IPv4 CIDRs allowed to connect to the NLB listeners (the NLB's security group)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.nlb_ingress_cidrs) >= 1 && alltrue([for c in var.nlb_ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "nlb_ingress_cidrs must hold at least one valid IPv4 CIDR."
  }
}

variable "nlb_tcp_listener_port" {
  description = "Port of the plain TCP listener that forwards to the routers. Null disables it (for a TLS-only NLB)."
  type        = number
  default     = 80

  validation {
    condition     = var.nlb_tcp_listener_port == null ? true : (var.nlb_tcp_listener_port >= 1 && var.nlb_tcp_listener_port <= 65535 && floor(var.nlb_tcp_listener_port) == var.nlb_tcp_listener_port)
    error_message = "nlb_tcp_listener_port must be null or a port number between 1 and 65535."
  }
}

variable "nlb_tls_certificate_arn" {
  description = "ACM certificate ARN. When set, the NLB also gets a TLS listener on nlb_tls_listener_port that terminates TLS and forwards plain TCP to the routers."
  type        = string
  default     = null

  validation {
    condition     = var.nlb_tls_certificate_arn == null || can(regex("^arn:aws[a-z-]*:(acm|iam):", var.nlb_tls_certificate_arn))
    error_message = "nlb_tls_certificate_arn must be null or an ACM (or IAM server certificate) ARN."
  }
}

variable "nlb_tls_listener_port" {
  description = "Port of the TLS listener (used only when nlb_tls_certificate_arn is set)."
  type        = number
  default     = 443

  validation {
    condition     = var.nlb_tls_listener_port >= 1 && var.nlb_tls_listener_port <= 65535 && floor(var.nlb_tls_listener_port) == var.nlb_tls_listener_port
    error_message = "nlb_tls_listener_port must be a port number between 1 and 65535."
  }
}

variable "nlb_tls_ssl_policy" {
  description = "Security policy of the TLS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-", var.nlb_tls_ssl_policy))
    error_message = "nlb_tls_ssl_policy must be an ELB security policy name (ELBSecurityPolicy-...)."
  }
}

variable "nlb_deletion_protection" {
  description = "Protect the NLB against deletion. Turn it off before `terraform destroy`."
  type        = bool
  default     = true
}

variable "nlb_preserve_client_ip" {
  description = "Preserve client IPs on the router target group, so nginx logs the real client address (the NLB adds no X-Forwarded-For). The routers' security group references the NLB's security group, which admits NLB traffic with or without client IP preservation."
  type        = bool
  default     = true
}

variable "nlb_deregistration_delay_seconds" {
  description = "How long the NLB keeps existing connections to a deregistering router before closing them. ECS waits for it before it stops the task, so keep it below the router's stop timeout budget; 30 s drains short API requests without slowing deployments and scale-in."
  type        = number
  default     = 30

  validation {
    condition     = var.nlb_deregistration_delay_seconds >= 0 && var.nlb_deregistration_delay_seconds <= 3600 && floor(var.nlb_deregistration_delay_seconds) == var.nlb_deregistration_delay_seconds
    error_message = "nlb_deregistration_delay_seconds must be a whole number between 0 and 3600."
  }
}

variable "nlb_health_check" {
  description = <<-EOT
    Health check of the router target group. The defaults are tuned for fast registration during a surge: an HTTP
    check of the router's /healthz every 5 s (the NLB minimum) with a threshold of 2 marks a new task healthy about
    10 s after its first check (the NLB default, 30 s x 3, would take 90 s) and takes a failing one out within about
    10 s. The 3 s timeout stays below the interval.
  EOT
  type = object({
    path                = optional(string, "/healthz")
    interval_seconds    = optional(number, 5)
    timeout_seconds     = optional(number, 3)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 2)
  })
  default = {}

  validation {
    condition = (
      startswith(var.nlb_health_check.path, "/") &&
      var.nlb_health_check.interval_seconds >= 5 && var.nlb_health_check.interval_seconds <= 300 &&
      var.nlb_health_check.timeout_seconds >= 2 && var.nlb_health_check.timeout_seconds <= 120 &&
      var.nlb_health_check.timeout_seconds < var.nlb_health_check.interval_seconds &&
      var.nlb_health_check.healthy_threshold >= 2 && var.nlb_health_check.healthy_threshold <= 10 &&
      var.nlb_health_check.unhealthy_threshold >= 2 && var.nlb_health_check.unhealthy_threshold <= 10
    )
    error_message = "nlb_health_check: path must start with /, interval 5-300 s, timeout 2-120 s and below the interval, thresholds 2-10 (the NLB's limits)."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# ECS cluster and Service Connect
# ---------------------------------------------------------------------------------------------------------------------

variable "container_insights" {
  description = "CloudWatch Container Insights on the cluster: enhanced, enabled or disabled. The dashboard's running-task graphs need it (ECS/ContainerInsights)."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enhanced", "enabled", "disabled"], var.container_insights)
    error_message = "container_insights must be one of enhanced, enabled, disabled."
  }
}

variable "service_connect_namespace" {
  description = "Name of the Cloud Map HTTP namespace that joins router (client) and API (servers) through Service Connect, for example dev2a. Null uses name."
  type        = string
  default     = null

  validation {
    condition     = var.service_connect_namespace == null || can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,62}$", var.service_connect_namespace))
    error_message = "service_connect_namespace must be null or 1-63 letters, digits and hyphens, starting with a letter or digit."
  }
}

variable "enable_execute_command" {
  description = "Enable ECS Exec on all four services (adds the ssmmessages permissions to the task roles). Useful to run `fastscaler status` in the daemon's task."
  type        = bool
  default     = false
}

variable "cpu_architecture" {
  description = "CPU architecture of all tasks: X86_64 or ARM64. The images must be built for it."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups, in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN to encrypt the log groups with. Null uses CloudWatch Logs' own encryption. The key policy must allow the logs service principal."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be null or a KMS key ARN."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------------------------------

variable "router_image" {
  description = "Image of the Nginx router (docker/router in this repository), e.g. 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/fastscaler-router:1.0.0."
  type        = string

  validation {
    condition     = length(trimspace(var.router_image)) > 0
    error_message = "router_image must not be empty."
  }
}

variable "api_image" {
  description = "Image of the stable API service."
  type        = string

  validation {
    condition     = length(trimspace(var.api_image)) > 0
    error_message = "api_image must not be empty."
  }
}

variable "api_canary_image" {
  description = "Image of the canary API service. Null uses api_image."
  type        = string
  default     = null
}

variable "fastscaler_image" {
  description = "Image of the fastscaler daemon (docker/autoscaler in this repository)."
  type        = string

  validation {
    condition     = length(trimspace(var.fastscaler_image)) > 0
    error_message = "fastscaler_image must not be empty."
  }
}

variable "ecr_repositories" {
  description = "Create the ECR repositories of the two images built from this repository: PREFIX router (docker/router) and PREFIX fastscaler (docker/autoscaler), with scan on push, immutable tags, KMS encryption and a lifecycle policy that keeps the newest keep_images tagged images. enabled = false (the default): the images come from registries of your own. name_prefix: null means NAME/ (e.g. fastscaler-dev2a/router). kms_key_arn: null encrypts with the AWS managed key aws/ecr. force_delete: let terraform destroy delete repositories that still hold images. The ecr_repository_urls output gives the URLs to push to (docker/README.md); router_image and fastscaler_image then name an image there by tag."
  type = object({
    enabled      = optional(bool, false)
    name_prefix  = optional(string)
    keep_images  = optional(number, 30)
    kms_key_arn  = optional(string)
    force_delete = optional(bool, false)
  })
  default = {}

  validation {
    condition     = var.ecr_repositories.name_prefix == null || can(regex("^([a-z0-9]+([._-][a-z0-9]+)*/)*([a-z0-9]+([._-][a-z0-9]+)*[/._-]?)?$", var.ecr_repositories.name_prefix))
    error_message = "ecr_repositories.name_prefix must be null or lower-case letters, digits and . _ - / as ECR repository names allow (e.g. team/fastscaler-)."
  }
  validation {
    condition     = var.ecr_repositories.keep_images >= 1 && floor(var.ecr_repositories.keep_images) == var.ecr_repositories.keep_images
    error_message = "ecr_repositories.keep_images must be a whole number of at least 1."
  }
  validation {
    condition     = var.ecr_repositories.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.ecr_repositories.kms_key_arn))
    error_message = "ecr_repositories.kms_key_arn must be null or a KMS key ARN."
  }
}

variable "task_sizes" {
  description = "Fargate CPU units and memory (MiB) per task of each workload. The combination must be one Fargate offers."
  type = object({
    router     = optional(object({ cpu = number, memory = number }), { cpu = 512, memory = 1024 })
    api        = optional(object({ cpu = number, memory = number }), { cpu = 1024, memory = 2048 })
    api_canary = optional(object({ cpu = number, memory = number }), { cpu = 1024, memory = 2048 })
    fastscaler = optional(object({ cpu = number, memory = number }), { cpu = 256, memory = 512 })
  })
  default = {}

  validation {
    # Fargate's CPU/memory table: memory range and step per CPU size.
    condition = alltrue([
      for size in values(var.task_sizes) : (
        size.cpu == 256 ? contains([512, 1024, 2048], size.memory) :
        size.cpu == 512 ? size.memory >= 1024 && size.memory <= 4096 && size.memory % 1024 == 0 :
        size.cpu == 1024 ? size.memory >= 2048 && size.memory <= 8192 && size.memory % 1024 == 0 :
        size.cpu == 2048 ? size.memory >= 4096 && size.memory <= 16384 && size.memory % 1024 == 0 :
        size.cpu == 4096 ? size.memory >= 8192 && size.memory <= 30720 && size.memory % 1024 == 0 :
        size.cpu == 8192 ? size.memory >= 16384 && size.memory <= 61440 && size.memory % 4096 == 0 :
        size.cpu == 16384 ? size.memory >= 32768 && size.memory <= 122880 && size.memory % 8192 == 0 :
        false
      )
    ])
    error_message = "task_sizes: every cpu/memory pair must be a Fargate combination (e.g. 256/512, 512/1024, 1024/2048, 2048/4096, 4096/8192)."
  }
}

variable "router_port" {
  description = "Port nginx serves traffic on in the router container (router env LISTEN_PORT) and the target port of the NLB. The router image runs nginx as a non-root user, hence a port above 1023; 8080 is the image's default. Clients still connect to the NLB listener ports (80/443)."
  type        = number
  default     = 8080

  validation {
    condition     = var.router_port >= 1 && var.router_port <= 65535 && floor(var.router_port) == var.router_port
    error_message = "router_port must be a port number between 1 and 65535."
  }
}

variable "api_port" {
  description = "Port the API containers listen on; it is also the Service Connect port the router calls (router env STABLE_UPSTREAM=api:PORT, CANARY_UPSTREAM=canary-api:PORT)."
  type        = number
  default     = 8080

  validation {
    condition     = var.api_port >= 1 && var.api_port <= 65535 && floor(var.api_port) == var.api_port
    error_message = "api_port must be a port number between 1 and 65535."
  }
}

variable "canary_weight" {
  description = "Percentage (0-100, whole number) of router traffic sent to the canary API. Feeds the router's CANARY_WEIGHT and fastscaler's FASTSCALER_WEIGHTS (api:100-w, api-canary:w), so the daemon sizes each side for its share."
  type        = number
  default     = 0

  validation {
    condition     = var.canary_weight >= 0 && var.canary_weight <= 100 && floor(var.canary_weight) == var.canary_weight
    error_message = "canary_weight must be a whole number between 0 and 100."
  }
}

variable "cors_allowed_origins" {
  description = "Origins the router answers CORS requests for (router env CORS_ALLOWED_ORIGINS, comma-separated), e.g. [\"https://example.com\"], or [\"*\"] for any. Empty disables CORS headers."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_allowed_origins : o == "*" || can(regex("^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$", o))])
    error_message = "cors_allowed_origins must hold * or origins of the form scheme://host[:port], such as https://example.com (no path, no trailing slash)."
  }
}

variable "router_extra_environment" {
  description = "Extra environment variables of the router container. They override the module's own (see the router_environment output)."
  type        = map(string)
  default     = {}
}

variable "api_environment" {
  description = "Environment variables of both API containers."
  type        = map(string)
  default     = {}
}

variable "api_canary_environment" {
  description = "Environment variables of the canary API container only, merged over api_environment."
  type        = map(string)
  default     = {}
}

variable "router_health_check_command" {
  description = "Container health check command of the router (ECS format). Null runs curl against /healthz on router_port, which the official nginx image can do."
  type        = list(string)
  default     = null

  validation {
    condition     = var.router_health_check_command == null || try(contains(["CMD", "CMD-SHELL"], var.router_health_check_command[0]), false)
    error_message = "router_health_check_command must start with CMD or CMD-SHELL."
  }
}

variable "api_health_check_command" {
  description = "Container health check command of the API containers (ECS format). Null runs curl against http://127.0.0.1:API_PORT/healthz; set it to what your API image offers."
  type        = list(string)
  default     = null

  validation {
    condition     = var.api_health_check_command == null || try(contains(["CMD", "CMD-SHELL"], var.api_health_check_command[0]), false)
    error_message = "api_health_check_command must start with CMD or CMD-SHELL."
  }
}

variable "api_task_role_arn" {
  description = "Task role of the API containers (what your API may call in AWS). Null creates an empty role (plus ECS Exec permissions when enabled)."
  type        = string
  default     = null

  validation {
    condition     = var.api_task_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.api_task_role_arn))
    error_message = "api_task_role_arn must be null or an IAM role ARN."
  }
}

variable "api_security_group_ids" {
  description = "Extra security groups attached to the API tasks, e.g. one that your database admits. The module's own API group allows only the router in and HTTPS out."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.api_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", g))])
    error_message = "api_security_group_ids must hold security group IDs (sg-...)."
  }
}

variable "iam_permissions_boundary_arn" {
  description = "Permissions boundary attached to every IAM role the module creates, where the organisation requires one."
  type        = string
  default     = null

  validation {
    condition     = var.iam_permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/", var.iam_permissions_boundary_arn))
    error_message = "iam_permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing NLB health checks of a new router task. nginx starts in about a second, but the Service Connect proxy starts first; 30 s covers both without hiding a broken task for long."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647 && floor(var.health_check_grace_period_seconds) == var.health_check_grace_period_seconds
    error_message = "health_check_grace_period_seconds must be a whole number of seconds, 0 or more."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# fastscaler
# ---------------------------------------------------------------------------------------------------------------------

variable "scaled_services" {
  description = <<-EOT
    The services fastscaler scales, with the requests/s one task serves at target utilisation (capacity_rps) and the
    task-count bounds. Builds FASTSCALER_CAPACITY, FASTSCALER_MIN_TASKS and FASTSCALER_MAX_TASKS; min_tasks is also
    each service's desired count at creation (Terraform never changes desired counts afterwards).
  EOT
  type = object({
    router     = optional(object({ capacity_rps = optional(number, 1000), min_tasks = optional(number, 2), max_tasks = optional(number, 50) }), {})
    api        = optional(object({ capacity_rps = optional(number, 250), min_tasks = optional(number, 2), max_tasks = optional(number, 100) }), {})
    api_canary = optional(object({ capacity_rps = optional(number, 250), min_tasks = optional(number, 1), max_tasks = optional(number, 20) }), {})
  })
  default = {}

  validation {
    condition = alltrue([
      for s in values(var.scaled_services) :
      s.capacity_rps > 0 && s.min_tasks >= 1 && s.max_tasks >= s.min_tasks && s.max_tasks <= 5000 &&
      floor(s.min_tasks) == s.min_tasks && floor(s.max_tasks) == s.max_tasks
    ])
    error_message = "scaled_services: capacity_rps must be > 0, min_tasks a whole number >= 1, max_tasks a whole number >= min_tasks (and <= 5000, the ECS service limit)."
  }
}

variable "fastscaler_status_port" {
  description = "Port of stub_status on every router task (FASTSCALER_STATUS_PORT, router env STATUS_PORT). Only fastscaler's security group may reach it."
  type        = number
  default     = 8081

  validation {
    condition     = var.fastscaler_status_port >= 1 && var.fastscaler_status_port <= 65535 && floor(var.fastscaler_status_port) == var.fastscaler_status_port
    error_message = "fastscaler_status_port must be a port number between 1 and 65535."
  }
}

variable "fastscaler_status_path" {
  description = "Path of stub_status on the router (FASTSCALER_STATUS_PATH)."
  type        = string
  default     = "/nginx_status"

  validation {
    condition     = startswith(var.fastscaler_status_path, "/")
    error_message = "fastscaler_status_path must start with /."
  }
}

variable "fastscaler_poll_interval" {
  description = "How often every router task is polled (FASTSCALER_POLL_INTERVAL), a Go duration."
  type        = string
  default     = "2s"

  validation {
    condition     = can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.fastscaler_poll_interval))
    error_message = "fastscaler_poll_interval must be a Go duration such as 1s, 1500ms or 2s."
  }
}

variable "fastscaler_poll_timeout" {
  description = "Per-request stub_status timeout (FASTSCALER_POLL_TIMEOUT), a Go duration below the poll interval. Null (the default) leaves the variable unset, so the daemon's default applies: 1s, or half the poll interval if that is shorter."
  type        = string
  default     = null

  validation {
    condition     = var.fastscaler_poll_timeout == null || can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.fastscaler_poll_timeout))
    error_message = "fastscaler_poll_timeout must be a Go duration such as 500ms or 1s."
  }
}

variable "fastscaler_surge_ratio" {
  description = "Short-window / baseline request-rate ratio that counts as a surge (FASTSCALER_SURGE_RATIO)."
  type        = number
  default     = 1.5

  validation {
    condition     = var.fastscaler_surge_ratio > 1
    error_message = "fastscaler_surge_ratio must be greater than 1."
  }
}

variable "fastscaler_lead_time" {
  description = "How far ahead a surge is projected: Fargate start plus health checks (FASTSCALER_LEAD_TIME), a Go duration."
  type        = string
  default     = "90s"

  validation {
    condition     = can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.fastscaler_lead_time))
    error_message = "fastscaler_lead_time must be a Go duration such as 75s or 2m."
  }
}

variable "fastscaler_scale_in_cooldown" {
  description = "No scale-in until this long after the last scale-out (FASTSCALER_SCALE_IN_COOLDOWN), a Go duration."
  type        = string
  default     = "10m"

  validation {
    condition     = can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.fastscaler_scale_in_cooldown))
    error_message = "fastscaler_scale_in_cooldown must be a Go duration such as 10m or 1h."
  }
}

variable "fastscaler_dry_run" {
  description = "Decide and log but never call UpdateService (FASTSCALER_DRY_RUN). A safe first deployment."
  type        = bool
  default     = false
}

variable "fastscaler_listen" {
  description = "Address of the daemon's /healthz and /status (FASTSCALER_LISTEN). The container health check calls it locally; no security group opens it."
  type        = string
  default     = ":9090"

  validation {
    condition     = can(regex("^[^:]*:[0-9]{1,5}$", var.fastscaler_listen))
    error_message = "fastscaler_listen must be HOST:PORT or :PORT, e.g. :9090."
  }
}

variable "fastscaler_log_level" {
  description = "Daemon log level (FASTSCALER_LOG_LEVEL): debug, info, warn or error."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.fastscaler_log_level)
    error_message = "fastscaler_log_level must be one of debug, info, warn, error."
  }
}

variable "fastscaler_metrics_namespace" {
  description = "CloudWatch namespace of the daemon's metrics (FASTSCALER_METRICS_NAMESPACE). The IAM policy allows PutMetricData to this namespace only. Empty disables publishing, and with it the missing-metrics alarm and the dashboard's fastscaler graphs."
  type        = string
  default     = "Fastscaler"

  validation {
    condition     = var.fastscaler_metrics_namespace == "" || (can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.fastscaler_metrics_namespace)) && !startswith(var.fastscaler_metrics_namespace, "AWS/"))
    error_message = "fastscaler_metrics_namespace must be empty or up to 255 characters of letters, digits and . _ / # : -, and must not start with AWS/."
  }
}

variable "fastscaler_standby" {
  description = "Run fastscaler as a hot standby pair: two tasks (spread over the AZs of private_subnet_ids), both polling and deciding, only the holder of a leader lease writing. Creates the lease's DynamoDB table (NAME-fastscaler-lease, on-demand), passes it as FASTSCALER_LEASE_TABLE, grants the task role GetItem/PutItem/UpdateItem on it, and deploys with 100 % minimum healthy / 200 % maximum so a deploy hands over in seconds. False: one task, no lease, deployments at 0 %/100 % (never two daemons)."
  type        = bool
  default     = true
}

variable "fastscaler_lease_duration" {
  description = "How long the leader lease holds without renewal (FASTSCALER_LEASE_DURATION), a Go duration of at least 8s: a standby takes over a crashed leader after this. Used only with fastscaler_standby."
  type        = string
  default     = "10s"

  validation {
    condition = can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.fastscaler_lease_duration)) && try(sum([
      for m in regexall("([0-9]+(?:\\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", var.fastscaler_lease_duration) :
      tonumber(m[0]) * { ns = 0.000001, us = 0.001, "µs" = 0.001, ms = 1, s = 1000, m = 60000, h = 3600000 }[m[1]]
    ]) >= 8000, false)
    error_message = "fastscaler_lease_duration must be a Go duration of at least 8s (twice the 4 s margin a leader keeps before each write), such as 10s or 15s."
  }
}

variable "fastscaler_lease_renew" {
  description = "How often the leader renews its lease (FASTSCALER_LEASE_RENEW), a Go duration of at most half fastscaler_lease_duration. Used only with fastscaler_standby."
  type        = string
  default     = "2s"

  validation {
    condition = can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.fastscaler_lease_renew)) && try(sum([
      for m in regexall("([0-9]+(?:\\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", var.fastscaler_lease_renew) :
      tonumber(m[0]) * { ns = 0.000001, us = 0.001, "µs" = 0.001, ms = 1, s = 1000, m = 60000, h = 3600000 }[m[1]]
    ]) > 0, false)
    error_message = "fastscaler_lease_renew must be a positive Go duration such as 2s or 1500ms."
  }
}

variable "fastscaler_extra_environment" {
  description = "Extra environment variables of the fastscaler container: the daemon's knobs that have no variable of their own (the policy's rarely-tuned knobs, FASTSCALER_DISCOVERY_INTERVAL, FASTSCALER_ECS_RATE; see the README, \"fastscaler environment\"), and variables newer than this module. They override the module's own (see the fastscaler_environment output). The daemon checks every value when it starts and exits naming each bad one."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------------------------
# Safety net: Application Auto Scaling
# ---------------------------------------------------------------------------------------------------------------------

variable "cpu_target_tracking" {
  description = <<-EOT
    Optional Application Auto Scaling target tracking on average CPU for api and api-canary, as a safety net under
    fastscaler, which then runs in AAS mode: it raises MinCapacity with each scale-out, so the policy never cuts
    what fastscaler added, and lowers it back on scale-in. MinCapacity/MaxCapacity start at the scaled_services
    bounds. disable_scale_in = true keeps the policy's own scale-outs until someone removes them.
  EOT
  type = object({
    enabled                    = optional(bool, false)
    target_cpu_percent         = optional(number, 70)
    scale_out_cooldown_seconds = optional(number, 60)
    disable_scale_in           = optional(bool, false)
  })
  default = {}

  validation {
    condition = (
      var.cpu_target_tracking.target_cpu_percent > 0 && var.cpu_target_tracking.target_cpu_percent <= 100 &&
      var.cpu_target_tracking.scale_out_cooldown_seconds >= 0
    )
    error_message = "cpu_target_tracking: target_cpu_percent must be in (0, 100] and scale_out_cooldown_seconds >= 0."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Monitoring
# ---------------------------------------------------------------------------------------------------------------------

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires and when it recovers (e.g. an SNS topic)."
  type        = list(string)
  default     = []
}

variable "api_5xx_alarm_threshold" {
  description = "Service Connect target 5xx responses per minute (per API service) above which the 5xx alarm fires."
  type        = number
  default     = 10

  validation {
    condition     = var.api_5xx_alarm_threshold >= 0
    error_message = "api_5xx_alarm_threshold must be 0 or more."
  }
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard (request rate, desired/running per service, surge mode, 5xx)."
  type        = bool
  default     = true
}
