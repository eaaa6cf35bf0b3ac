# The Network Load Balancer scales its own capacity within seconds and needs no pre-warming, which is why it fronts
# the routers: during a surge the limit is how fast new router tasks start and pass health checks, and fastscaler and
# the health check settings below shorten exactly that.

resource "aws_lb" "this" {
  name               = var.name
  load_balancer_type = "network"
  subnets            = var.public_subnet_ids
  # Internet-facing unless nlb_internal is true, on purpose: the NLB is the entry point of a public streaming API,
  # and its security group admits only the listener ports, from nlb_ingress_cidrs. Trivy's AWS-0053 (load balancer
  # exposed to the internet) is that decision; set nlb_internal = true for a private API.
  #trivy:ignore:AWS-0053
  internal = var.nlb_internal
  # An NLB created without security groups can never get one later, so it always has one.
  security_groups = [aws_security_group.this["nlb"].id]

  # Cross-zone on: with few router tasks per AZ (or a scale-out that lands unevenly), per-AZ balancing would overload
  # one AZ's routers while another idles.
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.nlb_deletion_protection

  tags = local.tags

  lifecycle {
    precondition {
      condition     = length(local.nlb_listener_ports) > 0
      error_message = "The NLB needs a listener: set nlb_tcp_listener_port, nlb_tls_certificate_arn, or both."
    }
    precondition {
      condition     = length(local.nlb_listener_ports) == length(distinct(local.nlb_listener_ports))
      error_message = "nlb_tcp_listener_port and nlb_tls_listener_port must differ."
    }
  }
}

resource "aws_lb_target_group" "router" {
  name        = "${var.name}-router"
  target_type = "ip" # Fargate tasks register by ENI address.
  protocol    = "TCP"
  port        = var.router_port
  vpc_id      = var.vpc_id

  # Draining: ECS deregisters a router before it stops it and waits this long; then the NLB closes what is left
  # (connection_termination) so clients reconnect to a live router instead of hanging on a stopped one.
  deregistration_delay   = var.nlb_deregistration_delay_seconds
  connection_termination = true
  preserve_client_ip     = var.nlb_preserve_client_ip

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = var.nlb_health_check.path
    matcher             = "200-399"
    interval            = var.nlb_health_check.interval_seconds
    timeout             = var.nlb_health_check.timeout_seconds
    healthy_threshold   = var.nlb_health_check.healthy_threshold
    unhealthy_threshold = var.nlb_health_check.unhealthy_threshold
  }

  tags = local.tags
}

locals {
  # The listeners, by protocol: plain TCP on nlb_tcp_listener_port, TLS (terminated by the NLB) with
  # nlb_tls_certificate_arn; each is there when its input is set. Both forward to the router target group.
  nlb_listeners = merge(
    var.nlb_tcp_listener_port == null ? {} : {
      tcp = { protocol = "TCP", port = var.nlb_tcp_listener_port, certificate_arn = null, ssl_policy = null, alpn_policy = null }
    },
    var.nlb_tls_certificate_arn == null ? {} : {
      # nginx's traffic port speaks HTTP/1.1 in plain text behind the NLB.
      tls = { protocol = "TLS", port = var.nlb_tls_listener_port, certificate_arn = var.nlb_tls_certificate_arn, ssl_policy = var.nlb_tls_ssl_policy, alpn_policy = "HTTP1Only" }
    },
  )
}

resource "aws_lb_listener" "this" {
  for_each = local.nlb_listeners

  load_balancer_arn = aws_lb.this.arn
  protocol          = each.value.protocol
  port              = each.value.port
  certificate_arn   = each.value.certificate_arn
  ssl_policy        = each.value.ssl_policy
  alpn_policy       = each.value.alpn_policy

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.router.arn
  }

  tags = local.tags
}
