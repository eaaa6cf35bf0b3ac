package nginxstat

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)

func sample(id string, at time.Duration, requests, accepts, handled, reading, writing, active, waiting int64) Sample {
	return Sample{
		Target: Target{ID: id, Addr: id + ":8081"},
		At:     t0.Add(at),
		Stats:  Stats{Requests: requests, Accepts: accepts, Handled: handled, Reading: reading, Writing: writing, Active: active, Waiting: waiting},
	}
}

func TestDerive(t *testing.T) {
	prev := sample("a", 0, 1000, 100, 100, 0, 1, 10, 5)
	tests := []struct {
		name    string
		hadPrev bool
		cur     Sample
		want    TargetState
	}{
		{
			name:    "two samples give rates net of the poll's own request",
			hadPrev: true,
			cur:     sample("a", 2*time.Second, 1201, 110, 108, 3, 8, 21, 9),
			want: TargetState{Status: StatusOK, Rates: Rates{
				RequestsPerSec: 100, AcceptsPerSec: 5, InFlight: 10, Active: 20, Waiting: 9, Dropped: 2,
				DroppedPerSec: 1, // accepts−handled went 0 → 2 in 2 s
			}},
		},
		{
			name:    "idle nginx: only our own request",
			hadPrev: true,
			cur:     sample("a", time.Second, 1001, 100, 100, 0, 1, 1, 0),
			want:    TargetState{Status: StatusOK, Rates: Rates{}},
		},
		{
			name: "first sample has gauges, no rates",
			cur:  sample("a", 2*time.Second, 1201, 110, 110, 1, 4, 7, 2),
			want: TargetState{Status: StatusFirst, Rates: Rates{InFlight: 4, Active: 6, Waiting: 2}},
		},
		{
			name:    "requests going down is an nginx restart, not negative traffic",
			hadPrev: true,
			cur:     sample("a", 2*time.Second, 12, 3, 3, 0, 1, 2, 1),
			want:    TargetState{Status: StatusReset, Rates: Rates{Active: 1, Waiting: 1}},
		},
		{
			name:    "accepts going down alone is a restart too",
			hadPrev: true,
			cur:     sample("a", 2*time.Second, 5000, 3, 3, 0, 1, 2, 1),
			want:    TargetState{Status: StatusReset, Rates: Rates{Active: 1, Waiting: 1}},
		},
		{
			name:    "a gap longer than staleAfter is not turned into a rate",
			hadPrev: true,
			cur:     sample("a", 11*time.Second, 2000, 100, 100, 0, 1, 1, 0),
			want:    TargetState{Status: StatusStale},
		},
		{
			name:    "a counter that does not move, though our poll is a request, is frozen: never zero load",
			hadPrev: true,
			cur:     sample("a", 2*time.Second, 1000, 100, 100, 0, 1, 1, 0),
			want:    TargetState{Status: StatusFrozen},
		},
		{
			name:    "a sample not after the previous one is invalid",
			hadPrev: true,
			cur:     sample("a", 0, 1001, 100, 100, 0, 1, 1, 0),
			want:    TargetState{Status: StatusClock},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Derive(prev, tt.hadPrev, tt.cur, 10*time.Second)
			tt.want.Target = tt.cur.Target
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Derive() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeriveFailedSample(t *testing.T) {
	boom := errors.New("connection refused")
	got := Derive(Sample{}, false, Sample{Target: Target{ID: "a"}, At: t0, Err: boom}, time.Second)
	if got.Status != StatusFailed || !errors.Is(got.Err, boom) || got.Rates != (Rates{}) {
		t.Fatalf("Derive(failed) = %+v, want StatusFailed with the error and no rates", got)
	}
}

func TestTrackerNeverReadsMissingAsZero(t *testing.T) {
	tr := NewTracker(10 * time.Second)
	// Cycle 1: first samples, no rates yet.
	s1 := tr.Observe(t0, []Sample{
		sample("a", 0, 1000, 10, 10, 0, 1, 1, 0),
		sample("b", 0, 5000, 10, 10, 0, 1, 1, 0),
	})
	if s1.Known != 2 || s1.Reporting != 0 || s1.Fetched != 2 || s1.New != 2 || s1.Serving() != 0 { // only our poll on them
		t.Fatalf("cycle 1: known/fetched/reporting = %d/%d/%d, want 2/2/0", s1.Known, s1.Fetched, s1.Reporting)
	}
	// Cycle 2: a reports 100 rps, b fails.
	s2 := tr.Observe(t0.Add(time.Second), []Sample{
		sample("a", time.Second, 1101, 10, 10, 0, 1, 1, 0),
		{Target: Target{ID: "b", Addr: "b:8081"}, At: t0.Add(time.Second), Err: errors.New("timeout")},
	})
	if s2.Known != 2 || s2.Reporting != 1 || s2.RequestsPerSec != 100 || s2.Coverage() != 0.5 || s2.Serving() != 2 {
		t.Fatalf("cycle 2: %+v, want known 2, reporting 1, 100 rps, coverage 0.5", s2)
	}
	// Cycle 3: b is back; its last good sample (cycle 1) is 2 s old, so it reports again.
	s3 := tr.Observe(t0.Add(2*time.Second), []Sample{
		sample("a", 2*time.Second, 1202, 10, 10, 0, 1, 1, 0),
		sample("b", 2*time.Second, 5401, 10, 10, 0, 1, 1, 0),
	})
	if s3.Reporting != 2 || s3.RequestsPerSec != 100+200 {
		t.Fatalf("cycle 3: reporting %d rps %v, want 2 and 300", s3.Reporting, s3.RequestsPerSec)
	}
	// Cycle 4: b left the fleet; it is forgotten, and comes back as a first sample.
	tr.Observe(t0.Add(3*time.Second), []Sample{sample("a", 3*time.Second, 1303, 10, 10, 0, 1, 1, 0)})
	s5 := tr.Observe(t0.Add(4*time.Second), []Sample{
		sample("a", 4*time.Second, 1404, 10, 10, 0, 1, 1, 0),
		sample("b", 4*time.Second, 9000, 10, 10, 0, 1, 1, 0),
	})
	if got := s5.Targets[1].Status; got != StatusFirst || !s5.Targets[1].New || s5.Serving() != 1 {
		t.Fatalf("cycle 5: returning target status %q new %v serving %d, want %q, new, 1", got, s5.Targets[1].New, s5.Serving(), StatusFirst)
	}
}

func TestOnlyAnIdleFirstAnswerIsNew(t *testing.T) {
	tr := NewTracker(10 * time.Second)
	snap := tr.Observe(t0, []Sample{
		sample("idle", 0, 10, 1, 1, 0, 1, 1, 0),                                             // only the poll's own connection: not in the NLB yet
		sample("busy", 0, 10, 9, 9, 0, 3, 12, 8),                                            // 11 client connections already
		{Target: Target{ID: "down", Addr: "down:8081"}, At: t0, Err: errors.New("refused")}, // may carry traffic
	})
	if snap.New != 1 || snap.Serving() != 2 {
		t.Fatalf("new %d serving %d, want 1 new (idle) and 2 serving (busy, and down: unknown is not idle)", snap.New, snap.Serving())
	}
}

func TestCoverageOfEmptyFleet(t *testing.T) {
	if got := (Snapshot{}).Coverage(); got != 0 {
		t.Fatalf("Coverage() of no targets = %v, want 0", got)
	}
}
