// Package config is fastscaler's configuration: every FASTSCALER_* variable, declared once (Knobs), loaded from
// an environment and validated in one pass that reports every problem, each naming its variable and entry.
//
// It imports no AWS SDK, so the simulator and the documentation generator use it as the daemon does.
package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/policy"
	"github.com/fastscaler/fastscaler/policy/knob"
)

// Values that other knobs' defaults and rules derive from.
const (
	DefaultWeight   = 100.0 // percent of router traffic a service not named in FASTSCALER_WEIGHTS receives
	DefaultMinTasks = 1
	DefaultMaxTasks = 100
	// LeaseMargin is how long a leader's lease must stay valid for it to start a write; a lease must last twice that.
	LeaseMargin = 4 * time.Second
	// MetricsFlush is how often the daemon publishes its CloudWatch metrics.
	MetricsFlush = 10 * time.Second
)

// Config is the daemon's configuration, read from FASTSCALER_* environment variables.
type Config struct {
	Cluster       string
	RouterService string
	Capacity      map[string]float64
	Weights       map[string]float64
	MinTasks      map[string]int
	MaxTasks      map[string]int
	// AnyWeightSum allows FASTSCALER_WEIGHTS that do not add up to 100.
	AnyWeightSum bool
	AASMode      string

	StatusPort   int
	StatusPath   string
	PollInterval time.Duration
	PollTimeout  time.Duration

	policy.Tuning // the policy's knobs

	DryRun            bool
	Listen            string
	LogLevel          string
	MetricsNamespace  string
	DiscoveryInterval time.Duration
	ECSRate           float64
	StatusURL         string
	LeaseTable        string
	LeaseDuration     time.Duration
	LeaseRenew        time.Duration

	// Ignored lists the FASTSCALER_* variables set that no knob declares (e.g. a newer version's): they are
	// ignored, and the daemon and the commands warn about them. A near miss of a knob's name is an error instead.
	Ignored []string
}

