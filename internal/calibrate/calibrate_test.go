package calibrate

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// within reports whether got is within frac of want.
func within(got, want, frac float64) bool { return math.Abs(got-want) <= frac*want }

// synth is DefaultSynth changed by modify, if not nil.
func synth(modify func(*Synth)) Synth {
	s := DefaultSynth()
	if modify != nil {
		modify(&s)
	}
	return s
}

func TestEstimateFindsTheKnee(t *testing.T) {
	tests := []struct {
		name       string
		modify     func(*Synth)
		opts       Options
		wantSignal string
		wantKnee   float64 // the knee the history was generated with, for this signal
		wantCap    float64
		wantNote   string
	}{
		{
			name:       "latency",
			wantSignal: SignalLatency, wantKnee: 180, wantCap: 140, // 180 × 0.8 = 144 → 140
			wantNote: "knee found in the latency",
		},
		{
			name:       "CPU only",
			modify:     func(s *Synth) { s.NoLatency, s.NoErrors = true, true },
			wantSignal: SignalCPU, wantKnee: 180, wantCap: 140, // CPU is 70 % at 180 rps per task
			wantNote: "no Service Connect latency or 5xx data: falling back to CPU",
		},
		{
			name:       "5xx only",
			modify:     func(s *Synth) { s.NoLatency = true },
			wantSignal: Signal5xx, wantKnee: 220, wantCap: 170, // 5xx grow from 40 rps per task past the knee
			wantNote: "no Service Connect latency: the knee is looked for in the 5xx rate alone",
		},
		{
			name:       "latency, another seed and a smaller margin",
			modify:     func(s *Synth) { s.Seed = 99 },
			opts:       Options{Margin: 0.5, Seed: 3},
			wantSignal: SignalLatency, wantKnee: 180, wantCap: 90,
			wantNote: "× margin 0.5, rounded down",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := synth(tt.modify)
			h, truth := s.History()
			rec, err := Estimate(h, tt.opts)
			if err != nil {
				t.Fatalf("Estimate: %v", err)
			}
			t.Logf("%s: capacity %v, knee %.1f (10–90%% %.1f–%.1f) from %s; %.0f h, %d surges, max %.0f rps/task; notes %q",
				tt.name, rec.CapacityRPS, rec.Knee, rec.KneeLow, rec.KneeHigh, rec.Signal, rec.Evidence.Hours,
				rec.Evidence.Surges, rec.Evidence.MaxPerTaskLoad, rec.Evidence.Notes)
			if rec.Signal != tt.wantSignal {
				t.Errorf("Signal = %q, want %q", rec.Signal, tt.wantSignal)
			}
			if !within(rec.Knee, tt.wantKnee, 0.10) {
				t.Errorf("Knee = %.1f, want within 10%% of %v", rec.Knee, tt.wantKnee)
			}
			if !(rec.KneeLow <= rec.Knee && rec.Knee <= rec.KneeHigh) || !within(rec.KneeLow, tt.wantKnee, 0.15) ||
				!within(rec.KneeHigh, tt.wantKnee, 0.15) {
				t.Errorf("spread %.1f–%.1f around %.1f: want it to hold the knee and stay within 15%% of %v",
					rec.KneeLow, rec.KneeHigh, rec.Knee, tt.wantKnee)
			}
			if rec.CapacityRPS != tt.wantCap {
				t.Errorf("CapacityRPS = %v, want %v", rec.CapacityRPS, tt.wantCap)
			}
			ev := rec.Evidence
			wantEv := Evidence{
				Hours: 14 * 24, Periods: 14 * 1440, Surges: 28, MaxPerTaskLoad: slices.Max(truth.X),
				Bootstrap: DefaultBootstrap,
			}
			gotEv := Evidence{Hours: ev.Hours, Periods: ev.Periods, Surges: ev.Surges, MaxPerTaskLoad: ev.MaxPerTaskLoad,
				Bootstrap: ev.Bootstrap}
			// Two of the 28 surges fall within minutes of each other, which makes them one episode or two depending
			// on the seed: allow for that.
			if diff := cmp.Diff(wantEv, gotEv, cmpopts.EquateApprox(0, 1e-9), cmp.Comparer(func(a, b int) bool {
				return a == b || (a >= 24 && a <= 28 && b >= 24 && b <= 28)
			})); diff != "" {
				t.Errorf("evidence (-want +got):\n%s", diff)
			}
			if ev.PeriodsBeyondKnee < DefaultMinUpperPeriods || len(ev.Bins) < 5 {
				t.Errorf("PeriodsBeyondKnee = %d, %d bins: want at least %d periods and 5 bins", ev.PeriodsBeyondKnee,
					len(ev.Bins), DefaultMinUpperPeriods)
			}
			if !slices.ContainsFunc(ev.Notes, func(n string) bool { return strings.Contains(n, tt.wantNote) }) {
				t.Errorf("Notes = %q, want one containing %q", ev.Notes, tt.wantNote)
			}
			if _, err := json.Marshal(rec); err != nil {
				t.Errorf("the recommendation does not encode as JSON (for calibrate --json): %v", err)
			}
			if tt.wantSignal != SignalCPU && !within(ev.CPUAtKnee, s.CPUAt(rec.Knee), 0.05) {
				t.Errorf("CPUAtKnee = %.1f, want about %.1f", ev.CPUAtKnee, s.CPUAt(rec.Knee))
			}
		})
	}
}

