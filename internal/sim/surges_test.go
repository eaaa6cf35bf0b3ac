package sim

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSurges(t *testing.T) {
	flat := func(n int, v float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	step := func(rps []float64, at int, v float64) []float64 {
		for i := at; i < len(rps); i++ {
			rps[i] = v
		}
		return rps
	}
	blip := flat(1800, 100)
	for s := 900; s < 905; s++ {
		blip[s] = 200
	}
	slow := flat(3600, 100) // 2x over half an hour: a trend, not a surge
	for s := range slow {
		slow[s] = 100 + 100*min(float64(s)/1800, 1)
	}
	tests := []struct {
		name string
		rps  []float64
		want []time.Duration
	}{
		{"flat", flat(1800, 100), nil},
		// The 10 seconds up to 600 s hold one of the step's, enough for 1.1x.
		{"one step", step(flat(1800, 100), 600, 300), []time.Duration{600 * time.Second}},
		{"two steps", step(step(flat(3600, 100), 600, 300), 1800, 900), []time.Duration{600 * time.Second, 1800 * time.Second}},
		{"a 5-second blip", blip, nil},
		{"a slow rise", slow, nil},
		// Half a minute at 100 rps is all the baseline there is (210 rps with the step's), so the onset is 231 rps,
		// which the 10 seconds up to 35 s reach with 6 seconds at 320.
		{"a step after half a minute", step(flat(600, 100), 30, 320), []time.Duration{35 * time.Second}},
		{"a rise from the first second", step(flat(600, 0), 1, 300), nil},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Surges(tt.rps)); diff != "" {
				t.Errorf("Surges (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScenarioSurges: the evening has its two broadcast ends, every other scenario one surge at most, whatever the
// seed, so that only the evening's FIRST SCALE-OUT is given per surge.
func TestScenarioSurges(t *testing.T) {
	want := map[string][]time.Duration{
		"broadcast-end": {10 * time.Minute}, "double": {10 * time.Minute}, "step": {10 * time.Minute},
		"big-broadcast": {20 * time.Minute}, "noisy": nil, "evening": {174 * time.Minute, 294 * time.Minute},
	}
	for _, name := range ScenarioNames() {
		for seed := uint64(1); seed <= 3; seed++ {
			tr, err := Scenario(name, seed)
			if err != nil {
				t.Fatal(err)
			}
			got := Surges(tr.RPS)
			if len(got) != len(want[name]) {
				t.Fatalf("%s seed %d: surges at %v, want near %v", name, seed, got, want[name])
			}
			for i, at := range got {
				if d := at - want[name][i]; d < 0 || d > time.Minute {
					t.Errorf("%s seed %d: surge %d at %v, want within a minute after %v", name, seed, i+1, at, want[name][i])
				}
			}
		}
	}
}

func TestSurgeScaleOuts(t *testing.T) {
	s := func(v float64) *float64 { return &v }
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	got := surgeScaleOuts([]time.Duration{sec(1300), sec(50), sec(700), sec(650)}, []time.Duration{sec(600), sec(1200), sec(2000)})
	if diff := cmp.Diff([]*float64{s(50), s(100), nil}, got); diff != "" {
		t.Errorf("surgeScaleOuts (-want +got):\n%s", diff)
	}
}

// TestRunFirstScaleOutPerSurge: on the evening (two surges) the whole-trace figure, which would be measured from
// the evening's slow rise, gives way to one per surge; a single surge keeps the whole-trace figure alone.
func TestRunFirstScaleOutPerSurge(t *testing.T) {
	cfg := handConfig(t, "router:1000,api:250,api-canary:250", PolicyFastscaler, PolicyStatic)
	evening, _ := Scenario("evening", 1)
	results, err := Run(cfg, evening)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Summary.FirstScaleOutSecs != nil || len(r.SurgeScaleOuts) != 2 {
			t.Errorf("%s on evening: first scale-out %v, per surge %v; want none and two", r.Summary.Policy, r.Summary.FirstScaleOutSecs, r.SurgeScaleOuts)
		}
	}
	if fs := results[0].SurgeScaleOuts; fs[0] == nil || fs[1] == nil || *fs[0] < 0 || *fs[0] > 30 || *fs[1] < 0 || *fs[1] > 30 {
		t.Errorf("fastscaler's first scale-outs after the evening's surges: %v, want each within 30 s", fs)
	}
	if st := results[1].SurgeScaleOuts; st[0] != nil || st[1] != nil {
		t.Errorf("static scaled out after a surge: %v", st)
	}
	double, _ := Scenario("double", 1)
	if results, err = Run(cfg, double); err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Summary.FirstScaleOutSecs == nil || r.SurgeScaleOuts != nil {
		t.Errorf("fastscaler on double: first scale-out %v, per surge %v; want the one figure", r.Summary.FirstScaleOutSecs, r.SurgeScaleOuts)
	}
}
