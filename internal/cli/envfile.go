package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
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
	vars, err := parseEnvFile(path, data)
	if err != nil {
		return env, usageError{err}
	}
	set := make(map[string]bool, len(env.Environ))
	for _, kv := range env.Environ {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	environ := append([]string(nil), env.Environ...)
	for _, v := range vars {
		if !set[v.key] {
			environ = append(environ, v.key+"="+v.value)
		}
	}
	env.Environ = environ
	return env, nil
}

type envVar struct{ key, value string }

// parseEnvFile reads the dotenv subset: KEY=VALUE lines, blank lines, # comments, an optional "export " prefix,
// and values in single quotes (literal) or double quotes (with \" \\ \n \t escapes). Errors name name:line.
// AWS SDK settings other than AWS_REGION are refused: the SDK reads them from the process environment only.
func parseEnvFile(name string, data []byte) ([]envVar, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out []envVar
	first := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		v, ok, err := parseEnvLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if !ok {
			continue
		}
		if at, dup := first[v.key]; dup {
			return nil, fmt.Errorf("%s:%d: %s is already set on line %d", name, line, v.key, at)
		}
		if strings.HasPrefix(v.key, "AWS_") && v.key != "AWS_REGION" {
			return nil, fmt.Errorf("%s:%d: %s is read by the AWS SDK from the environment only: export it instead", name, line, v.key)
		}
		first[v.key] = line
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return out, nil
}

// parseEnvLine parses one line; ok is false for a blank or comment line.
func parseEnvLine(raw string) (v envVar, ok bool, err error) {
	s := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
	if s == "" || strings.HasPrefix(s, "#") {
		return envVar{}, false, nil
	}
	if rest, found := strings.CutPrefix(s, "export"); found && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		s = strings.TrimSpace(rest)
	}
	key, value, found := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !found {
		return envVar{}, false, fmt.Errorf("want KEY=VALUE, got %q", clip(s))
	}
	if !validEnvName(key) {
		return envVar{}, false, fmt.Errorf("%q is not a variable name (letters, digits and _, not starting with a digit)", clip(key))
	}
	value, err = parseEnvValue(strings.TrimSpace(value))
	if err != nil {
		return envVar{}, false, fmt.Errorf("%s: %w", key, err)
	}
	return envVar{key, value}, true, nil
}

// parseEnvValue unquotes a value; an unquoted one ends at " #" (a comment).
func parseEnvValue(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	var value, tail string
	switch q := s[0]; q {
	case '\'':
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", fmt.Errorf("no closing ' in %s", clip(s))
		}
		value, tail = s[1:1+end], s[2+end:]
	case '"':
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] != '\\' || i+1 == len(s) {
				b.WriteByte(s[i])
				continue
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '$':
				b.WriteByte(s[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		}
		if i == len(s) {
			return "", fmt.Errorf(`no closing " in %s`, clip(s))
		}
		value, tail = b.String(), s[i+1:]
	default:
		if i := strings.Index(s, " #"); i >= 0 {
			s = s[:i]
		}
		if i := strings.Index(s, "\t#"); i >= 0 {
			s = s[:i]
		}
		return strings.TrimSpace(s), nil
	}
	if tail = strings.TrimSpace(tail); tail != "" && !strings.HasPrefix(tail, "#") {
		return "", fmt.Errorf("unexpected %s after the closing quote", clip(tail))
	}
	return value, nil
}

func validEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// clip shortens s for an error message.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:37]) + "..."
	}
	return s
}
