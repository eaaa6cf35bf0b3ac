package autoscaler

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/fastscaler/fastscaler/autoscaler/lease"
	"github.com/fastscaler/fastscaler/policy"
)

// Defaults of the daemon's configuration that are not policy defaults.
const (
	DefaultStatusPort        = 8081
	DefaultStatusPath        = "/nginx_status"
	DefaultPollInterval      = 2 * time.Second
	DefaultPollTimeout       = time.Second
	DefaultListen            = ":9090"
	DefaultMetricsNamespace  = "Fastscaler"
	DefaultWeight            = 100.0
	DefaultMinTasks          = 1
	DefaultMaxTasks          = 100
	DefaultDiscoveryInterval = 10 * time.Second
	DefaultServiceRefresh    = 5 * time.Second
	DefaultECSRate           = 5.0
	DefaultMetricsFlush      = 10 * time.Second
)

// Config is the daemon's configuration, read from FASTSCALER_* environment variables.
type Config struct {
	Cluster          string        `env:"FASTSCALER_CLUSTER"`
	RouterService    string        `env:"FASTSCALER_ROUTER_SERVICE"`
	Capacity         FloatMap      `env:"FASTSCALER_CAPACITY"`
	Weights          FloatMap      `env:"FASTSCALER_WEIGHTS"`
	MinTasks         IntMap        `env:"FASTSCALER_MIN_TASKS"`
	MaxTasks         IntMap        `env:"FASTSCALER_MAX_TASKS"`
	StatusPort       int           `env:"FASTSCALER_STATUS_PORT" envDefault:"8081"`
	StatusPath       string        `env:"FASTSCALER_STATUS_PATH" envDefault:"/nginx_status"`
	PollInterval     time.Duration `env:"FASTSCALER_POLL_INTERVAL" envDefault:"2s"`
	PollTimeout      time.Duration `env:"FASTSCALER_POLL_TIMEOUT" envDefault:"1s"`
	SurgeRatio       float64       `env:"FASTSCALER_SURGE_RATIO" envDefault:"1.5"`
	LeadTime         time.Duration `env:"FASTSCALER_LEAD_TIME" envDefault:"90s"`
	ScaleInCooldown  time.Duration `env:"FASTSCALER_SCALE_IN_COOLDOWN" envDefault:"10m"`
	DryRun           bool          `env:"FASTSCALER_DRY_RUN" envDefault:"false"`
	Listen           string        `env:"FASTSCALER_LISTEN" envDefault:":9090"`
	LogLevel         string        `env:"FASTSCALER_LOG_LEVEL" envDefault:"info"`
	MetricsNamespace string        `env:"FASTSCALER_METRICS_NAMESPACE" envDefault:"Fastscaler"`

	// Further policy knobs; the defaults are the policy package's.
	SurgeMinRPS     float64       `env:"FASTSCALER_SURGE_MIN_RPS" envDefault:"50"`
	MaxProjection   float64       `env:"FASTSCALER_MAX_PROJECTION" envDefault:"4"`
	MaxSurgeFactor  float64       `env:"FASTSCALER_MAX_SURGE_FACTOR" envDefault:"10"`
	SteadyWindow    time.Duration `env:"FASTSCALER_STEADY_WINDOW" envDefault:"10s"`
	SlopeWindow     time.Duration `env:"FASTSCALER_SLOPE_WINDOW" envDefault:"10s"`
	BaselineWindow  time.Duration `env:"FASTSCALER_BASELINE_WINDOW" envDefault:"5m"`
	SurgeHold       time.Duration `env:"FASTSCALER_SURGE_HOLD" envDefault:"60s"`
	ConfirmWindow   time.Duration `env:"FASTSCALER_CONFIRM_WINDOW" envDefault:"3s"`
	Tolerance       float64       `env:"FASTSCALER_TOLERANCE" envDefault:"0.1"`
	Stabilization   time.Duration `env:"FASTSCALER_STABILIZATION_WINDOW" envDefault:"5m"`
	ScaleInStep     float64       `env:"FASTSCALER_SCALE_IN_STEP" envDefault:"0.2"`
	ScaleInInterval time.Duration `env:"FASTSCALER_SCALE_IN_INTERVAL" envDefault:"60s"`
	MinCoverage     float64       `env:"FASTSCALER_MIN_COVERAGE" envDefault:"0.9"`

	// Operational knobs.
	DiscoveryInterval time.Duration `env:"FASTSCALER_DISCOVERY_INTERVAL" envDefault:"10s"`
	ECSRate           float64       `env:"FASTSCALER_ECS_RATE" envDefault:"5"`
	StatusURL         string        `env:"FASTSCALER_STATUS_URL"`
	AASMode           string        `env:"FASTSCALER_AAS_MODE" envDefault:"auto"`
	LeaseTable        string        `env:"FASTSCALER_LEASE_TABLE"`
	LeaseDuration     time.Duration `env:"FASTSCALER_LEASE_DURATION" envDefault:"10s"`
	LeaseRenew        time.Duration `env:"FASTSCALER_LEASE_RENEW" envDefault:"2s"`
}

