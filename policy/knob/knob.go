// Package knob declares configuration knobs once: each knob's environment variable, type, default, bounds and
// one-line meaning, from which loading, validation, the simulator's flags and the documentation tables all come.
//
// It is pure: it parses text handed to it and reads no environment itself.
package knob

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scope says which programs a knob shapes.
type Scope int

// Scopes of a knob.
const (
	Policy  Scope = iota // a tuning of policy.Decide: the daemon and the simulator
	Fleet                // the scaled services and their bounds: the daemon, the SRE commands and the simulator
	Account              // where the services are (cluster, AAS): the daemon and the SRE commands
	Polling              // the routers and how they are polled: the daemon and the simulator
	Daemon               // the daemon's own operation (listening, logging, metrics, the lease)
)

// Simulated reports whether the knob shapes a simulation (it gets a simulator flag).
func (s Scope) Simulated() bool { return s == Policy || s == Fleet || s == Polling }

// Commands reports whether the SRE commands (prescale, status, pause, resume) check the knob.
func (s Scope) Commands() bool { return s == Fleet || s == Account }

// Meta is what a knob says of itself, whatever struct it configures.
type Meta struct {
	Var     string // environment variable, e.g. FASTSCALER_LEAD_TIME
	Type    string // duration, number, integer, text, boolean, or a map's SERVICE:VALUE form
	Default string // the default as written in the environment; "" when unset means empty or required
	// DefaultNote explains a default that depends on other knobs; it replaces Default in the documentation.
	DefaultNote string
	Allowed     string // the bounds in words, e.g. "≥ 0"; "" for any value of the type
	Meaning     string // one line
	Scope       Scope
	Required    bool // must be set (no default)
	// EmptyIsValue: an empty variable is this empty value (e.g. "disables"), not "unset, use the default".
	EmptyIsValue bool

	partial bool // a map: the entries that parsed are kept, and checked, beside those that did not
}

// Knob is one configuration variable of a configuration struct C.
type Knob[C any] struct {
	Meta

	set   func(c *C, text string) error // parses text into the field
	check func(c C) error               // the bounds; nil when any parsed value is allowed
	// derive sets the default from other knobs when the variable is not set (nil: Default applies).
	derive func(c *C)
}

// Set parses text into c's field; the error names the bad entry but not the variable.
func (k Knob[C]) Set(c *C, text string) error { return k.set(c, text) }

// Partial reports whether a value that did not wholly parse keeps its good entries (a map), to be checked too.
func (k Knob[C]) Partial() bool { return k.partial }

// SetDefault gives c's field the knob's default.
func (k Knob[C]) SetDefault(c *C) error {
	if k.derive != nil {
		k.derive(c)
		return nil
	}
	if k.Default == "" && k.Type != "text" {
		return nil
	}
	return k.set(c, k.Default)
}

// Check reports whether c's field is within the knob's bounds; the error does not name the variable.
func (k Knob[C]) Check(c C) error {
	if k.check == nil {
		return nil
	}
	return k.check(c)
}

// Flag is the knob's command-line flag name: FASTSCALER_LEAD_TIME is lead-time.
func (k Knob[C]) Flag() string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k.Var, "FASTSCALER_"), "_", "-"))
}

// DocDefault is the default as documentation shows it.
func (k Knob[C]) DocDefault() string {
	switch {
	case k.DefaultNote != "":
		return k.DefaultNote
	case k.Required:
		return "required"
	case k.Default == "":
		return "empty"
	}
	return k.Default
}

// WithDerivedDefault returns k whose default, when its variable is unset, is computed from the other knobs
// (which are set first); note says how, for the documentation.
func (k Knob[C]) WithDerivedDefault(note string, derive func(c *C)) Knob[C] {
	k.DefaultNote, k.derive = note, derive
	return k
}

// Derived reports whether the knob's default is computed from other knobs (it is applied after them).
func (k Knob[C]) Derived() bool { return k.derive != nil }

// With returns k with opts applied to what it says of itself, e.g. k.With(Required, InScope(Account)).
func (k Knob[C]) With(opts ...Option) Knob[C] {
	for _, o := range opts {
		o(&k.Meta)
	}
	return k
}