// TestEstimateBackgroundErrors: 5xx that are there at every load are not the knee. With 0.11%–0.2% of the
// requests failing regardless of load (above the 0.1% that marks degradation), the knee is still the latency
// knee at 180, or the 5xx knee at 220 without latency, and the evidence says the low-load 5xx rate is already high.
func TestEstimateBackgroundErrors(t *testing.T) {
	for _, tt := range []struct {
		name       string
		background float64
		noLatency  bool
		wantSignal string
		wantKnee   float64
		wantNote   bool // the low-load 5xx rate is above MaxErrorRate: the evidence says so
	}{
		{"0.2% with latency", 0.002, false, SignalLatency, 180, true},
		{"0.11% with latency", 0.0011, false, SignalLatency, 180, true},
		{"0.2% without latency", 0.002, true, Signal5xx, 220, true},
		{"0.05% with latency", 0.0005, false, SignalLatency, 180, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSynth()
			s.BackgroundErrorRate, s.NoLatency = tt.background, tt.noLatency
			h, _ := s.History()
			rec, err := Estimate(h, Options{})
			if err != nil {
				t.Fatalf("Estimate: %v", err)
			}
			t.Logf("background 5xx %g%%: knee %.1f (10–90%% %.1f–%.1f) from %s, capacity %v", 100*tt.background, rec.Knee,
				rec.KneeLow, rec.KneeHigh, rec.Signal, rec.CapacityRPS)
			if rec.Signal != tt.wantSignal || !within(rec.Knee, tt.wantKnee, 0.10) {
				t.Errorf("knee %.1f from %s, want within 10%% of %v from %s", rec.Knee, rec.Signal, tt.wantKnee, tt.wantSignal)
			}
			if !within(rec.KneeLow, tt.wantKnee, 0.15) || !within(rec.KneeHigh, tt.wantKnee, 0.15) {
				t.Errorf("spread %.1f–%.1f: want within 15%% of %v", rec.KneeLow, rec.KneeHigh, tt.wantKnee)
			}
			noted := slices.ContainsFunc(rec.Evidence.Notes, func(n string) bool {
				return strings.HasPrefix(n, "5xx at low load: ") && strings.Contains(n, "above the 0.1% that marks degradation")
			})
			if noted != tt.wantNote {
				t.Errorf("Notes = %q: a note on the low-load 5xx rate: %v, want %v", rec.Evidence.Notes, noted, tt.wantNote)
			}
			if ev := rec.Evidence; tt.wantSignal == Signal5xx &&
				(!within(ev.Baseline, tt.background+0.00005, 0.1) || math.Abs(ev.Threshold-ev.Baseline-DefaultMaxErrorRate) > 1e-12) {
				t.Errorf("5xx baseline %g, threshold %g: want about %g, and %g above it", ev.Baseline, ev.Threshold,
					tt.background+0.00005, DefaultMaxErrorRate)
			}
		})
	}
}

