package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/fastscaler/fastscaler/autoscaler/config"
)

// envFileVar names the env file when --env-file is not given.
const envFileVar = "FASTSCALER_ENV_FILE"

// globalFlagsUsage ends every command's help.
const globalFlagsUsage = `
Global flags (before or after the command):
  --env-file FILE    KEY=VALUE lines (e.g. 'terraform output -raw fastscaler_env_file'); a variable set in the
                     environment wins over the file; default: $FASTSCALER_ENV_FILE
`

// cutEnvFileFlag removes --env-file FILE (or -env-file, or =FILE) from args, wherever it stands before a "--".
func cutEnvFileFlag(args []string) (path string, rest []string, err error) {
	rest = make([]string, 0, len(args))
	seen := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "env-file" {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return "", nil, usagef("--env-file needs a file")
			}
			i++
			value = args[i]
		}
		if seen {
			return "", nil, usagef("--env-file given twice")
		}
		if value == "" {
			return "", nil, usagef("--env-file needs a file")
		}
		path, seen = value, true
	}
	return path, rest, nil
}

// withEnvFile returns env with the variables of the env file (path, else $FASTSCALER_ENV_FILE, else none) added
// under its environment: a variable the environment sets, even to "", keeps its value.
func withEnvFile(env Env, path string) (Env, error) {
	if path == "" {
		path = lookupEnv(env.Environ, envFileVar, "")
	}
	if path == "" {
		return env, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return env, usageError{fmt.Errorf("reading the env file: %w", err)}
	}
	vars, err := config.ParseEnvFile(path, data)
	if err != nil {
		return env, usageError{err}
	}
	emptyIsValue := map[string]bool{}
	for _, k := range config.Knobs() {
		emptyIsValue[k.Var] = k.EmptyIsValue
	}
	set := make(map[string]string, len(env.Environ))
	for _, kv := range env.Environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.TrimSpace(v) == "" && !emptyIsValue[k] {
			continue // an empty variable is unset: the file's value applies (appended after it, it wins)
		}
		set[k] = v
	}
	environ := append([]string(nil), env.Environ...)
	for _, v := range vars {
		shell, ok := set[v.Key]
		switch {
		case !ok:
			environ = append(environ, v.Key+"="+v.Value)
		case shell != v.Value:
			// The environment wins, as documented; said aloud, since a stale export would otherwise silently
			// replace the deployed setting (a MAX_TASKS above the daemon's lets a floor be refused later).
			fmt.Fprintf(env.Stderr, "fastscaler: warning: %s=%s from the environment overrides %s=%s of %s\n", v.Key, shell, v.Key, v.Value, path)
		}
	}
	env.Environ = environ
	return env, nil
}