// Option changes what a knob says of itself; see With.
type Option func(m *Meta)

// Required marks a knob that must be set: it has no default.
func Required(m *Meta) { m.Required = true }

// EmptyIsValue marks a knob whose empty variable means the empty value, not the default.
func EmptyIsValue(m *Meta) { m.EmptyIsValue = true }

// InScope puts a knob in scope s.
func InScope(s Scope) Option { return func(m *Meta) { m.Scope = s } }

// DocumentedDefault documents a knob with this default (e.g. "100 each" for a map) instead of its Default.
func DocumentedDefault(note string) Option { return func(m *Meta) { m.DefaultNote = note } }

// Lift turns a knob of a part P into a knob of a whole C that holds P at part(c).
func Lift[C, P any](k Knob[P], part func(c *C) *P) Knob[C] {
	out := Knob[C]{Meta: k.Meta}
	out.set = func(c *C, text string) error { return k.set(part(c), text) }
	if k.check != nil {
		out.check = func(c C) error { return k.check(*part(&c)) }
	}
	if k.derive != nil {
		out.derive = func(c *C) { k.derive(part(c)) }
	}
	return out
}

// Bound is a bound on a knob's value.
type Bound[T any] struct {
	Words string // e.g. "≥ 0"
	OK    func(v T) bool
}

// AtLeast allows v ≥ lo.
func AtLeast[T cmp.Ordered](lo T, show string) Bound[T] {
	return Bound[T]{"≥ " + show, func(v T) bool { return v >= lo }}
}

// Above allows v > lo.
func Above[T cmp.Ordered](lo T, show string) Bound[T] {
	return Bound[T]{"> " + show, func(v T) bool { return v > lo }}
}

// AtMost allows v ≤ hi.
func AtMost[T cmp.Ordered](hi T, show string) Bound[T] {
	return Bound[T]{"≤ " + show, func(v T) bool { return v <= hi }}
}

// Below allows v < hi.
func Below[T cmp.Ordered](hi T, show string) Bound[T] {
	return Bound[T]{"< " + show, func(v T) bool { return v < hi }}
}

// OneOf allows the listed values.
func OneOf(values ...string) Bound[string] {
	return Bound[string]{"one of " + strings.Join(values, ", "), func(v string) bool {
		for _, x := range values {
			if v == x {
				return true
			}
		}
		return false
	}}
}

// Rule is a bound given by a predicate and its words.
func Rule[T any](words string, ok func(v T) bool) Bound[T] { return Bound[T]{words, ok} }

// scalar declares a knob of one value of type T, parsed by parse and shown by show.
func scalar[C, T any](v, typ, def, meaning string, field func(c *C) *T, parse func(string) (T, error),
	show func(T) string, bounds []Bound[T]) Knob[C] {
	k := Knob[C]{Meta: Meta{Var: v, Type: typ, Default: def, Meaning: meaning}}
	k.set = func(c *C, text string) error {
		x, err := parse(strings.TrimSpace(text))
		if err != nil {
			return err
		}
		*field(c) = x
		return nil
	}
	if len(bounds) > 0 {
		words := make([]string, len(bounds))
		for i, b := range bounds {
			words[i] = b.Words
		}
		k.Allowed = strings.Join(words, " and ")
		k.check = func(c C) error {
			x := *field(&c)
			for _, b := range bounds {
				if !b.OK(x) {
					return fmt.Errorf("%s must be %s", show(x), k.Allowed)
				}
			}
			return nil
		}
	}
	return k
}

// Duration declares a Go duration knob (e.g. 90s, 1m30s).
func Duration[C any](v string, def time.Duration, meaning string, field func(c *C) *time.Duration, bounds ...Bound[time.Duration]) Knob[C] {
	return scalar(v, "duration", FormatDuration(def), meaning, field, ParseDuration, FormatDuration, bounds)
}

// Float declares a number knob.
func Float[C any](v string, def float64, meaning string, field func(c *C) *float64, bounds ...Bound[float64]) Knob[C] {
	return scalar(v, "number", FormatFloat(def), meaning, field, ParseFloat, FormatFloat, bounds)
}

