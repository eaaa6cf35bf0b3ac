package knob

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSuggest(t *testing.T) {
	names := []string{"router", "api", "api-canary"}
	for _, tt := range []struct{ in, want string }{
		{"api-canray", "api-canary"}, // a swap is one edit
		{"routr", "router"},
		{"Router", "router"}, // case is not a spelling
		{"app", "api"},
		{"web", ""},
		{"checkout", ""},
	} {
		if got := Suggest(tt.in, names); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Suggest("FASTSCALER_POLL_INTERVALL", []string{"FASTSCALER_POLL_INTERVAL", "FASTSCALER_POLL_TIMEOUT"}); got != "FASTSCALER_POLL_INTERVAL" {
		t.Errorf("Suggest of a long variable = %q", got)
	}
}

func TestParsePairsKeepsTheGoodEntries(t *testing.T) {
	m, err := ParsePairs(" api:1 , web:x,,api:2, bad", ParseInt)
	if diff := cmp.Diff(map[string]int{"api": 1}, m); diff != "" {
		t.Errorf("good entries (-want +got):\n%s", diff)
	}
	want := "web:x: \"x\" is not a whole number\nempty entry (two commas in a row?)\nservice \"api\" given twice\n\"bad\": want SERVICE:VALUE"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * time.Second: "90s", time.Minute: "60s", 10 * time.Minute: "10m", 5*time.Minute + 30*time.Second: "5m30s",
		1500 * time.Millisecond: "1.5s", 2 * time.Hour: "2h", 500 * time.Millisecond: "500ms",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestWithAppliesEveryOptionAndDocuments(t *testing.T) {
	type conf struct{ S string }
	base := String("FASTSCALER_X", "dflt", "a text", func(c *conf) *string { return &c.S })
	for _, tt := range []struct {
		name    string
		k       Knob[conf]
		want    Meta
		wantDoc string
	}{
		{"none", base.With(), Meta{Var: "FASTSCALER_X", Type: "text", Default: "dflt", Meaning: "a text"}, "dflt"},
		{"required in a scope", base.With(Required, InScope(Account)),
			Meta{Var: "FASTSCALER_X", Type: "text", Default: "dflt", Meaning: "a text", Required: true, Scope: Account}, "required"},
		{"documented default, empty is a value", base.With(DocumentedDefault("one each"), EmptyIsValue),
			Meta{Var: "FASTSCALER_X", Type: "text", Default: "dflt", DefaultNote: "one each", Meaning: "a text", EmptyIsValue: true}, "one each"},
	} {
		if diff := cmp.Diff(tt.want, tt.k.Meta, cmp.AllowUnexported(Meta{})); diff != "" {
			t.Errorf("%s: Meta (-want +got):\n%s", tt.name, diff)
		}
		if got := tt.k.DocDefault(); got != tt.wantDoc {
			t.Errorf("%s: DocDefault() = %q, want %q", tt.name, got, tt.wantDoc)
		}
	}
	if base.Required || base.Scope != Policy {
		t.Errorf("With changed the knob it was called on: %+v", base.Meta)
	}
}