func TestEstimateIsDeterministic(t *testing.T) {
	h, _ := DefaultSynth().History()
	a, err := Estimate(h, Options{})
	if err != nil {
		t.Fatalf("Estimate: %v", err)
	}
	b, err := Estimate(h, Options{})
	if err != nil {
		t.Fatalf("Estimate: %v", err)
	}
	if diff := cmp.Diff(a, b, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
}

func TestEstimateRefuses(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Synth)
		edit   func(*History)
		opts   Options
		// want is compared on Service, Shortfall, Have (approximately) and Need.
		want     InsufficientDataError
		wantHave func(SynthTruth) float64 // overrides want.Have when the truth decides it
		wantMsg  []string
	}{
		{
			name:   "6 hours",
			modify: func(s *Synth) { s.Minutes = 6 * 60 },
			want:   InsufficientDataError{Service: "api", Shortfall: ShortHistory, Have: 6, Need: 24},
			wantMsg: []string{
				"calibrating api: only 6.0 hours of usable history; need at least 24: wait 18.0 more hours",
				"1080 more periods of 1m0s", "latency, has 360 usable periods",
			},
		},
		{
			name:   "6 hours of CPU only, asking for 48",
			modify: func(s *Synth) { s.Minutes, s.NoLatency, s.NoErrors = 6*60, true, true },
			opts:   Options{MinHours: 48},
			want:   InsufficientDataError{Service: "api", Shortfall: ShortHistory, Have: 6, Need: 48},
			wantMsg: []string{
				"need at least 48: wait 42.0 more hours", "CPU, has 360 usable periods",
			},
		},
		{
			name:     "load never past the knee",
			modify:   func(s *Synth) { s.SurgeFactor = 1.2 },
			want:     InsufficientDataError{Service: "api", Shortfall: KneeNotReached},
			wantHave: func(tr SynthTruth) float64 { return slices.Max(tr.X) },
			wantMsg: []string{
				"per-task load never exceeded 1", " rps; the knee is above it; run a load test or wait for a bigger surge",
				"median latency stayed below 1.5 × its low-load median of 40",
			},
		},
		{
			name:     "CPU never reaches its target",
			modify:   func(s *Synth) { s.SurgeFactor, s.NoLatency, s.NoErrors = 1.2, true, true },
			want:     InsufficientDataError{Service: "api", Shortfall: KneeNotReached},
			wantHave: func(tr SynthTruth) float64 { return slices.Max(tr.X) },
			wantMsg:  []string{"the knee is above it", "CPU's fit reaches 70% only at about 18"},
		},
		{
			name: "too few periods beyond the knee",
			opts: Options{MinUpperPeriods: 1000},
			want: InsufficientDataError{Service: "api", Shortfall: FewPeriodsBeyondKnee, Need: 1000},
			wantMsg: []string{
				"per-task load reached the apparent knee (about 1", "need at least 1000 to place it: wait for more surges or run a load test",
			},
		},
		{
			name:   "no usable period",
			modify: func(s *Synth) { s.Minutes = 60 },
			edit: func(h *History) {
				for i := range h.RunningTasks.Values {
					h.RunningTasks.Values[i] = 0 // scaled to zero the whole time
				}
			},
			opts: Options{MinHours: 0.5},
			want: InsufficientDataError{Service: "api", Shortfall: ShortHistory, Need: 0.5},
			wantMsg: []string{
				"only 0.0 hours", "no period has both a request rate and a running task count",
			},
		},
		{
			name: "no task count at all",
			edit: func(h *History) {
				h.RunningTasks = Series{Times: h.RunningTasks.Times[:3], Values: []float64{math.NaN(), math.Inf(1), math.NaN()}}
			},
			want: InsufficientDataError{Service: "api", Shortfall: NoTaskCount},
			wantMsg: []string{
				"calibrating api: no running-task count at any time, so no per-task load to calibrate against: waiting will not help",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := synth(tt.modify)
			h, truth := s.History()
			if tt.edit != nil {
				tt.edit(&h)
			}
			rec, err := Estimate(h, tt.opts)
			var ide *InsufficientDataError
			if !errors.As(err, &ide) {
				t.Fatalf("Estimate = %+v, %v; want an *InsufficientDataError", rec, err)
			}
			want := tt.want
			if tt.wantHave != nil {
				want.Have = tt.wantHave(truth)
			}
			got := InsufficientDataError{Service: ide.Service, Shortfall: ide.Shortfall, Have: ide.Have, Need: ide.Need}
			if tt.want.Shortfall == FewPeriodsBeyondKnee {
				got.Have = 0 // how many periods passed the knee depends on the noise; checked below
				if ide.Have < DefaultMinUpperPeriods || ide.Have >= ide.Need || !within(ide.Knee, 180, 0.1) {
					t.Errorf("Have %v periods beyond a knee of %v: want at least %d and fewer than %v, knee near 180",
						ide.Have, ide.Knee, DefaultMinUpperPeriods, ide.Need)
				}
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q\nwant it to contain %q", err, m)
				}
			}
		})
	}
}