// Knobs declares every FASTSCALER_* variable, once, in the order the documentation lists them.
func Knobs() []knob.Knob[Config] {
	type C = Config
	var (
		positive = knob.Above[time.Duration](0, "0")
		names    = "SERVICE:"
	)
	ks := []knob.Knob[C]{
		knob.String("FASTSCALER_CLUSTER", "", "ECS cluster name or ARN",
			func(c *C) *string { return &c.Cluster }, knob.Rule("not empty", notBlank)).With(knob.Required, knob.InScope(knob.Account)),
		knob.String("FASTSCALER_ROUTER_SERVICE", "", "ECS service of the Nginx router tasks whose stub_status is polled",
			func(c *C) *string { return &c.RouterService }, knob.Rule("not empty", notBlank)).With(knob.Required, knob.InScope(knob.Polling)),
		knob.Map("FASTSCALER_CAPACITY", names+"number", "every scaled service, and the requests/s one task of it serves at target utilisation, "+
			"e.g. `router:1000,api:250,api-canary:250`",
			func(c *C) *map[string]float64 { return &c.Capacity }, knob.ParseFloat, knob.FormatFloat, knob.Above(0.0, "0")).With(knob.Required, knob.InScope(knob.Fleet)),
		knob.Map("FASTSCALER_WEIGHTS", names+"percent", "percent of router traffic that reaches a service (the canary split); "+
			"the services below 100 must add up to 100",
			func(c *C) *map[string]float64 { return &c.Weights }, knob.ParseFloat, knob.FormatFloat,
			knob.AtLeast(0.0, "0"), knob.AtMost(100.0, "100")).
			With(knob.InScope(knob.Fleet), knob.DocumentedDefault(knob.FormatFloat(DefaultWeight)+" each")),
		knob.Map("FASTSCALER_MIN_TASKS", names+"integer", "never fewer tasks (the router's minimum is at least 1)",
			func(c *C) *map[string]int { return &c.MinTasks }, knob.ParseInt, strconv.Itoa, knob.AtLeast(0, "0")).
			With(knob.InScope(knob.Fleet), knob.DocumentedDefault(strconv.Itoa(DefaultMinTasks)+" each")),
		knob.Map("FASTSCALER_MAX_TASKS", names+"integer", "never more tasks",
			func(c *C) *map[string]int { return &c.MaxTasks }, knob.ParseInt, strconv.Itoa, knob.AtLeast(1, "1")).
			With(knob.InScope(knob.Fleet), knob.DocumentedDefault(strconv.Itoa(DefaultMaxTasks)+" each")),
		knob.Bool("FASTSCALER_ALLOW_ANY_WEIGHT_SUM", false, "accept FASTSCALER_WEIGHTS whose services below 100 do not add up to 100 "+
			"(e.g. two independent canary splits, or a share going to a service fastscaler does not scale)",
			func(c *C) *bool { return &c.AnyWeightSum }).With(knob.InScope(knob.Fleet)),
		knob.String("FASTSCALER_AAS_MODE", "auto", "`auto`: services with an Application Auto Scaling scalable target are scaled "+
			"through its MinCapacity too; `off`: never call Application Auto Scaling",
			func(c *C) *string { return &c.AASMode }, knob.OneOf("auto", "off")).With(knob.InScope(knob.Account)),
		knob.Int("FASTSCALER_STATUS_PORT", 8081, "port of stub_status on each router task",
			func(c *C) *int { return &c.StatusPort }, knob.AtLeast(1, "1"), knob.AtMost(65535, "65535")).With(knob.InScope(knob.Polling)),
		knob.String("FASTSCALER_STATUS_PATH", "/nginx_status", "path of stub_status",
			func(c *C) *string { return &c.StatusPath }, knob.Rule("a path starting with /", func(s string) bool { return strings.HasPrefix(s, "/") })).With(knob.InScope(knob.Polling)),
		knob.Duration("FASTSCALER_POLL_INTERVAL", policy.DefaultPollInterval, "how often every router task is polled",
			func(c *C) *time.Duration { return &c.PollInterval }, knob.AtLeast(100*time.Millisecond, "100ms")).With(knob.InScope(knob.Polling)),
		knob.Duration("FASTSCALER_POLL_TIMEOUT", time.Second, "per-request timeout (shorter than the interval)",
			func(c *C) *time.Duration { return &c.PollTimeout }, positive).With(knob.InScope(knob.Polling)).
			WithDerivedDefault("1s, or half the poll interval if that is shorter", func(c *C) {
				c.PollTimeout = min(time.Second, c.PollInterval/2)
			}),
	}
	for _, k := range policy.Knobs() {
		ks = append(ks, knob.Lift(k, func(c *C) *policy.Tuning { return &c.Tuning }))
	}
	return append(ks,
		knob.Duration("FASTSCALER_DISCOVERY_INTERVAL", 10*time.Second, "router task discovery (also on every change of its running count)",
			func(c *C) *time.Duration { return &c.DiscoveryInterval }, positive).With(knob.InScope(knob.Daemon)),
		knob.Float("FASTSCALER_ECS_RATE", 5, "ECS API calls per second, at most (bursts of 10)",
			func(c *C) *float64 { return &c.ECSRate }, knob.Above(0.0, "0")).With(knob.InScope(knob.Daemon)),
		knob.Bool("FASTSCALER_DRY_RUN", false, "decide and log, never call UpdateService",
			func(c *C) *bool { return &c.DryRun }).With(knob.InScope(knob.Daemon)),
		knob.String("FASTSCALER_LISTEN", ":9090", "address of `/healthz` and `/status` (JSON)",
			func(c *C) *string { return &c.Listen }, knob.Rule(":PORT, IP:PORT or localhost:PORT (e.g. :9090, 127.0.0.1:9090)", validListen)).With(knob.InScope(knob.Daemon)),
		knob.String("FASTSCALER_LOG_LEVEL", "info", "log level",
			func(c *C) *string { return &c.LogLevel }, knob.Rule("debug, info, warn or error", validLogLevel)).With(knob.InScope(knob.Daemon)),
		knob.String("FASTSCALER_METRICS_NAMESPACE", "Fastscaler", "CloudWatch namespace of the daemon's metrics; empty disables publishing",
			func(c *C) *string { return &c.MetricsNamespace }, knob.Rule("at most 255 characters, not starting with AWS/", validNamespace)).With(knob.InScope(knob.Daemon), knob.EmptyIsValue),
		knob.String("FASTSCALER_STATUS_URL", "", "the daemon's `/status` URL, for `fastscaler status` to show its mode and last decision",
			func(c *C) *string { return &c.StatusURL }, knob.Rule("empty or an http(s) URL", validURL)).With(knob.InScope(knob.Daemon)),
		knob.String("FASTSCALER_LEASE_TABLE", "", "DynamoDB table of the leader lease: with it, two daemons can run, both polling and "+
			"deciding, only the lease holder writing (a hot standby); empty: one daemon, no lease",
			func(c *C) *string { return &c.LeaseTable }).With(knob.InScope(knob.Daemon)),
		knob.Duration("FASTSCALER_LEASE_DURATION", 10*time.Second, "how long a lease lasts without renewal: a standby takes over a dead leader "+
			"after this (at least "+knob.FormatDuration(2*LeaseMargin)+", twice the margin a leader keeps before each write)",
			func(c *C) *time.Duration { return &c.LeaseDuration }, positive).With(knob.InScope(knob.Daemon)),
		knob.Duration("FASTSCALER_LEASE_RENEW", 2*time.Second, "how often the leader renews it (at most half the duration)",
			func(c *C) *time.Duration { return &c.LeaseRenew }, positive).With(knob.InScope(knob.Daemon)),
	)
}