// Int declares a whole-number knob.
func Int[C any](v string, def int, meaning string, field func(c *C) *int, bounds ...Bound[int]) Knob[C] {
	return scalar(v, "integer", strconv.Itoa(def), meaning, field, ParseInt, strconv.Itoa, bounds)
}

// String declares a text knob; def "" means empty.
func String[C any](v, def, meaning string, field func(c *C) *string, bounds ...Bound[string]) Knob[C] {
	return scalar(v, "text", def, meaning, field, func(s string) (string, error) { return s, nil }, strconv.Quote, bounds)
}

// Bool declares a true/false knob.
func Bool[C any](v string, def bool, meaning string, field func(c *C) *bool) Knob[C] {
	return scalar(v, "boolean", strconv.FormatBool(def), meaning, field, ParseBool, strconv.FormatBool, nil)
}

// Map declares a SERVICE:VALUE,SERVICE:VALUE knob whose values are parsed by parse and checked entry by entry.
func Map[C, T any](v, typ, meaning string, field func(c *C) *map[string]T, parse func(string) (T, error),
	show func(T) string, bounds ...Bound[T]) Knob[C] {
	k := Knob[C]{Meta: Meta{Var: v, Type: typ, Meaning: meaning, partial: true}}
	k.set = func(c *C, text string) error {
		m, err := ParsePairs(text, parse)
		*field(c) = m
		return err
	}
	if len(bounds) > 0 {
		words := make([]string, len(bounds))
		for i, b := range bounds {
			words[i] = b.Words
		}
		k.Allowed = "each " + strings.Join(words, " and ")
		k.check = func(c C) error {
			var errs []error
			m := *field(&c)
			for _, name := range SortedKeys(m) {
				for _, b := range bounds {
					if !b.OK(m[name]) {
						errs = append(errs, fmt.Errorf("%s:%s must be %s", name, show(m[name]), b.Words))
						break
					}
				}
			}
			return errors.Join(errs...)
		}
	}
	return k
}

// ParsePairs parses NAME:VALUE pairs separated by commas, reporting every bad entry (and duplicates) at once and
// keeping the good ones.
func ParsePairs[T any](s string, parse func(string) (T, error)) (map[string]T, error) {
	out := map[string]T{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	var errs []error
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if part == "" {
			errs = append(errs, errors.New("empty entry (two commas in a row?)"))
			continue
		}
		if !ok || k == "" || v == "" {
			errs = append(errs, fmt.Errorf("%q: want SERVICE:VALUE", part))
			continue
		}
		if _, dup := out[k]; dup {
			errs = append(errs, fmt.Errorf("service %q given twice", k))
			continue
		}
		x, err := parse(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%s: %w", k, v, err))
			continue
		}
		out[k] = x
	}
	return out, errors.Join(errs...)
}

// ParseDuration parses a Go duration, with a message an SRE can act on.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 1.5s, 90s, 10m)", s)
	}
	return d, nil
}

// ParseFloat parses a finite number.
func ParseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

// ParseInt parses a whole number.
func ParseInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return n, nil
}

// ParseBool parses true or false (and the forms strconv.ParseBool accepts: 1, 0, t, f, TRUE, False...).
func ParseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%q is not true or false", s)
	}
	return b, nil
}

// FormatDuration shows a duration the way the documentation writes defaults: 90s, 60s, 10m, 5m30s, 1.5s.
func FormatDuration(d time.Duration) string {
	if d >= time.Minute && d < 2*time.Minute && d%time.Second == 0 {
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// FormatFloat shows a number in its shortest form.
func FormatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// SortedKeys returns m's keys in order.
func SortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Suggest returns the candidate closest to name when it is a likely misspelling (a small edit distance), or "".
func Suggest(name string, candidates []string) string {
	best, bestD := "", math.MaxInt
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := distance(strings.ToLower(name), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(name) >= 12 {
		limit = 3
	}
	if bestD <= limit && bestD < len(name) {
		return best
	}
	return ""
}

// distance is the Damerau–Levenshtein (optimal string alignment) distance: a swap of neighbours counts once.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
