package nginxstat

import (
	"strings"
	"testing"
)

func okTarget(id string, rps float64) TargetState {
	return TargetState{Target: Target{ID: id, Addr: id + ":8081"}, Status: StatusOK, Rates: Rates{RequestsPerSec: rps}}
}

func snapOf(ts ...TargetState) Snapshot {
	s := Snapshot{Known: len(ts), Fetched: len(ts), Targets: ts}
	for _, t := range ts {
		if t.Status == StatusOK {
			s.Reporting++
			s.RequestsPerSec += t.Rates.RequestsPerSec
		}
	}
	return s
}

func TestScreen(t *testing.T) {
	for _, tc := range []struct {
		name          string
		rates         []float64
		wantBad       []string
		wantReporting int
		wantRPS       float64
	}{
		{"a counter jump of 10⁹ is missing data", []float64{900, 1e9, 950}, []string{"b"}, 2, 1850},
		{"above 10 × capacity alone", []float64{10001}, []string{"a"}, 0, 0},
		{"old routers far above new ones after a scale-out are real", []float64{1400, 1400, 50, 50, 50}, nil, 5, 2950},
		{"old routers above saturation beside new ones seeing only health checks are real", []float64{1500, 1500, 1500, 1, 1, 1, 1, 1, 1, 1, 1, 1}, nil, 12, 4509},
		{"up to 10 × capacity is plausible", []float64{10000, 300}, nil, 2, 10300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ts []TargetState
			for i, r := range tc.rates {
				ts = append(ts, okTarget(string(rune('a'+i)), r))
			}
			got := snapOf(ts...).Screen(1000)
			var bad []string
			for _, tg := range got.Targets {
				if tg.Status == StatusImplausible {
					bad = append(bad, tg.Target.ID)
					if tg.Err == nil || !strings.Contains(tg.Err.Error(), "implausible") {
						t.Errorf("%s: error %v does not say why", tg.Target.ID, tg.Err)
					}
				}
			}
			if strings.Join(bad, ",") != strings.Join(tc.wantBad, ",") {
				t.Errorf("implausible %v, want %v", bad, tc.wantBad)
			}
			if got.Reporting != tc.wantReporting || got.RequestsPerSec != tc.wantRPS {
				t.Errorf("reporting %d at %v rps, want %d at %v", got.Reporting, got.RequestsPerSec, tc.wantReporting, tc.wantRPS)
			}
			if got.Known != len(tc.rates) {
				t.Errorf("known %d, want %d: an implausible target stays known (lowers coverage)", got.Known, len(tc.rates))
			}
		})
	}
}

func TestScreenWithoutCapacityIsIdentity(t *testing.T) {
	s := snapOf(okTarget("a", 1e12))
	if got := s.Screen(0); got.Reporting != 1 {
		t.Fatalf("Screen(0) changed the snapshot: %+v", got)
	}
}