// Lookup returns the knob of variable name.
func Lookup(name string) (knob.Knob[Config], bool) {
	for _, k := range Knobs() {
		if k.Var == name {
			return k, true
		}
	}
	return knob.Knob[Config]{}, false
}

// NotKnobs are FASTSCALER_* variables that are not configuration knobs but may be set beside them.
var NotKnobs = map[string]string{
	"FASTSCALER_REQUIRE_NGINX":  "tests: a missing nginx fails them instead of skipping",
	"FASTSCALER_ENV_FILE":       "the CLI's --env-file default",
	"FASTSCALER_REQUIRE_MOTO":   "tests: a missing moto_server fails them instead of skipping",
	"FASTSCALER_E2E_DAEMON_LOG": "tests: where the end-to-end tests write the daemons' logs",
}

// Load reads the configuration from environ (as from os.Environ, later entries winning) and validates it, reporting
// every problem at once.
func Load(environ []string) (Config, error) {
	return load(environ, func(knob.Scope) bool { return true }, Config.validate)
}

// LoadServices reads what the SRE commands (prescale, status, pause, resume) need: the cluster and the scaled
// services with their bounds. Every variable must still parse; daemon-only rules are not checked.
func LoadServices(environ []string) (Config, error) {
	return load(environ, knob.Scope.Commands, Config.validateServices)
}

func load(environ []string, checked func(knob.Scope) bool, rules func(Config, *Errors)) (Config, error) {
	vars := toMap(environ)
	var c Config
	errs := Errors{unparsed: map[string]bool{}}
	given := map[string]bool{}
	ks := Knobs()
	set := func(k knob.Knob[Config]) {
		text, ok := vars[k.Var]
		if ok && (strings.TrimSpace(text) != "" || k.EmptyIsValue) {
			given[k.Var] = true
			if err := k.Set(&c, text); err != nil {
				errs.add(k.Var, "%v", err)
				errs.unparsed[k.Var] = true
			}
			return
		}
		if err := k.SetDefault(&c); err != nil {
			panic(fmt.Sprintf("config: the declared default of %s does not parse: %v", k.Var, err)) // a bug in Knobs
		}
		if k.Required && checked(k.Scope) {
			errs.add(k.Var, "required: %s", k.Meaning)
		}
	}
	for _, k := range ks { // derived defaults follow the knobs they derive from
		if !k.Derived() {
			set(k)
		}
	}
	for _, k := range ks {
		if k.Derived() {
			set(k)
		}
	}
	for _, k := range ks {
		// A map's good entries are checked even when others did not parse, so one pass reports them all. A derived
		// default is not checked: it follows knobs that are.
		if k.Derived() && !given[k.Var] {
			continue
		}
		if checked(k.Scope) && (errs.ok(k.Var) || k.Partial()) {
			if err := k.Check(c); err != nil {
				errs.add(k.Var, "%v", err)
			}
		}
	}
	c.Ignored = unknownVariables(vars, ks, &errs)
	rules(c, &errs)
	return c, errs.err()
}