// LoadConfig reads the configuration from environ (as from os.Environ) and validates it, reporting every bad
// variable at once.
func LoadConfig(environ []string) (Config, error) {
	vars := env.ToMap(environ)
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: vars}); err != nil {
		return Config{}, renameEnvErrors(err)
	}
	// An explicitly empty namespace disables publishing; the env library would substitute the default.
	if v, ok := vars["FASTSCALER_METRICS_NAMESPACE"]; ok && strings.TrimSpace(v) == "" {
		c.MetricsNamespace = ""
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadServicesConfig reads only what the SRE commands (prescale, status, pause, resume) need: the cluster and the
// scaled services with their bounds. Daemon-only variables are parsed but not required.
func LoadServicesConfig(environ []string) (Config, error) {
	vars := env.ToMap(environ)
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: vars}); err != nil {
		return Config{}, renameEnvErrors(err)
	}
	var errs []error
	c.validateServices(&errs)
	return c, errors.Join(errs...)
}

// Validate reports every problem of c at once, each naming its variable.
func (c Config) Validate() error {
	var errs []error
	c.validateServices(&errs)
	c.validateDaemon(&errs)
	if len(errs) == 0 {
		if err := c.Policy().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("policy: %w", err))
		}
	}
	return errors.Join(errs...)
}

func addErr(errs *[]error, name, format string, a ...any) {
	*errs = append(*errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, a...)))
}

// validateServices checks the cluster and the scaled services.
func (c Config) validateServices(errs *[]error) {
	bad := func(name, format string, a ...any) { addErr(errs, name, format, a...) }
	if strings.TrimSpace(c.Cluster) == "" {
		bad("FASTSCALER_CLUSTER", "required (the ECS cluster name or ARN)")
	}
	if c.AASMode != "auto" && c.AASMode != "off" {
		bad("FASTSCALER_AAS_MODE", "%q must be auto (scale through MinCapacity where a scalable target exists) or off", c.AASMode)
	}
	if len(c.Capacity) == 0 {
		bad("FASTSCALER_CAPACITY", "required: every scaled service and the requests/s one task serves, e.g. router:1000,api:250")
	}
	for _, name := range sortedKeys(c.Capacity) {
		if v := c.Capacity[name]; !(v > 0) || math.IsInf(v, 0) {
			bad("FASTSCALER_CAPACITY", "%s:%v must be a number > 0", name, v)
		}
	}
	for _, name := range sortedKeys(c.Weights) {
		if _, ok := c.Capacity[name]; !ok {
			bad("FASTSCALER_WEIGHTS", "service %q is not in FASTSCALER_CAPACITY", name)
		}
		if v := c.Weights[name]; !(v >= 0 && v <= 100) {
			bad("FASTSCALER_WEIGHTS", "%s:%v must be within 0–100 (percent of router traffic)", name, v)
		}
	}
	for _, m := range []struct {
		name string
		m    IntMap
	}{{"FASTSCALER_MIN_TASKS", c.MinTasks}, {"FASTSCALER_MAX_TASKS", c.MaxTasks}} {
		for _, svc := range sortedKeys(m.m) {
			if _, ok := c.Capacity[svc]; !ok {
				bad(m.name, "service %q is not in FASTSCALER_CAPACITY", svc)
			}
			if m.m[svc] < 0 {
				bad(m.name, "%s:%d must be ≥ 0", svc, m.m[svc])
			}
		}
	}
	for _, svc := range sortedKeys(c.Capacity) {
		lo, hi := c.minTasks(svc), c.maxTasks(svc)
		if hi < 1 {
			bad("FASTSCALER_MAX_TASKS", "%s:%d must be ≥ 1", svc, hi)
		}
		if lo > hi {
			bad("FASTSCALER_MIN_TASKS", "%s:%d exceeds its max of %d (FASTSCALER_MAX_TASKS)", svc, lo, hi)
		}
	}
}

