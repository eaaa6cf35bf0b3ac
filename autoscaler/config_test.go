package autoscaler

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/policy"
)

func environ(kv ...string) []string {
	base := []string{
		"FASTSCALER_CLUSTER=prod",
		"FASTSCALER_ROUTER_SERVICE=router",
		"FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250",
	}
	return append(base, kv...)
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(environ())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Cluster: "prod", RouterService: "router",
		Capacity:   FloatMap{"router": 1000, "api": 250, "api-canary": 250},
		StatusPort: 8081, StatusPath: "/nginx_status", PollInterval: 2 * time.Second, PollTimeout: time.Second,
		SurgeRatio: 1.5, LeadTime: 90 * time.Second, ScaleInCooldown: 10 * time.Minute, Listen: ":9090",
		LogLevel: "info", MetricsNamespace: "Fastscaler", SurgeMinRPS: 50, MaxProjection: 4, MaxSurgeFactor: 10,
		SteadyWindow: 10 * time.Second, SlopeWindow: 10 * time.Second, BaselineWindow: 5 * time.Minute,
		SurgeHold: time.Minute, ConfirmWindow: 3 * time.Second, Tolerance: 0.1, Stabilization: 5 * time.Minute, ScaleInStep: 0.2,
		ScaleInInterval: time.Minute, MinCoverage: 0.9, DiscoveryInterval: 10 * time.Second, ECSRate: 5, AASMode: "auto",
		LeaseDuration: 10 * time.Second, LeaseRenew: 2 * time.Second,
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("LoadConfig() (-want +got):\n%s", diff)
	}
	p := c.Policy()
	if diff := cmp.Diff(policy.ServiceConfig{Capacity: 250, Weight: 100, Min: 1, Max: 100}, p.Services["api"]); diff != "" {
		t.Errorf("api policy config (-want +got):\n%s", diff)
	}
	if p.Router != "router" {
		t.Errorf("policy router %q, want the scaled router service", p.Router)
	}
	// The env defaults must be the policy package's defaults, apart from the short window derived from polling and
	// the router named by FASTSCALER_ROUTER_SERVICE.
	d := policy.DefaultConfig()
	d.Services, p.Services, p.Router = nil, nil, ""
	if diff := cmp.Diff(d, p); diff != "" {
		t.Errorf("policy defaults drifted from env defaults (-policy +env):\n%s", diff)
	}
}

func TestLoadConfigMapsAndOverrides(t *testing.T) {
	c, err := LoadConfig(environ(
		"FASTSCALER_WEIGHTS= api:90 , api-canary:10",
		"FASTSCALER_MIN_TASKS=router:2,api:4",
		"FASTSCALER_MAX_TASKS=api:400",
		"FASTSCALER_POLL_INTERVAL=1s",
		"FASTSCALER_POLL_TIMEOUT=500ms",
		"FASTSCALER_DRY_RUN=true",
		"FASTSCALER_METRICS_NAMESPACE=",
	))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policy()
	if got := p.Services["api-canary"]; got.Weight != 10 || got.Min != 1 || got.Max != 100 {
		t.Errorf("api-canary = %+v, want weight 10, min 1, max 100", got)
	}
	if got := p.Services["api"]; got.Weight != 90 || got.Min != 4 || got.Max != 400 {
		t.Errorf("api = %+v, want weight 90, min 4, max 400", got)
	}
	if p.Services["router"].Weight != 100 || p.Services["router"].Min != 2 {
		t.Errorf("router = %+v", p.Services["router"])
	}
	if !c.DryRun || c.MetricsNamespace != "" || p.ShortWindow != 1500*time.Millisecond {
		t.Errorf("dry run %v, namespace %q, short window %v; want true, empty (disabled), 1.5s", c.DryRun, c.MetricsNamespace, p.ShortWindow)
	}
}

// TestLoadConfigReportsEveryBadVariable checks that one run names every culprit, so an SRE fixes all at once.
func TestLoadConfigReportsEveryBadVariable(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string // substrings, each must appear
	}{
		{
			name: "required missing",
			env:  []string{},
			want: []string{"FASTSCALER_CLUSTER: required", "FASTSCALER_ROUTER_SERVICE: required", "FASTSCALER_CAPACITY: required"},
		},
		{
			name: "unparseable map and numbers",
			env: environ("FASTSCALER_WEIGHTS=api=90", "FASTSCALER_MIN_TASKS=api:two", "FASTSCALER_POLL_INTERVAL=fast",
				"FASTSCALER_SURGE_RATIO=x"),
			want: []string{`FASTSCALER_WEIGHTS: "api=90": want SERVICE:VALUE`, `FASTSCALER_MIN_TASKS: api:two: "two" is not a whole number`,
				`FASTSCALER_POLL_INTERVAL:`, `FASTSCALER_SURGE_RATIO: "x": invalid syntax`},
		},
		{
			name: "semantic problems",
			env: []string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router",
				"FASTSCALER_CAPACITY=router:0,api:-5,api-canary:250", "FASTSCALER_WEIGHTS=api:90,api-canary:110,ghost:5",
				"FASTSCALER_MIN_TASKS=api:10,typo:1", "FASTSCALER_MAX_TASKS=api:5", "FASTSCALER_POLL_TIMEOUT=2s",
				"FASTSCALER_SURGE_RATIO=0.9", "FASTSCALER_AAS_MODE=on", "FASTSCALER_LOG_LEVEL=loud", "FASTSCALER_STATUS_PORT=70000",
				"FASTSCALER_METRICS_NAMESPACE=AWS/ECS"},
			want: []string{"FASTSCALER_CAPACITY: router:0 must be a number > 0", "FASTSCALER_CAPACITY: api:-5",
				"FASTSCALER_WEIGHTS: api-canary:110 must be within 0–100", `FASTSCALER_WEIGHTS: service "ghost" is not in FASTSCALER_CAPACITY`,
				`FASTSCALER_MIN_TASKS: service "typo" is not in FASTSCALER_CAPACITY`, "FASTSCALER_MIN_TASKS: api:10 exceeds its max of 5",
				"FASTSCALER_POLL_TIMEOUT: 2s must be shorter than FASTSCALER_POLL_INTERVAL", "FASTSCALER_SURGE_RATIO: 0.9 must be > 1", `FASTSCALER_AAS_MODE: "on" must be auto`,
				`FASTSCALER_LOG_LEVEL: "loud"`, "FASTSCALER_STATUS_PORT: 70000", "FASTSCALER_METRICS_NAMESPACE"},
		},
		{
			name: "duplicate service",
			env:  environ("FASTSCALER_MAX_TASKS=api:5,api:6"),
			want: []string{`FASTSCALER_MAX_TASKS: service "api" given twice`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(tt.env)
			if err == nil {
				t.Fatal("LoadConfig() succeeded, want errors")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestREADMEConfigExample parses the example environment block of the README, so the docs cannot rot.
func TestREADMEConfigExample(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example-env -->\\s*```sh\\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no ```sh block after <!-- example-env -->")
	}
	var env []string
	for _, line := range strings.Split(string(m[1]), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "export "))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		env = append(env, strings.Trim(line, `'`))
		if k, v, ok := strings.Cut(line, "="); ok {
			env[len(env)-1] = k + "=" + strings.Trim(v, `'"`)
		}
	}
	if _, err := LoadConfig(env); err != nil {
		t.Fatalf("the README example does not load: %v", err)
	}
}
