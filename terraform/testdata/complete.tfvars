# Inputs of the offline plan of examples/complete in invariants_test.go: fake IDs, no AWS account behind them.
region             = "ap-northeast-1"
name               = "fastscaler-test"
vpc_id             = "vpc-0123456789abcdef0"
public_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"]
private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]

private_route_table_ids = ["rtb-0ccccccccccccccc1", "rtb-0ccccccccccccccc2", "rtb-0ccccccccccccccc3"]

service_connect_namespace = "dev2a"

router_image     = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/fastscaler-test/router:1.0.0"
api_image        = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:stable"
api_canary_image = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:canary"
fastscaler_image = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/fastscaler-test/fastscaler:1.0.0"

canary_weight        = 10
cors_allowed_origins = ["https://example.com"]

nlb_tls_certificate_arn = "arn:aws:acm:ap-northeast-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
alarm_actions           = ["arn:aws:sns:ap-northeast-1:123456789012:oncall"]
