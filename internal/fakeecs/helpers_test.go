package fakeecs_test

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/fastscaler/fastscaler/internal/awstest"
)

const (
	region    = "us-east-1"
	account   = "123456789012"
	arnPrefix = "arn:aws:ecs:" + region + ":" + account + ":"
)

// ecsJSON is ECS's awsJson1_1 endpoint.
var ecsJSON = awstest.JSONService{TargetPrefix: "AmazonEC2ContainerServiceV20141113.", SigningName: "ecs"}

// t0 is a whole second, so that epoch-second timestamps survive the wire exactly.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newClient returns the real SDK client aimed at url (awstest.Config).
func newClient(url string) *ecs.Client { return ecs.NewFromConfig(awstest.Config(url)) }

// addressOf gives each service its own /24 and every task n the host n+1, so tests can predict addresses.
func addressOf(service string, n int) string {
	switch service {
	case "api6":
		return fmt.Sprintf("fd00:6::%x", n+1)
	case "dual":
		return fmt.Sprintf("10.2.0.%d,fd00:2::%x", n+1, n+1)
	default:
		return fmt.Sprintf("10.1.0.%d", n+1)
	}
}

func ptr[T any](v T) *T { return &v }
