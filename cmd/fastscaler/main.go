// Command fastscaler is the fast ECS autoscaler: the daemon (`fastscaler run`), the SRE commands (prescale,
// status, pause, resume), the simulator and the container health check. Run `fastscaler help` for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/fastscaler/fastscaler/internal/cli"
)

// version is stamped at build time with -ldflags "-X main.version=..." (the release archives, the image).
var version = "dev"

// moduleVersion is the version `go install ...@VERSION` records in the binary, when no stamp was given.
func moduleVersion(stamped string, info *debug.BuildInfo, ok bool) string {
	if stamped != "dev" || !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return stamped
	}
	return info.Main.Version
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	info, ok := debug.ReadBuildInfo()
	os.Exit(cli.Main(ctx, cli.Env{
		Args: os.Args[1:], Environ: os.Environ(), Stdout: os.Stdout, Stderr: os.Stderr, Version: moduleVersion(version, info, ok),
	}))
}