func TestEstimateBadInput(t *testing.T) {
	at := func(m int) time.Time { return SynthStart.Add(time.Duration(m) * time.Minute) }
	good := func() History {
		h, _ := DefaultSynth().History()
		return h
	}
	tests := []struct {
		name    string
		h       func() History
		opts    Options
		wantErr []string
	}{
		{
			name:    "no period",
			h:       func() History { h := good(); h.Period = 0; return h },
			wantErr: []string{"calibrating api: period 0s: want a positive duration"},
		},
		{
			name: "times and values differ in length",
			h: func() History {
				h := good()
				h.CPU.Values = h.CPU.Values[:10]
				h.Latency.Times = h.Latency.Times[:5]
				return h
			},
			wantErr: []string{"CPU: 20160 times but 10 values", "Latency: 5 times but 20160 values"},
		},
		{
			name:    "negative rate",
			h:       func() History { h := good(); h.RequestRate.Values[3] = -1; return h },
			wantErr: []string{"RequestRate: value -1 at 2026-11-01T00:03:00Z is negative"},
		},
		{
			name: "two values in one period",
			h: func() History {
				h := good()
				h.RunningTasks.Times[1] = at(0).Add(30 * time.Second)
				return h
			},
			wantErr: []string{"RunningTasks: two values in the period starting 2026-11-01T00:00:00Z (at 2026-11-01T00:00:30Z)"},
		},
		{
			name:    "no signal at all",
			h:       func() History { h := good(); h.CPU, h.Latency, h.Errors5xx = Series{}, Series{}, Series{}; return h },
			wantErr: []string{"calibrating api: no latency, 5xx or CPU data to find the knee in (20160 periods"},
		},
		{
			name: "every option wrong at once",
			h:    good,
			opts: Options{
				MinHours: -1, LatencyRise: 0.9, MaxErrorRate: 2, TargetCPU: 99, Margin: 1.2, Bins: 1,
				MinBinPeriods: -1, MinUpperPeriods: -2, Bootstrap: -5,
			},
			wantErr: []string{
				"MinHours -1", "LatencyRise 0.9", "MaxErrorRate 2", "TargetCPU 99", "Margin 1.2", "Bins 1",
				"MinBinPeriods -1", "MinUpperPeriods -2", "Bootstrap -5",
			},
		},
		{
			name:    "NaN option",
			h:       good,
			opts:    Options{Margin: math.NaN()},
			wantErr: []string{"Margin NaN: want a factor between 0 and 1"},
		},
		{
			name: "CPU falls with load",
			h: func() History {
				h := good()
				h.Latency, h.Errors5xx = Series{}, Series{}
				for i := range h.CPU.Values {
					h.CPU.Values[i] = 80 - h.RequestRate.Values[i]/h.RunningTasks.Values[i]/10
				}
				return h
			},
			wantErr: []string{"CPU does not rise with per-task load"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := Estimate(tt.h(), tt.opts)
			if err == nil {
				t.Fatalf("Estimate = %+v, want an error", rec)
			}
			var ide *InsufficientDataError
			if errors.As(err, &ide) {
				t.Errorf("error %v is an InsufficientDataError; want a plain error", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// TestEstimateOddInputs feeds small, ragged, constant and NaN-riddled histories: each must come back as a
// recommendation or an error, never a panic, and a recommendation must be finite.
func TestEstimateOddInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := range 300 {
		n := rng.IntN(200)
		h := History{Service: "odd", Period: time.Minute}
		for _, s := range []*Series{&h.RequestRate, &h.RunningTasks, &h.CPU, &h.Latency, &h.Errors5xx} {
			if rng.IntN(4) == 0 {
				continue // absent
			}
			constant := rng.IntN(3) == 0
			for i := range n {
				if rng.IntN(10) == 0 {
					continue // a gap
				}
				v := math.Floor(rng.Float64() * 50)
				switch {
				case constant:
					v = 3
				case rng.IntN(20) == 0:
					v = math.NaN()
				}
				s.Times = append(s.Times, SynthStart.Add(time.Duration(i)*time.Minute))
				s.Values = append(s.Values, v)
			}
		}
		opts := Options{MinHours: 0.01 + rng.Float64(), MinBinPeriods: 1 + rng.IntN(5), MinUpperPeriods: 1 + rng.IntN(5),
			Bins: 2 + rng.IntN(50), Bootstrap: 1 + rng.IntN(20)}
		rec, err := Estimate(h, opts)
		if err != nil {
			continue
		}
		for _, v := range []float64{rec.Knee, rec.KneeLow, rec.KneeHigh, rec.CapacityRPS} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Errorf("trial %d: recommendation %+v has a non-finite or negative figure", trial, rec)
			}
		}
		if _, err := json.Marshal(rec); err != nil {
			t.Errorf("trial %d: recommendation does not encode as JSON: %v", trial, err)
		}
	}
}

func TestAlign(t *testing.T) {
	at := func(m int) time.Time { return SynthStart.Add(time.Duration(m) * time.Minute) }
	series := func(vs ...float64) Series {
		s := Series{}
		for i, v := range vs {
			s.Times = append(s.Times, at(i).Add(time.Duration(i)*time.Second)) // off the minute: truncated
			s.Values = append(s.Values, v)
		}
		return s
	}
	nan := math.NaN()
	h := History{
		Service:      "api",
		Period:       time.Minute,
		RequestRate:  series(100, 200, nan, 400, 500, 600),
		RunningTasks: series(2, 0, 2, 4, 5, 6),
		Latency:      series(40, 41, 42, 43, nan, 45),
		// 5xx reported at minutes 1 and 4 only: minute 3 in between had none, minute 5 is after the series ends.
		Errors5xx: Series{Times: []time.Time{at(1), at(4)}, Values: []float64{3, 6}},
	}
	a, err := align(h)
	if err != nil {
		t.Fatalf("align: %v", err)
	}
	type row struct {
		Minute         int
		X, Reqs        float64
		Lat, Errs      float64
		HasLat, HasErr bool
	}
	var got []row
	for _, o := range a.periods {
		got = append(got, row{int(o.t.Sub(SynthStart) / time.Minute), o.x, o.reqs, o.lat, o.errs, o.hasLat, o.hasErrs})
	}
	want := []row{
		{Minute: 0, X: 50, Reqs: 6000, Lat: 40, HasLat: true},
		// minute 1: no running task; minute 2: no request rate
		{Minute: 3, X: 100, Reqs: 24000, Lat: 43, HasLat: true, HasErr: true},
		{Minute: 4, X: 100, Reqs: 30000, Errs: 6, HasErr: true},
		{Minute: 5, X: 100, Reqs: 36000, Lat: 45, HasLat: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("aligned periods (-want +got):\n%s", diff)
	}
	if a.dropped != 2 {
		t.Errorf("dropped = %d, want 2", a.dropped)
	}

	// The usable span runs from the start of the first usable period to the end of the last, minute 5. Without
	// minute 0's rate, minute 3 is the first.
	h.RequestRate.Values[0] = nan
	start, end, err := h.UsableSpan()
	if err != nil || !start.Equal(at(3)) || !end.Equal(at(6)) {
		t.Errorf("UsableSpan = %v, %v, %v; want %v to %v", start, end, err, at(3), at(6))
	}
	if start, end, err := (History{Service: "api", Period: time.Minute, RequestRate: series(1)}).UsableSpan(); err != nil ||
		!start.IsZero() || !end.IsZero() {
		t.Errorf("UsableSpan without tasks = %v, %v, %v; want zero times", start, end, err)
	}
	if _, _, err := (History{Service: "api"}).UsableSpan(); err == nil || !strings.Contains(err.Error(), "calibrating api: period 0s") {
		t.Errorf("UsableSpan without a period: %v, want the error naming the service", err)
	}
}

func TestCountSurges(t *testing.T) {
	minutes := func(vs ...float64) Series {
		s := Series{}
		for i, v := range vs {
			s.Times = append(s.Times, SynthStart.Add(time.Duration(i)*time.Minute))
			s.Values = append(s.Values, v)
		}
		return s
	}
	tests := []struct {
		name   string
		s      Series
		period time.Duration
		want   int
	}{
		{name: "flat", s: minutes(100, 100, 100, 100), want: 0},
		{name: "1.4x is not a surge", s: minutes(100, 120, 140, 140), want: 0},
		{name: "1.5x within 5 minutes", s: minutes(100, 110, 120, 130, 140, 150, 150), want: 1},
		{name: "1.5x over 6 minutes is not", s: minutes(100, 108, 116, 124, 132, 140, 149, 149), want: 0},
		{name: "one long surge is one episode", s: minutes(100, 200, 300, 400, 800, 1600), want: 1},
		{name: "two surges apart", s: minutes(100, 200, 100, 100, 100, 100, 100, 100, 100, 100, 200), want: 2},
		{name: "from zero does not count", s: minutes(0, 0, 50, 50), want: 0},
		{name: "out of order and with a gap", s: Series{
			Times:  []time.Time{SynthStart.Add(2 * time.Minute), SynthStart, SynthStart.Add(time.Minute)},
			Values: []float64{300, 100, math.NaN()},
		}, want: 1},
		{name: "5-minute periods compare neighbours", s: Series{
			Times:  []time.Time{SynthStart, SynthStart.Add(5 * time.Minute), SynthStart.Add(10 * time.Minute)},
			Values: []float64{100, 140, 210},
		}, period: 5 * time.Minute, want: 1},
		{name: "empty", s: Series{}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.period
			if p == 0 {
				p = time.Minute
			}
			if got := countSurges(tt.s, p); got != tt.want {
				t.Errorf("countSurges = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestFloorSignificant(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{144, 140}, {149.99, 140}, {140, 140}, {1.4 * 100, 140}, {180 * 0.8, 140}, {99.9, 99}, {1000, 1000},
		{1999, 1900}, {12345, 12000}, {0.1449, 0.14}, {0.07, 0.07}, {7, 7}, {0, 0}, {-5, 0}, {math.NaN(), 0},
		{math.Inf(1), 0},
	}
	for _, tt := range tests {
		if got := floorSignificant(tt.in, 2); got != tt.want {
			t.Errorf("floorSignificant(%v, 2) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestHingeRecoversABreak(t *testing.T) {
	// y = 10 + 0.1 x until 50, then 3 more per unit: the fit's breakpoint and slopes come back exactly.
	var x, y, w []float64
	for i := range 101 {
		v := float64(i)
		x = append(x, v)
		y = append(y, 10+0.1*v+3*max(0, v-50))
		w = append(w, 1)
	}
	var buf hingeBuf
	got, ok := hinge(x, y, w, 20, 80, &buf)
	if !ok {
		t.Fatal("hinge found no fit")
	}
	want := hingeResult{knee: 50, fit: Fit{Intercept: 10, Slope: 0.1, SlopeAbove: 3}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(hingeResult{}), cmpopts.EquateApprox(0, 1e-6),
		cmpopts.IgnoreFields(hingeResult{}, "sse")); diff != "" {
		t.Errorf("hinge (-want +got):\n%s", diff)
	}
	// A flat line has no rising break.
	for i := range y {
		y[i] = 5
	}
	if got, ok := hinge(x, y, w, 20, 80, &buf); ok {
		t.Errorf("hinge on a flat line = %+v, want no fit", got)
	}
}

func TestInsufficientDataErrorStrings(t *testing.T) {
	tests := []struct {
		e    InsufficientDataError
		want string
	}{
		{
			InsufficientDataError{Service: "api", Shortfall: ShortHistory, Have: 6, Need: 24, Period: time.Minute},
			"calibrating api: only 6.0 hours of usable history; need at least 24: wait 18.0 more hours (1080 more periods of 1m0s)",
		},
		{
			InsufficientDataError{Shortfall: KneeNotReached, Have: 150.7, Detail: "why"},
			"calibrating (unnamed service): per-task load never exceeded 150 rps; the knee is above it; " +
				"run a load test or wait for a bigger surge (why)",
		},
		{
			InsufficientDataError{Service: "api", Shortfall: FewPeriodsBeyondKnee, Have: 12, Need: 30, Knee: 181.4},
			"calibrating api: per-task load reached the apparent knee (about 181 rps) in only 12 periods; need at least 30 " +
				"to place it: wait for more surges or run a load test",
		},
		{
			InsufficientDataError{Service: "api", Shortfall: NoTaskCount, Detail: "why"},
			"calibrating api: no running-task count at any time, so no per-task load to calibrate against: waiting will " +
				"not help; find out where the service's task count should come from (why)",
		},
		{InsufficientDataError{Service: "api", Shortfall: 9}, "calibrating api: insufficient data (Shortfall(9))"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q\nwant      %q", got, tt.want)
		}
	}
}
