package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/fastscaler/fastscaler/autoscaler"
)

// loadAWS loads the SDK's default configuration (process environment, shared config, task role) with
// the adaptive retryer, which backs off and retries when ECS throttles.
func loadAWS(ctx context.Context, env Env) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer { return retry.NewAdaptiveMode() }),
	}
	if r := lookupEnv(env.Environ, "AWS_REGION", ""); r != "" { // the SDK reads the process's; --env-file may add one
		opts = append(opts, awsconfig.WithRegion(r))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, usagef("no AWS region: set AWS_REGION (ECS sets it in tasks)")
	}
	return cfg, nil
}

// servicesConfig loads the scaled services' configuration, with --cluster overriding FASTSCALER_CLUSTER.
func servicesConfig(env Env, cluster string) (autoscaler.Config, error) {
	environ := env.Environ
	if cluster != "" {
		environ = append(append([]string(nil), environ...), "FASTSCALER_CLUSTER="+cluster)
	}
	c, err := autoscaler.LoadServicesConfig(environ)
	if err != nil {
		return autoscaler.Config{}, usageError{err}
	}
	warnIgnored(env, c.Ignored)
	return c, nil
}

// warnIgnored says which FASTSCALER_* variables this version does not know (a newer version's, say): they are
// ignored, not refused, so an older binary still runs.
func warnIgnored(env Env, names []string) {
	for _, n := range names {
		fmt.Fprintf(env.Stderr, "fastscaler: warning: %s is not a setting of this version (%s); ignored\n", n, env.Version)
	}
}

func newECS(ctx context.Context, env Env, cfg autoscaler.Config) (*autoscaler.ECS, error) {
	e, _, err := newClients(ctx, env, cfg)
	return e, err
}

// newClients returns the ECS client and, unless FASTSCALER_AAS_MODE is off, the Application Auto Scaling one.
func newClients(ctx context.Context, env Env, cfg autoscaler.Config) (*autoscaler.ECS, *autoscaler.AAS, error) {
	awsCfg, err := loadAWS(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	var a *autoscaler.AAS
	if cfg.AASMode != "off" {
		a = autoscaler.NewAAS(applicationautoscaling.NewFromConfig(awsCfg), cfg.Cluster, 20)
	}
	return autoscaler.NewECS(ecs.NewFromConfig(awsCfg), cfg.Cluster, 20), a, nil
}

// explainAWS adds what an SRE should do to the AWS errors they will meet.
func explainAWS(err error) error {
	if err == nil {
		return nil
	}
	var cnf *types.ClusterNotFoundException
	var ae smithy.APIError
	switch {
	case errors.As(err, &cnf):
		return fmt.Errorf("%w\n(check FASTSCALER_CLUSTER or --cluster, and AWS_REGION)", err)
	case errors.As(err, &ae) && (ae.ErrorCode() == "AccessDeniedException" || ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "UnauthorizedOperation"):
		return fmt.Errorf("%w\n(the caller's IAM policy must allow this call on the service; see README, IAM permissions)", err)
	case errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "Throttl"):
		return fmt.Errorf("%w\n(AWS kept throttling after retries; try again in a minute)", err)
	case strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found"):
		return fmt.Errorf("%w\n(no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where a role is available)", err)
	}
	return err
}