// validateDaemon checks what only the daemon needs.
func (c Config) validateDaemon(errs *[]error) {
	bad := func(name, format string, a ...any) { addErr(errs, name, format, a...) }
	if strings.TrimSpace(c.RouterService) == "" {
		bad("FASTSCALER_ROUTER_SERVICE", "required (the ECS service of the Nginx router tasks)")
	}
	if c.LeaseTable != "" {
		if err := lease.CheckTimings(c.LeaseDuration, c.LeaseRenew); err != nil {
			bad("FASTSCALER_LEASE_DURATION", "%v and FASTSCALER_LEASE_RENEW %v: %v", c.LeaseDuration, c.LeaseRenew, err)
		} else if c.LeaseDuration < 2*LeaseMargin {
			bad("FASTSCALER_LEASE_DURATION", "%v must be at least %v (twice the margin a leader keeps before each write)", c.LeaseDuration, 2*LeaseMargin)
		}
	}
	if _, scaled := c.Capacity[c.RouterService]; scaled && c.minTasks(c.RouterService) < 1 {
		// With no router task there is no stub_status to read, so no load, so nothing would ever scale it out again.
		bad("FASTSCALER_MIN_TASKS", "%s:%d: the router's minimum must be ≥ 1 (at 0 no router reports load, and nothing would scale it out again)",
			c.RouterService, c.minTasks(c.RouterService))
	}
	if c.StatusPort < 1 || c.StatusPort > 65535 {
		bad("FASTSCALER_STATUS_PORT", "%d is not a TCP port", c.StatusPort)
	}
	if !strings.HasPrefix(c.StatusPath, "/") {
		bad("FASTSCALER_STATUS_PATH", "%q must start with /", c.StatusPath)
	}
	if c.PollInterval < 100*time.Millisecond {
		bad("FASTSCALER_POLL_INTERVAL", "%v is below the 100ms minimum", c.PollInterval)
	}
	if c.PollTimeout <= 0 {
		bad("FASTSCALER_POLL_TIMEOUT", "%v must be > 0", c.PollTimeout)
	} else if c.PollTimeout >= c.PollInterval {
		bad("FASTSCALER_POLL_TIMEOUT", "%v must be shorter than FASTSCALER_POLL_INTERVAL (%v), or cycles overlap", c.PollTimeout, c.PollInterval)
	}
	if !(c.SurgeRatio > 1) {
		bad("FASTSCALER_SURGE_RATIO", "%v must be > 1", c.SurgeRatio)
	}
	nonNeg := []struct {
		name string
		v    time.Duration
	}{
		{"FASTSCALER_LEAD_TIME", c.LeadTime}, {"FASTSCALER_SCALE_IN_COOLDOWN", c.ScaleInCooldown},
		{"FASTSCALER_SURGE_HOLD", c.SurgeHold}, {"FASTSCALER_STABILIZATION_WINDOW", c.Stabilization},
		{"FASTSCALER_SCALE_IN_INTERVAL", c.ScaleInInterval},
	}
	for _, d := range nonNeg {
		if d.v < 0 {
			bad(d.name, "%v must be ≥ 0", d.v)
		}
	}
	positive := []struct {
		name string
		v    time.Duration
	}{
		{"FASTSCALER_STEADY_WINDOW", c.SteadyWindow}, {"FASTSCALER_SLOPE_WINDOW", c.SlopeWindow},
		{"FASTSCALER_BASELINE_WINDOW", c.BaselineWindow}, {"FASTSCALER_DISCOVERY_INTERVAL", c.DiscoveryInterval},
	}
	for _, d := range positive {
		if d.v <= 0 {
			bad(d.name, "%v must be > 0", d.v)
		}
	}
	if c.PollInterval > 0 && c.BaselineWindow < 20*c.PollInterval {
		bad("FASTSCALER_BASELINE_WINDOW", "%v must span at least 20 polls (%v)", c.BaselineWindow, 20*c.PollInterval)
	}
	if !(c.SurgeMinRPS >= 0) {
		bad("FASTSCALER_SURGE_MIN_RPS", "%v must be ≥ 0", c.SurgeMinRPS)
	}
	if !(c.MaxProjection >= 1) {
		bad("FASTSCALER_MAX_PROJECTION", "%v must be ≥ 1", c.MaxProjection)
	}
	if !(c.MaxSurgeFactor > 1) {
		bad("FASTSCALER_MAX_SURGE_FACTOR", "%v must be > 1", c.MaxSurgeFactor)
	}
	if !(c.Tolerance >= 0 && c.Tolerance < 1) {
		bad("FASTSCALER_TOLERANCE", "%v must be within [0, 1)", c.Tolerance)
	}
	if !(c.ScaleInStep > 0 && c.ScaleInStep <= 1) {
		bad("FASTSCALER_SCALE_IN_STEP", "%v must be within (0, 1]", c.ScaleInStep)
	}
	if !(c.MinCoverage >= 0.5 && c.MinCoverage <= 1) {
		bad("FASTSCALER_MIN_COVERAGE", "%v must be within [0.5, 1]", c.MinCoverage)
	}
	if !(c.ECSRate > 0) {
		bad("FASTSCALER_ECS_RATE", "%v must be > 0 (ECS API calls per second)", c.ECSRate)
	}

	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		bad("FASTSCALER_LOG_LEVEL", "%v", err)
	}
	if c.MetricsNamespace != "" && (strings.HasPrefix(c.MetricsNamespace, "AWS/") || len(c.MetricsNamespace) > 255) {
		bad("FASTSCALER_METRICS_NAMESPACE", "%q: must not start with AWS/ and be at most 255 characters", c.MetricsNamespace)
	}
}

