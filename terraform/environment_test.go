package terraform_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/config"
	"github.com/fastscaler/fastscaler/policy/knob"
	"github.com/google/go-cmp/cmp"
)

// environmentRow is one row of the README's "fastscaler environment" table.
type environmentRow struct {
	variable string // FASTSCALER_...
	from     string // where the module takes it from
	defaults string // "the daemon's", "unset: ...", or "—" (built from the resources)
}

// environmentTable reads the README's "fastscaler environment" table; the last row (every other policy knob) is left
// out.
func environmentTable(t *testing.T) map[string]environmentRow {
	t.Helper()
	readme := read(t, "README.md")
	const heading = "### fastscaler environment"
	start := strings.Index(readme, heading)
	if start < 0 {
		t.Fatalf("README.md has no %q section", heading)
	}
	section := readme[start+len(heading):]
	if end := strings.Index(section, "\n### "); end >= 0 {
		section = section[:end]
	}
	row := regexp.MustCompile("(?m)^\\| `(FASTSCALER_[A-Z0-9_]+)` \\| (.+) \\| (.+) \\|$")
	rows := map[string]environmentRow{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		if _, dup := rows[m[1]]; dup {
			t.Errorf("README.md, %s: %s has two rows", heading, m[1])
		}
		rows[m[1]] = environmentRow{variable: m[1], from: m[2], defaults: m[3]}
	}
	if len(rows) == 0 {
		t.Fatalf("README.md, %s: no table rows", heading)
	}
	return rows
}

// checkEnvironment checks the README's "fastscaler environment" table against the daemon's knobs (autoscaler/config,
// their one declaration) and against the plan: fsEnv is the fastscaler container's environment in examples/complete,
// which leaves every fastscaler_* variable but fastscaler_dry_run at its default.
func checkEnvironment(t *testing.T, p *plan, fsEnv map[string]string) {
	t.Helper()
	rows := environmentTable(t)
	knobs := map[string]knob.Knob[config.Config]{}
	for _, k := range config.Knobs() {
		knobs[k.Var] = k
	}
	module := p.Configuration.RootModule.ModuleCalls["fastscaler"].Module
	if module == nil {
		t.Fatal("the plan's configuration has no module call fastscaler")
	}
	variable := regexp.MustCompile("^`([a-z0-9_]+)`")

	for name := range rows {
		if _, ok := knobs[name]; !ok {
			t.Errorf("README.md documents %s, which is not a knob of autoscaler/config", name)
		}
	}
	for name, k := range knobs {
		r, listed := rows[name]
		set := fsEnv[name] != ""
		switch {
		case !listed:
			if k.Scope != knob.Policy {
				t.Errorf("%s is not in the README's fastscaler environment table: say where the module takes it from", name)
			}
			if set {
				t.Errorf("the module sets %s, which the README leaves to fastscaler_extra_environment (every other policy knob)", name)
			}
		case strings.HasPrefix(r.defaults, "unset"):
			if set {
				t.Errorf("the module sets %s=%q, which the README says it leaves unset", name, fsEnv[name])
			}
		case !set:
			t.Errorf("the module does not set %s, which the README says comes from %s", name, r.from)
		case r.defaults == "the daemon's":
			m := variable.FindStringSubmatch(r.from)
			if m == nil {
				t.Errorf("README.md, %s: %q names no module variable", name, r.from)
				continue
			}
			v, ok := module.Variables[m[1]]
			if !ok {
				t.Errorf("README.md, %s: variable %s is not declared", name, m[1])
				continue
			}
			if got := fmt.Sprint(v.Default); !sameValue(k.Type, got, k.Default) {
				t.Errorf("variable %s defaults to %s, the daemon's %s to %s", m[1], got, name, k.Default)
			}
			if name != "FASTSCALER_DRY_RUN" && !sameValue(k.Type, fsEnv[name], k.Default) { // the example sets dry run
				t.Errorf("examples/complete passes %s=%q, the daemon's default is %s", name, fsEnv[name], k.Default)
			}
		}
		if listed && strings.HasPrefix(r.from, "`fastscaler_extra_environment`") && set {
			t.Errorf("the module sets %s, which the README leaves to fastscaler_extra_environment", name)
		}
	}
}

// sameValue reports whether two values of a knob of type typ are the same setting (90s is 1m30s).
func sameValue(typ, a, b string) bool {
	switch typ {
	case "duration":
		x, err1 := time.ParseDuration(a)
		y, err2 := time.ParseDuration(b)
		return err1 == nil && err2 == nil && x == y
	case "number", "integer":
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		return err1 == nil && err2 == nil && x == y
	}
	return a == b
}

// checkEnvFile checks that the fastscaler_env_file output reads back, as the CLI reads it, as the FASTSCALER_*
// variables and AWS_REGION of the fastscaler container.
func checkEnvFile(t *testing.T, p *plan, fsEnv map[string]string) {
	t.Helper()
	text, ok := p.OutputChanges["fastscaler_env_file"].After.(string)
	if !ok {
		t.Fatalf("output fastscaler_env_file of %s is %v, not a string known at plan time", exampleDir, p.OutputChanges["fastscaler_env_file"].After)
	}
	got, err := readEnvFile(text)
	if err != nil {
		t.Fatalf("fastscaler_env_file: %v\n%s", err, text)
	}
	want := map[string]string{}
	for k, v := range fsEnv {
		if strings.HasPrefix(k, "FASTSCALER_") || k == "AWS_REGION" {
			want[k] = v
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fastscaler_env_file differs from the container's environment (-container +file):\n%s", diff)
	}
}
