package config

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Env files: `terraform output -raw fastscaler_env_file` renders one, the CLI reads it (--env-file), and the README's
// examples are read as one by its tests.

// EnvVar is one KEY=VALUE of an env file.
type EnvVar struct{ Key, Value string }

// ParseEnvFile reads the dotenv subset: KEY=VALUE lines, blank lines, # comments, an optional "export " prefix,
// and values in single quotes (literal) or double quotes (with \" \\ \n \t escapes). Errors name name:line.
// AWS SDK settings other than AWS_REGION are refused: the SDK reads them from the process environment only.
func ParseEnvFile(name string, data []byte) ([]EnvVar, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out []EnvVar
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
		if at, dup := first[v.Key]; dup {
			return nil, fmt.Errorf("%s:%d: %s is already set on line %d", name, line, v.Key, at)
		}
		if strings.HasPrefix(v.Key, "AWS_") && v.Key != "AWS_REGION" {
			return nil, fmt.Errorf("%s:%d: %s is read by the AWS SDK from the environment only: export it instead", name, line, v.Key)
		}
		first[v.Key] = line
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return out, nil
}

// parseEnvLine parses one line; ok is false for a blank or comment line.
func parseEnvLine(raw string) (v EnvVar, ok bool, err error) {
	s := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
	if s == "" || strings.HasPrefix(s, "#") {
		return EnvVar{}, false, nil
	}
	if rest, found := strings.CutPrefix(s, "export"); found && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		s = strings.TrimSpace(rest)
	}
	key, value, found := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !found {
		return EnvVar{}, false, fmt.Errorf("want KEY=VALUE, got %q", clip(s))
	}
	if !validEnvName(key) {
		return EnvVar{}, false, fmt.Errorf("%q is not a variable name (letters, digits and _, not starting with a digit)", clip(key))
	}
	value, err = parseEnvValue(strings.TrimSpace(value))
	if err != nil {
		return EnvVar{}, false, fmt.Errorf("%s: %w", key, err)
	}
	return EnvVar{key, value}, true, nil
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