// Policy returns the policy configuration described by c.
func (c Config) Policy() policy.Config {
	p := policy.DefaultConfig()
	for name, capacity := range c.Capacity {
		w, ok := c.Weights[name]
		if !ok {
			w = DefaultWeight
		}
		p.Services[name] = policy.ServiceConfig{Capacity: capacity, Weight: w, Min: c.minTasks(name), Max: c.maxTasks(name)}
	}
	p.SurgeRatio = c.SurgeRatio
	p.SurgeMinRPS = c.SurgeMinRPS
	p.LeadTime = c.LeadTime
	p.MaxProjection = c.MaxProjection
	p.MaxSurgeFactor = c.MaxSurgeFactor
	// The short window spans the last two polls, so a surge is seen within two polls of crossing the ratio.
	p.ShortWindow = c.PollInterval * 3 / 2
	p.SteadyWindow = c.SteadyWindow
	p.SlopeWindow = c.SlopeWindow
	p.BaselineWindow = c.BaselineWindow
	p.MinBaseline = min(policy.DefaultMinBaseline, c.BaselineWindow/2)
	p.SurgeHold = c.SurgeHold
	p.Confirm = c.ConfirmWindow
	p.Tolerance = c.Tolerance
	p.ScaleInCooldown = c.ScaleInCooldown
	p.Stabilization = c.Stabilization
	p.ScaleInStep = c.ScaleInStep
	p.ScaleInInterval = c.ScaleInInterval
	p.MinCoverage = c.MinCoverage
	if _, scaled := c.Capacity[c.RouterService]; scaled {
		p.Router = c.RouterService
	}
	return p
}

// Services returns the scaled services in sorted order.
func (c Config) Services() []string { return sortedKeys(c.Capacity) }

func (c Config) minTasks(svc string) int {
	if v, ok := c.MinTasks[svc]; ok {
		return v
	}
	return DefaultMinTasks
}

func (c Config) maxTasks(svc string) int {
	if v, ok := c.MaxTasks[svc]; ok {
		return v
	}
	return DefaultMaxTasks
}

// MinMax returns the configured bounds of a service.
func (c Config) MinMax(svc string) (lo, hi int) { return c.minTasks(svc), c.maxTasks(svc) }

// FloatMap is a NAME:NUMBER,NAME:NUMBER variable.
type FloatMap map[string]float64

// UnmarshalText parses NAME:NUMBER pairs separated by commas, rejecting duplicates and non-numbers.
func (m *FloatMap) UnmarshalText(b []byte) error {
	out := FloatMap{}
	err := parsePairs(string(b), func(k, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s:%s: %q is not a number", k, v, v)
		}
		out[k] = f
		return nil
	}, func(k string) bool { _, dup := out[k]; return dup })
	*m = out
	return err
}

// IntMap is a NAME:INTEGER,NAME:INTEGER variable.
type IntMap map[string]int

// UnmarshalText parses NAME:INTEGER pairs separated by commas, rejecting duplicates and non-integers.
func (m *IntMap) UnmarshalText(b []byte) error {
	out := IntMap{}
	err := parsePairs(string(b), func(k, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s:%s: %q is not a whole number", k, v, v)
		}
		out[k] = n
		return nil
	}, func(k string) bool { _, dup := out[k]; return dup })
	*m = out
	return err
}

func parsePairs(s string, set func(k, v string) error, seen func(k string) bool) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var errs []error
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case part == "":
			errs = append(errs, errors.New("empty entry (two commas in a row?)"))
		case !ok || k == "" || v == "":
			errs = append(errs, fmt.Errorf("%q: want SERVICE:VALUE", part))
		case seen(k):
			errs = append(errs, fmt.Errorf("service %q given twice", k))
		default:
			if err := set(k, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// renameEnvErrors rewrites the env library's errors, which name Go struct fields, to name the variables.
func renameEnvErrors(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	t := reflect.TypeOf(Config{})
	var out []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := t.FieldByName(pe.Name); ok {
				name := strings.Split(f.Tag.Get("env"), ",")[0]
				out = append(out, fmt.Errorf("%s: %w", name, unwrapStrconv(pe.Err)))
				continue
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// unwrapStrconv turns `strconv.ParseFloat: parsing "x": invalid syntax` into `"x": invalid syntax`.
func unwrapStrconv(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return fmt.Errorf("%q: %w", ne.Num, ne.Err)
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
