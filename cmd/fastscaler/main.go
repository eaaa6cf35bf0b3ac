// Command fastscaler is the fast ECS autoscaler: the daemon (`fastscaler run`), the SRE commands (prescale,
// status, pause, resume), the simulator and the container health check. Run `fastscaler help` for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/fastscaler/fastscaler/internal/cli"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(cli.Main(ctx, cli.Env{
		Args: os.Args[1:], Environ: os.Environ(), Stdout: os.Stdout, Stderr: os.Stderr, Version: version,
	}))
}