// unknownVariables reports FASTSCALER_* variables that no knob declares and that are one small edit from one that
// does (a misspelt knob would otherwise be ignored without a word), and returns the others, which are ignored: a
// setting of a newer version must not stop an older daemon (a rollback) or CLI.
func unknownVariables(vars map[string]string, ks []knob.Knob[Config], errs *Errors) (ignored []string) {
	known := make([]string, 0, len(ks))
	for _, k := range ks {
		known = append(known, k.Var)
	}
	for _, name := range knob.SortedKeys(vars) {
		if !strings.HasPrefix(name, "FASTSCALER_") || slices.Contains(known, name) {
			continue
		}
		if _, ok := NotKnobs[name]; ok {
			continue
		}
		if s := nearVariable(name, known); s != "" {
			errs.add(name, "unknown variable; did you mean %s?", s)
		} else {
			ignored = append(ignored, name)
		}
	}
	return ignored
}

// nearVariable returns the known variable that name likely means: one small edit away (FASTSCALER_POLL_INTERVALL),
// or made of the same words give or take some (FASTSCALER_DRY_RUN_ENABLED, FASTSCALER_DRY, FASTSCALER_MAXIMUM_TASKS);
// "" when none is near.
func nearVariable(name string, known []string) string {
	if s := knob.Suggest(name, known); s != "" {
		return s
	}
	words := func(v string) []string { return strings.Split(strings.TrimPrefix(v, "FASTSCALER_"), "_") }
	// covers reports whether every word of a is a word of b, or the start of one (MAX of MAXIMUM).
	covers := func(a, b []string) bool {
		for _, x := range a {
			if !slices.ContainsFunc(b, func(y string) bool { return strings.HasPrefix(y, x) }) {
				return false
			}
		}
		return true
	}
	u := words(name)
	for _, k := range known {
		if kw := words(k); covers(kw, u) || covers(u, kw) {
			return k
		}
	}
	return ""
}

// validate checks the rules between knobs, for the daemon.
func (c Config) validate(errs *Errors) {
	c.validateServices(errs)
	if errs.ok("FASTSCALER_POLL_TIMEOUT", "FASTSCALER_POLL_INTERVAL") && c.PollTimeout >= c.PollInterval {
		errs.add("FASTSCALER_POLL_TIMEOUT", "%s must be shorter than FASTSCALER_POLL_INTERVAL (%s), or poll cycles overlap",
			fd(c.PollTimeout), fd(c.PollInterval))
	}
	if errs.ok("FASTSCALER_BASELINE_WINDOW", "FASTSCALER_POLL_INTERVAL") && c.BaselineWindow < 20*c.PollInterval {
		errs.add("FASTSCALER_BASELINE_WINDOW", "%s must span at least 20 polls (%s at FASTSCALER_POLL_INTERVAL=%s)",
			fd(c.BaselineWindow), fd(20*c.PollInterval), fd(c.PollInterval))
	}
	if c.RouterService != "" && errs.ok("FASTSCALER_CAPACITY") {
		if _, scaled := c.Capacity[c.RouterService]; !scaled {
			if s := knob.Suggest(c.RouterService, knob.SortedKeys(c.Capacity)); s != "" {
				errs.add("FASTSCALER_ROUTER_SERVICE", "%q is not in FASTSCALER_CAPACITY; did you mean %s?", c.RouterService, s)
			}
		} else if errs.ok("FASTSCALER_MIN_TASKS") && c.minTasks(c.RouterService) < 1 {
			// With no router task there is no stub_status to read, so no load, so nothing would ever scale it out again.
			errs.add("FASTSCALER_MIN_TASKS", "%s:%d: the router's minimum must be ≥ 1 (at 0 no router reports load, and nothing would scale it out again)",
				c.RouterService, c.minTasks(c.RouterService))
		}
	}
	if c.LeaseTable != "" && errs.ok("FASTSCALER_LEASE_DURATION") && c.LeaseDuration < 2*LeaseMargin {
		errs.add("FASTSCALER_LEASE_DURATION", "%s must be at least %s with a lease table (twice the margin a leader keeps before each write)",
			fd(c.LeaseDuration), fd(2*LeaseMargin))
	} else if c.LeaseTable != "" && errs.ok("FASTSCALER_LEASE_DURATION", "FASTSCALER_LEASE_RENEW") && c.LeaseRenew > c.LeaseDuration/2 {
		errs.add("FASTSCALER_LEASE_RENEW", "%s must be at most half of FASTSCALER_LEASE_DURATION (%s)", fd(c.LeaseRenew), fd(c.LeaseDuration))
	}
	if len(errs.list) == 0 {
		if err := c.Policy().Validate(); err != nil {
			errs.list = append(errs.list, fmt.Errorf("policy: %w", err))
		}
	}
}

