package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/readmetest"
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
	c, err := Load(environ())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Cluster: "prod", RouterService: "router",
		Capacity:   map[string]float64{"router": 1000, "api": 250, "api-canary": 250},
		StatusPort: 8081, StatusPath: "/nginx_status", PollInterval: 2 * time.Second, PollTimeout: time.Second,
		Tuning: policy.DefaultTuning(), // declared once, in policy.Knobs
		Listen: ":9090", LogLevel: "info", MetricsNamespace: "Fastscaler",
		DiscoveryInterval: 10 * time.Second, ECSRate: 5, AASMode: "auto",
		LeaseDuration: 10 * time.Second, LeaseRenew: 2 * time.Second,
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Load() (-want +got):\n%s", diff)
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
	c, err := Load(environ(
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

// TestLoadConfigReportsEveryBadVariable checks that one run names every culprit, each on its own line, so an SRE
// fixes all at once. The messages are exact: they are the interface an SRE reads at 20:55.
func TestLoadConfigReportsEveryBadVariable(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string // every line of the error, in order
	}{
		{
			name: "required missing",
			env:  []string{},
			want: []string{
				"FASTSCALER_CLUSTER: required: ECS cluster name or ARN",
				"FASTSCALER_ROUTER_SERVICE: required: ECS service of the Nginx router tasks whose stub_status is polled",
				"FASTSCALER_CAPACITY: required: every scaled service, and the requests/s one task of it serves at target utilisation, e.g. `router:1000,api:250,api-canary:250`",
			},
		},
		{
			// The operator issue: both were reported, but one per try.
			name: "a parse error and a rule error together",
			env:  environ("FASTSCALER_POLL_TIMEOUT=2s", "FASTSCALER_DRY_RUN=yes"),
			want: []string{
				`FASTSCALER_DRY_RUN: "yes" is not true or false`,
				"FASTSCALER_POLL_TIMEOUT: 2s must be shorter than FASTSCALER_POLL_INTERVAL (2s), or poll cycles overlap",
			},
		},
		{
			name: "every bad entry of a map",
			env: []string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router",
				"FASTSCALER_CAPACITY=router:-5,api:abc"},
			want: []string{
				`FASTSCALER_CAPACITY: api:abc: "abc" is not a number`,
				"FASTSCALER_CAPACITY: router:-5 must be > 0",
			},
		},
		{
			// The misspelt capacity entry is blamed, not the two variables that spell the service right.
			name: "a misspelt capacity entry",
			env: []string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router",
				"FASTSCALER_CAPACITY=router:1000,api:250,api-canray:250", "FASTSCALER_WEIGHTS=api:90,api-canary:10",
				"FASTSCALER_MIN_TASKS=router:2,api:4,api-canary:1", "FASTSCALER_MAX_TASKS=api:200,api-canary:40"},
			want: []string{
				`FASTSCALER_CAPACITY: api-canray:250: FASTSCALER_WEIGHTS and FASTSCALER_MIN_TASKS and FASTSCALER_MAX_TASKS name "api-canary" instead; did you mean api-canary?`,
			},
		},
		{
			name: "a misspelt weight entry",
			env:  environ("FASTSCALER_WEIGHTS=api:90,api-canray:10"),
			want: []string{
				`FASTSCALER_WEIGHTS: "api-canray" is not a scaled service, and FASTSCALER_CAPACITY names "api-canary": one of the two is misspelt`,
			},
		},
		{
			name: "weights adding up to 120%",
			env:  environ("FASTSCALER_WEIGHTS=api:90,api-canary:30"),
			want: []string{
				"FASTSCALER_WEIGHTS: api:90 + api-canary:30 add up to 120%, not 100%: name every service of the split " +
					"(e.g. api:90,api-canary:10), or set FASTSCALER_ALLOW_ANY_WEIGHT_SUM=true if they really receive these shares " +
					"(two independent splits, or traffic to a service fastscaler does not scale)",
			},
		},
		{
			name: "a listen address without a port",
			env:  environ("FASTSCALER_LISTEN=localhost"),
			want: []string{`FASTSCALER_LISTEN: "localhost" must be :PORT, IP:PORT or localhost:PORT (e.g. :9090, 127.0.0.1:9090)`},
		},
		{
			name: "a listen address that is no IP",
			env:  environ("FASTSCALER_LISTEN=256.1.1.1:9090"),
			want: []string{`FASTSCALER_LISTEN: "256.1.1.1:9090" must be :PORT, IP:PORT or localhost:PORT (e.g. :9090, 127.0.0.1:9090)`},
		},
		{
			// A share no service receives: the policy would size those services for no traffic under full load.
			name: "a split all at 0 with nothing receiving the traffic",
			env:  []string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router", "FASTSCALER_CAPACITY=router:1000,api:250", "FASTSCALER_WEIGHTS=api:0"},
			want: []string{"FASTSCALER_WEIGHTS: api:0 add up to 0%, not 100%: name every service of the split (e.g. api:90,api-canary:10), " +
				"or set FASTSCALER_ALLOW_ANY_WEIGHT_SUM=true if they really receive these shares (two independent splits, or traffic to a service fastscaler does not scale)"},
		},
		{
			name: "a router weight",
			env:  environ("FASTSCALER_WEIGHTS=api:90,api-canary:10,router:10"),
			want: []string{"FASTSCALER_WEIGHTS: router:10: the router receives all of its own traffic; leave it out (or give it 100)"},
		},
		{
			name: "misspelt variables far in letters, near in words",
			env:  environ("FASTSCALER_DRY_RUN_ENABLED=true", "FASTSCALER_MAXIMUM_TASKS=api:10", "FASTSCALER_DRY=true"),
			want: []string{
				"FASTSCALER_DRY: unknown variable; did you mean FASTSCALER_DRY_RUN?",
				"FASTSCALER_DRY_RUN_ENABLED: unknown variable; did you mean FASTSCALER_DRY_RUN?",
				"FASTSCALER_MAXIMUM_TASKS: unknown variable; did you mean FASTSCALER_MAX_TASKS?",
			},
		},
		{
			name: "a misspelt variable",
			env:  environ("FASTSCALER_POLL_INTERVALL=1s", "FASTSCALER_SOMETHING=1"),
			want: []string{
				"FASTSCALER_POLL_INTERVALL: unknown variable; did you mean FASTSCALER_POLL_INTERVAL?",
			},
		},
		{
			name: "a misspelt router service",
			env:  []string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=routr", "FASTSCALER_CAPACITY=router:1000,api:250"},
			want: []string{`FASTSCALER_ROUTER_SERVICE: "routr" is not in FASTSCALER_CAPACITY; did you mean router?`},
		},
		{
			name: "unparseable map and numbers",
			env: environ("FASTSCALER_WEIGHTS=api=90", "FASTSCALER_MIN_TASKS=api:two", "FASTSCALER_POLL_INTERVAL=fast",
				"FASTSCALER_SURGE_RATIO=x"),
			want: []string{
				`FASTSCALER_WEIGHTS: "api=90": want SERVICE:VALUE`,
				`FASTSCALER_MIN_TASKS: api:two: "two" is not a whole number`,
				`FASTSCALER_POLL_INTERVAL: "fast" is not a duration (e.g. 1.5s, 90s, 10m)`,
				`FASTSCALER_SURGE_RATIO: "x" is not a number`,
			},
		},
		{
			name: "semantic problems",
			env: []string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router",
				"FASTSCALER_CAPACITY=router:0,api:-5,api-canary:250", "FASTSCALER_WEIGHTS=api:90,api-canary:110,ghost:5",
				"FASTSCALER_MIN_TASKS=api:10,typo:1", "FASTSCALER_MAX_TASKS=api:5", "FASTSCALER_POLL_TIMEOUT=2s",
				"FASTSCALER_SURGE_RATIO=0.9", "FASTSCALER_AAS_MODE=on", "FASTSCALER_LOG_LEVEL=loud", "FASTSCALER_STATUS_PORT=70000",
				"FASTSCALER_METRICS_NAMESPACE=AWS/ECS", "FASTSCALER_LEASE_TABLE=lease", "FASTSCALER_LEASE_DURATION=9s",
				"FASTSCALER_LEASE_RENEW=5s"},
			want: []string{
				"FASTSCALER_CAPACITY: api:-5 must be > 0",
				"FASTSCALER_CAPACITY: router:0 must be > 0",
				"FASTSCALER_WEIGHTS: api-canary:110 must be ≤ 100",
				`FASTSCALER_AAS_MODE: "on" must be one of auto, off`,
				"FASTSCALER_STATUS_PORT: 70000 must be ≥ 1 and ≤ 65535",
				"FASTSCALER_SURGE_RATIO: 0.9 must be > 1",
				`FASTSCALER_LOG_LEVEL: "loud" must be debug, info, warn or error`,
				`FASTSCALER_METRICS_NAMESPACE: "AWS/ECS" must be at most 255 characters, not starting with AWS/`,
				`FASTSCALER_WEIGHTS: "ghost" is not a scaled service: add it to FASTSCALER_CAPACITY (which has api, api-canary, router)`,
				`FASTSCALER_MIN_TASKS: "typo" is not a scaled service: add it to FASTSCALER_CAPACITY (which has api, api-canary, router)`,
				"FASTSCALER_MIN_TASKS: api:10 exceeds its maximum of 5 (FASTSCALER_MAX_TASKS)",
				"FASTSCALER_POLL_TIMEOUT: 2s must be shorter than FASTSCALER_POLL_INTERVAL (2s), or poll cycles overlap",
				"FASTSCALER_LEASE_RENEW: 5s must be at most half of FASTSCALER_LEASE_DURATION (9s)",
			},
		},
		{
			name: "duplicate service",
			env:  environ("FASTSCALER_MAX_TASKS=api:5,api:6"),
			want: []string{`FASTSCALER_MAX_TASKS: service "api" given twice`},
		},
		{
			name: "a router minimum of 0",
			env:  environ("FASTSCALER_MIN_TASKS=router:0"),
			want: []string{"FASTSCALER_MIN_TASKS: router:0: the router's minimum must be ≥ 1 (at 0 no router reports load, and nothing would scale it out again)"},
		},
		{
			name: "a lease too short for the write margin",
			env:  environ("FASTSCALER_LEASE_TABLE=lease", "FASTSCALER_LEASE_DURATION=6s", "FASTSCALER_LEASE_RENEW=1s"),
			want: []string{"FASTSCALER_LEASE_DURATION: 6s must be at least 8s with a lease table (twice the margin a leader keeps before each write)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.env)
			if err == nil {
				t.Fatal("Load() succeeded, want errors")
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("Load() error lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPollTimeoutFollowsTheInterval: setting only the interval to 1 s (the README's "every 1–2 seconds") must not
// be refused for the default timeout.
func TestPollTimeoutFollowsTheInterval(t *testing.T) {
	for _, tt := range []struct {
		env  []string
		want time.Duration
	}{
		{environ(), time.Second},
		{environ("FASTSCALER_POLL_INTERVAL=1s"), 500 * time.Millisecond},
		{environ("FASTSCALER_POLL_INTERVAL=500ms"), 250 * time.Millisecond},
		{environ("FASTSCALER_POLL_INTERVAL=5s", "FASTSCALER_BASELINE_WINDOW=10m"), time.Second},
		{environ("FASTSCALER_POLL_INTERVAL=1s", "FASTSCALER_POLL_TIMEOUT=800ms"), 800 * time.Millisecond},
	} {
		c, err := Load(tt.env)
		if err != nil {
			t.Fatalf("%v: %v", tt.env[3:], err)
		}
		if c.PollTimeout != tt.want {
			t.Errorf("%v: poll timeout %v, want %v", tt.env[3:], c.PollTimeout, tt.want)
		}
	}
}

// TestWeightsMayAddUpOtherwiseWhenAllowed: a service receiving a copy of all traffic is a real setup.
func TestWeightsMayAddUpOtherwiseWhenAllowed(t *testing.T) {
	for _, env := range [][]string{
		environ("FASTSCALER_WEIGHTS=api:90,api-canary:30", "FASTSCALER_ALLOW_ANY_WEIGHT_SUM=true"),
		environ("FASTSCALER_WEIGHTS=router:100,api:90,api-canary:10"), // the router is not part of the split
		environ("FASTSCALER_WEIGHTS=api:100"),
		environ("FASTSCALER_WEIGHTS=api:100,api-canary:0"), // the canary turned off
		environ("FASTSCALER_WEIGHTS=api-canary:0"),         // the same: api is at its default, 100
		environ("FASTSCALER_WEIGHTS=api:33.33,api-canary:33.33,router:100,web:33.33", "FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250,web:250"),
		// web receives every request (it is not part of a split); api splits with its canary.
		[]string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router", "FASTSCALER_CAPACITY=router:1000,web:500,api:250,api-canary:250",
			"FASTSCALER_WEIGHTS=web:100,api:90,api-canary:10"},
	} {
		if _, err := Load(env); err != nil {
			t.Errorf("%v: %v", env[3:], err)
		}
	}
}

// TestEmptyMeansDefault: an empty variable is unset (its default), as it always was, except where empty is a value.
func TestEmptyMeansDefault(t *testing.T) {
	c, err := Load(environ("FASTSCALER_LISTEN=", "FASTSCALER_STATUS_PATH=", "FASTSCALER_AAS_MODE=", "FASTSCALER_LOG_LEVEL=",
		"FASTSCALER_POLL_INTERVAL=", "FASTSCALER_WEIGHTS=", "FASTSCALER_METRICS_NAMESPACE="))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":9090" || c.StatusPath != "/nginx_status" || c.AASMode != "auto" || c.LogLevel != "info" || c.PollInterval != 2*time.Second {
		t.Errorf("empty variables did not take their defaults: %+v", c)
	}
	if c.MetricsNamespace != "" {
		t.Errorf("FASTSCALER_METRICS_NAMESPACE= must disable publishing, got namespace %q", c.MetricsNamespace)
	}
}

// TestUnknownVariablesAreIgnoredUnlessNearMisses: a newer version's variable must not stop an older daemon (a
// rollback) or CLI; a misspelt knob must not be ignored.
func TestUnknownVariablesAreIgnoredUnlessNearMisses(t *testing.T) {
	c, err := Load(environ("FASTSCALER_SOMETHING_NEW=1", "FASTSCALER_REQUIRE_MOTO=1"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"FASTSCALER_SOMETHING_NEW"}, c.Ignored); diff != "" {
		t.Errorf("Ignored (-want +got):\n%s", diff)
	}
}

// TestOnePassDespiteAnUnparsedCapacity: the weights are checked even when a capacity entry does not parse, and no
// name is blamed on a capacity that is missing.
func TestOnePassDespiteAnUnparsedCapacity(t *testing.T) {
	_, err := Load([]string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router",
		"FASTSCALER_CAPACITY=router:-5,api:abc,api-canray:250", "FASTSCALER_WEIGHTS=api:90,api-canary:30"})
	if err == nil || !strings.Contains(err.Error(), "add up to 120%") {
		t.Errorf("the weights' sum is not reported with an unparsed capacity: %v", err)
	}
	_, err = Load([]string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_ROUTER_SERVICE=router", "FASTSCALER_MIN_TASKS=api:2"})
	if err == nil || strings.Contains(err.Error(), "FASTSCALER_MIN_TASKS") {
		t.Errorf("with no capacity, only the missing capacity should be reported: %v", err)
	}
}

// TestSREcommandsNeedOnlyTheirVariables: prescale and status run from a laptop with the cluster and the services,
// and still catch a bad value of any variable set.
func TestSREcommandsNeedOnlyTheirVariables(t *testing.T) {
	if _, err := LoadServices([]string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_CAPACITY=api:250"}); err != nil {
		t.Errorf("LoadServices without the daemon's variables: %v", err)
	}
	_, err := LoadServices([]string{"FASTSCALER_CLUSTER=prod", "FASTSCALER_CAPACITY=api:250", "FASTSCALER_POLL_INTERVAL=soon"})
	if err == nil || err.Error() != `FASTSCALER_POLL_INTERVAL: "soon" is not a duration (e.g. 1.5s, 90s, 10m)` {
		t.Errorf("LoadServices with a bad daemon variable: %v", err)
	}
}

// TestREADMEConfigExample parses the example environment block of the README, so the docs cannot rot.
func TestREADMEConfigExample(t *testing.T) {
	vars, err := ParseEnvFile("README.md example-env", readmetest.Block(t, "../../README.md", "<!-- example-env -->", "sh"))
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, v := range vars {
		env = append(env, v.Key+"="+v.Value)
	}
	if _, err := Load(env); err != nil {
		t.Fatalf("the README example does not load: %v", err)
	}
}

// TestDocsTablesAreGenerated: the README and docker/README.md tables come from Knobs, so they cannot drift.
func TestDocsTablesAreGenerated(t *testing.T) {
	for _, name := range DocFiles {
		doc, err := os.ReadFile("../../" + name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := RenderDoc(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(want) != string(doc) {
			t.Errorf("%s: the table of variables is stale; run `go generate ./autoscaler/config`", name)
		}
	}
}

// TestKnobDefaultsLoad: every declared default parses and is within its own bounds, so a knob left unset never
// fails, and the documentation shows a value the daemon accepts.
func TestKnobDefaultsLoad(t *testing.T) {
	c, err := Load(environ())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Knobs() {
		if err := k.Check(c); err != nil && !k.Required {
			t.Errorf("%s: default %q: %v", k.Var, k.Default, err)
		}
		if k.Meaning == "" || strings.Contains(k.Meaning, "\n") {
			t.Errorf("%s: the meaning must be one line", k.Var)
		}
	}
}
