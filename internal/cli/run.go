package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"go.uber.org/zap"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/autoscaler/lease"
)

var runCmd = command{
	name:    "run",
	summary: "run the autoscaling daemon (the container's default command)",
	usage: `Usage: fastscaler run

Runs the daemon: polls nginx stub_status on every task of FASTSCALER_ROUTER_SERVICE every FASTSCALER_POLL_INTERVAL,
detects surges, and sets the desired count of every service in FASTSCALER_CAPACITY. Serves /healthz and /status on
FASTSCALER_LISTEN. Stops cleanly on SIGTERM. Every setting is an environment variable (see README.md).

Example:
  FASTSCALER_CLUSTER=prod FASTSCALER_ROUTER_SERVICE=router \
  FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250 FASTSCALER_WEIGHTS=api:90,api-canary:10 \
  fastscaler run
`,
	run: runDaemon,
}

var healthcheckCmd = command{
	name:    "healthcheck",
	summary: "exit 0 when the local daemon's /healthz answers 200 (container health check)",
	usage: `Usage: fastscaler healthcheck [--timeout 3s]

Asks the daemon on this host (FASTSCALER_LISTEN, default :9090) for /healthz and exits 0 when it answers 200,
1 otherwise. For the ECS container health check of the distroless image, which has no curl.

Example (ECS task definition):
  "healthCheck": {"command": ["CMD", "/fastscaler", "healthcheck"], "interval": 10, "retries": 3}
`,
	run: runHealthcheck,
}

var versionCmd = command{
	name:    "version",
	summary: "print the version",
	usage:   "Usage: fastscaler version\n\nPrints the version stamped at build time.\n\nExample:\n  fastscaler version\n",
	run: func(ctx context.Context, env Env, args []string) error {
		if err := parseFlags(newFlags("version"), args); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "fastscaler", env.Version)
		return nil
	},
}

func runDaemon(ctx context.Context, env Env, args []string) error {
	if err := parseFlags(newFlags("run"), args); err != nil {
		return err
	}
	cfg, err := autoscaler.LoadConfig(env.Environ)
	if err != nil {
		return usageError{err}
	}
	log, err := autoscaler.NewLogger(cfg.LogLevel)
	if err != nil {
		return usageError{err}
	}
	defer func() { _ = log.Sync() }()
	log = log.With(zap.String("version", env.Version))
	for _, n := range cfg.Ignored {
		// At error level: a setting the SRE believes in is not applied, and LOG_LEVEL=error must not hide that.
		log.Error("ignoring a variable this version does not know", zap.String("variable", n))
	}

	awsCfg, err := loadAWS(ctx, env)
	if err != nil {
		return err
	}
	// Writes get the standard retryer: the adaptive one rate-limits every call of a client once any is throttled,
	// and a throttled read must not delay a scale-out.
	writes := ecs.NewFromConfig(awsCfg, func(o *ecs.Options) { o.Retryer = retry.NewStandard() })
	deps := autoscaler.Deps{ECS: ecs.NewFromConfig(awsCfg), ECSWrites: writes, Log: log}
	if cfg.AASMode == "auto" {
		deps.AAS = applicationautoscaling.NewFromConfig(awsCfg)
		deps.AASWrites = applicationautoscaling.NewFromConfig(awsCfg, func(o *applicationautoscaling.Options) { o.Retryer = retry.NewStandard() })
	}
	if cfg.MetricsNamespace != "" {
		deps.Metrics = cloudwatch.NewFromConfig(awsCfg)
	}
	if cfg.LeaseTable != "" {
		deps.Leader = lease.New(
			lease.NewDynamoDB(dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.Retryer = retry.NewStandard() }), cfg.LeaseTable),
			cfg.Cluster+"/"+cfg.RouterService, leaseOwner(), cfg.LeaseDuration, cfg.LeaseRenew, time.Now)
	}
	d, err := autoscaler.New(cfg, deps)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s (FASTSCALER_LISTEN): %w", cfg.Listen, err)
	}
	serveErr := make(chan error, 1)
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	go func() { serveErr <- autoscaler.Serve(serveCtx, l, d.Handler()) }()
	runErr := d.Run(ctx)
	stopServing() // Run returns at shutdown, or at once on a configuration error found against AWS
	var cfgErr autoscaler.ConfigError
	if errors.As(runErr, &cfgErr) {
		runErr = usageError{cfgErr}
	}
	if err := <-serveErr; err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

func runHealthcheck(ctx context.Context, env Env, args []string) error {
	fs := newFlags("healthcheck")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	listen := lookupEnv(env.Environ, "FASTSCALER_LISTEN", config.Default("FASTSCALER_LISTEN"))
	url, err := healthURL(listen)
	if err != nil {
		return usageError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	var body [512]byte
	n, _ := resp.Body.Read(body[:])
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s answered %d: %s", url, resp.StatusCode, strings.TrimSpace(string(body[:n])))
	}
	return nil
}

// healthURL turns a listen address into the URL of /healthz on this host.
func healthURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("FASTSCALER_LISTEN=%q: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}

func lookupEnv(environ []string, key, def string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			if strings.TrimSpace(v) == "" {
				return def
			}
			return v
		}
	}
	return def
}

// leaseOwner names this process in the leader lease: its host (the task's) and a random suffix, unique per process.
func leaseOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "fastscaler"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%x", host, b)
}