// validateServices checks the rules between the service maps: every name is a scaled service, the bounds agree,
// and the canary split adds up.
func (c Config) validateServices(errs *Errors) {
	if errs.parsed("FASTSCALER_CAPACITY") && len(c.Capacity) > 0 {
		c.checkNames(errs) // against the scaled services: only when all of them are known
		if errs.parsed("FASTSCALER_MIN_TASKS", "FASTSCALER_MAX_TASKS") {
			for _, svc := range c.Services() {
				if lo, hi := c.MinMax(svc); lo > hi {
					errs.add("FASTSCALER_MIN_TASKS", "%s:%d exceeds its maximum of %d (FASTSCALER_MAX_TASKS)", svc, lo, hi)
				}
			}
		}
	}
	if !c.AnyWeightSum && errs.ok("FASTSCALER_WEIGHTS") {
		c.checkWeightSum(errs)
	}
}

// checkWeightSum: the services that split the router's traffic (named in FASTSCALER_WEIGHTS below 100%) must add
// up to 100. A service at 100 (named so, or not named) receives every request and is not part of a split; a split
// whose shares are all 0 is a canary turned off, when another scaled service receives every request
// (api:100,api-canary:0). The router receives all of its own traffic: its weight can only be 100.
func (c Config) checkWeightSum(errs *Errors) {
	if w, ok := c.Weights[c.RouterService]; ok && w != DefaultWeight {
		errs.add("FASTSCALER_WEIGHTS", "%s:%s: the router receives all of its own traffic; leave it out (or give it 100)",
			c.RouterService, knob.FormatFloat(w))
	}
	var parts []string
	sum, full := 0.0, false
	for _, svc := range knob.SortedKeys(c.Weights) {
		if w := c.Weights[svc]; svc != c.RouterService && w < DefaultWeight {
			parts = append(parts, fmt.Sprintf("%s:%s", svc, knob.FormatFloat(w)))
			sum += w
		} else if svc != c.RouterService {
			full = true
		}
	}
	for _, svc := range c.Services() {
		if _, named := c.Weights[svc]; !named && svc != c.RouterService {
			full = true // at the default, 100
		}
	}
	if len(parts) == 0 || (sum == 0 && full) || math.Abs(sum-100) <= 0.05 {
		return
	}
	errs.add("FASTSCALER_WEIGHTS", "%s add up to %s%%, not 100%%: name every service of the split (e.g. api:90,api-canary:10), "+
		"or set FASTSCALER_ALLOW_ANY_WEIGHT_SUM=true if they really receive these shares (two independent splits, or "+
		"traffic to a service fastscaler does not scale)", strings.Join(parts, " + "), knob.FormatFloat(sum))
}

// checkNames reports names in WEIGHTS, MIN_TASKS and MAX_TASKS that are not scaled services. When such a name is
// one small edit away from a scaled service, the misspelling is blamed where it likely is: on the capacity entry when
// two or more variables agree on the other spelling (and more than use the capacity's), on the other entries otherwise.
func (c Config) checkNames(errs *Errors) {
	scaled := knob.SortedKeys(c.Capacity)
	usedBy := map[string][]string{} // an unknown name → the variables naming it
	for _, m := range []struct {
		name string
		keys []string
	}{
		{"FASTSCALER_WEIGHTS", knob.SortedKeys(c.Weights)},
		{"FASTSCALER_MIN_TASKS", knob.SortedKeys(c.MinTasks)},
		{"FASTSCALER_MAX_TASKS", knob.SortedKeys(c.MaxTasks)},
	} {
		if !errs.parsed(m.name) {
			continue
		}
		for _, svc := range m.keys {
			if _, ok := c.Capacity[svc]; !ok {
				usedBy[svc] = append(usedBy[svc], m.name)
			}
		}
	}
	blamed := map[string]bool{} // capacity entries already reported as misspelt
	for _, svc := range knob.SortedKeys(usedBy) {
		vars := usedBy[svc]
		near := knob.Suggest(svc, scaled)
		switch {
		case near != "" && len(vars) >= 2 && len(vars) > c.uses(near) && !blamed[near]:
			blamed[near] = true
			errs.add("FASTSCALER_CAPACITY", "%s:%s: %s name %q instead; did you mean %s?",
				near, knob.FormatFloat(c.Capacity[near]), strings.Join(vars, " and "), svc, svc)
		case near != "" && blamed[near]:
			// reported with the capacity entry
		case near != "":
			for _, v := range vars {
				errs.add(v, "%q is not a scaled service, and FASTSCALER_CAPACITY names %q: one of the two is misspelt", svc, near)
			}
		default:
			for _, v := range vars {
				errs.add(v, "%q is not a scaled service: add it to FASTSCALER_CAPACITY (which has %s)", svc, strings.Join(scaled, ", "))
			}
		}
	}
}

