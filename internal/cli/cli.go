// Package cli implements fastscaler's command line: argument parsing, help, exit codes, and the subcommands,
// each a thin layer over the autoscaler, policy, simulator and calibrate packages.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fastscaler/fastscaler/internal/clock"
)

// Exit codes.
const (
	ExitOK     = 0 // success
	ExitFailed = 1 // the command ran and failed (AWS error, unhealthy daemon, timeout)
	ExitUsage  = 2 // bad flags, arguments or configuration: nothing was changed
)

// Env is the process environment a command runs in.
type Env struct {
	Args    []string
	Environ []string
	Stdout  io.Writer
	Stderr  io.Writer
	Version string
	Clock   clock.Clock // nil: the wall clock
	// Terminal reports whether Stdout is a terminal (progress bars, status --watch); nil: detect from Stdout.
	Terminal func() bool
}

func (e Env) clock() clock.Clock {
	if e.Clock == nil {
		return clock.Real{}
	}
	return e.Clock
}

func (e Env) terminal() bool {
	if e.Terminal != nil {
		return e.Terminal()
	}
	f, ok := e.Stdout.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

type command struct {
	name    string
	summary string
	usage   string // synopsis and description, with an example
	run     func(ctx context.Context, env Env, args []string) error
}

// commands is every subcommand, in the order 'fastscaler help' lists them. Each is declared next to its code.
var commands = []*command{
	&runCmd, &prescaleCmd, &statusCmd, &pauseCmd, &resumeCmd, &simulateCmd, &calibrateCmd, &healthcheckCmd, &versionCmd,
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageError marks a problem with how a command was called; it exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// Main runs the command named by env.Args and returns the process exit code.
func Main(ctx context.Context, env Env) int {
	envFile, rest, err := cutEnvFileFlag(env.Args)
	if err != nil {
		fmt.Fprintf(env.Stderr, "fastscaler: %s\n", err)
		return ExitUsage
	}
	if len(rest) == 0 {
		printHelp(env.Stderr)
		return ExitUsage
	}
	name, args := rest[0], rest[1:]
	switch name {
	case "-h", "--help", "-help", "help":
		if len(args) > 0 {
			c := lookup(args[0])
			if c == nil {
				fmt.Fprintf(env.Stderr, "fastscaler: unknown command %q; run 'fastscaler help'\n", args[0])
				return ExitUsage
			}
			fmt.Fprint(env.Stdout, c.usage+globalFlagsUsage)
			return ExitOK
		}
		printHelp(env.Stdout)
		return ExitOK
	case "-v", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(env.Stderr, "fastscaler: unknown command %q; run 'fastscaler help'\n", name)
		return ExitUsage
	}
	if env, err = withEnvFile(env, envFile); err == nil {
		err = c.run(ctx, env, args)
	}
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(env.Stdout, c.usage+globalFlagsUsage)
		return ExitOK
	}
	printError(env.Stderr, "fastscaler "+name, err)
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailed
}

// printError writes each line of err on its own line after prefix: every problem (a configuration lists them all)
// reads alone, in a log or a grep, and names the command.
func printError(w io.Writer, prefix string, err error) {
	for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			fmt.Fprintf(w, "%s: %s\n", prefix, line)
		}
	}
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `fastscaler scales ECS Fargate services ahead of traffic surges, from nginx stub_status.

Usage: fastscaler COMMAND [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'fastscaler help COMMAND' for a command's flags and an example.
Configuration comes from FASTSCALER_* environment variables (see README.md), and from --env-file FILE (or
FASTSCALER_ENV_FILE) for those the environment does not set; AWS access from the SDK's default chain (AWS_REGION,
AWS_PROFILE, task role, AWS_ENDPOINT_URL_ECS, ...).

Exit codes: 0 success, 1 failure (AWS error, unhealthy, timeout), 2 usage or configuration error.
`)
}

// newFlags returns a FlagSet that reports errors instead of exiting, and prints nothing itself.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args, turning flag errors into usage errors and refusing stray arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// flagGiven reports whether the command line fs parsed set the flag called name, even to its default.
func flagGiven(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// writeJSON writes v as every --json output is: indented by two spaces, one value, a newline after it.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