// uses counts the variables besides FASTSCALER_CAPACITY that name svc.
func (c Config) uses(svc string) int {
	n := 0
	if _, ok := c.Weights[svc]; ok {
		n++
	}
	if _, ok := c.MinTasks[svc]; ok {
		n++
	}
	if _, ok := c.MaxTasks[svc]; ok {
		n++
	}
	return n
}

// Policy returns the policy configuration described by c.
func (c Config) Policy() policy.Config {
	p := policy.Config{Services: map[string]policy.ServiceConfig{}, Tuning: c.Tuning}
	for name, capacity := range c.Capacity {
		w, ok := c.Weights[name]
		if !ok {
			w = DefaultWeight
		}
		lo, hi := c.MinMax(name)
		p.Services[name] = policy.ServiceConfig{Capacity: capacity, Weight: w, Min: lo, Max: hi}
	}
	p.SetPollInterval(c.PollInterval)
	if _, scaled := c.Capacity[c.RouterService]; scaled {
		p.Router = c.RouterService
	}
	return p
}

// Services returns the scaled services in sorted order.
func (c Config) Services() []string { return knob.SortedKeys(c.Capacity) }

func (c Config) minTasks(svc string) int {
	if v, ok := c.MinTasks[svc]; ok {
		return v
	}
	return DefaultMinTasks
}

// MinMax returns the configured bounds of a service.
func (c Config) MinMax(svc string) (lo, hi int) {
	hi = DefaultMaxTasks
	if v, ok := c.MaxTasks[svc]; ok {
		hi = v
	}
	return c.minTasks(svc), hi
}

// Errors is every problem of a configuration, one per line, each naming its variable.
type Errors struct {
	list     []error
	bad      map[string]bool // variables with a problem already
	unparsed map[string]bool // variables whose text did not wholly parse
}

// add records a problem of variable name; a joined error becomes one problem per line, each naming the variable.
func (e *Errors) add(name, format string, a ...any) {
	if e.bad == nil {
		e.bad = map[string]bool{}
	}
	e.bad[name] = true
	err := fmt.Errorf(format, a...)
	for _, line := range strings.Split(err.Error(), "\n") {
		e.list = append(e.list, &VarError{Var: name, Err: errors.New(line)})
	}
}

// ok reports whether none of the named variables has a problem yet.
func (e *Errors) ok(names ...string) bool {
	for _, n := range names {
		if e.bad[n] {
			return false
		}
	}
	return true
}

// parsed reports whether the named variables parsed (their values may still be out of bounds).
func (e *Errors) parsed(names ...string) bool {
	for _, n := range names {
		if e.unparsed[n] {
			return false
		}
	}
	return true
}

func (e *Errors) err() error { return errors.Join(e.list...) }

// VarError is a problem with one variable.
type VarError struct {
	Var string
	Err error
}

func (e *VarError) Error() string { return e.Var + ": " + e.Err.Error() }
func (e *VarError) Unwrap() error { return e.Err }

func toMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// fd shows a duration as the documentation does.
func fd(d time.Duration) string { return knob.FormatDuration(d) }

func notBlank(s string) bool { return strings.TrimSpace(s) != "" }

func validListen(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || !(host == "" || host == "localhost" || net.ParseIP(host) != nil) {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

func validLogLevel(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug", "info", "", "warn", "warning", "error":
		return true
	}
	return false
}

func validNamespace(s string) bool { return !strings.HasPrefix(s, "AWS/") && len(s) <= 255 }

func validURL(s string) bool {
	return s == "" || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// Default returns the declared default of variable name, as written in the environment ("" if it has none).
func Default(name string) string {
	k, _ := Lookup(name)
	return k.Default
}

// Validate checks c's bounds and rules, as Load does after parsing, reporting every problem at once.
func (c Config) Validate() error {
	var errs Errors
	for _, k := range Knobs() {
		if err := k.Check(c); err != nil {
			errs.add(k.Var, "%v", err)
		}
	}
	c.validate(&errs)
	return errs.err()
}
