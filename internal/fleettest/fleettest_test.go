package fleettest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awsfake"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

func TestFloorEnd(t *testing.T) {
	floors, end := map[string]int{"api": 40, "router": 8}, time.Date(2026, 12, 18, 23, 0, 0, 0, time.UTC)
	at := func(min int, service string, to int) fakeecs.Call {
		return fakeecs.Call{Head: awsfake.Head{Op: "UpdateService", Time: end.Add(time.Duration(min) * time.Minute)},
			Service: service, DesiredCount: &to}
	}
	for _, tt := range []struct {
		name      string
		calls     []fakeecs.Call
		breaches  []string
		firstDown int // index in calls; -1: none
	}{
		{"held, then steps of a fifth", []fakeecs.Call{at(-5, "api", 45), at(-1, "api-canary", 1), at(10, "api", 36),
			at(11, "router", 7), at(12, "api", 29), at(13, "router", 6)}, nil, 2},
		{"no scale-in", []fakeecs.Call{at(-5, "api", 45), at(5, "api", 50)}, nil, -1},
		{"below the floor while it lasted", []fakeecs.Call{at(-2, "router", 7)},
			[]string{"router → 7 at 22:58:00.000, below its floor 8 while it lasted"}, 0},
		{"a cliff after it", []fakeecs.Call{at(10, "api", 36), at(11, "api", 20)},
			[]string{"cliff: api 36 → 20 at 23:11:00.000"}, 0},
		{"one task at a time is never a cliff", []fakeecs.Call{at(10, "router", 7), at(11, "router", 6), at(12, "router", 5),
			at(13, "router", 4), at(14, "router", 3), at(15, "router", 2)}, nil, 0},
	} {
		breaches, first := FloorEnd(tt.calls, floors, end)
		if diff := cmp.Diff(tt.breaches, breaches); diff != "" {
			t.Errorf("%s: breaches (-want +got):\n%s", tt.name, diff)
		}
		var want fakeecs.Call
		if tt.firstDown >= 0 {
			want = tt.calls[tt.firstDown]
		}
		if first.Service != want.Service || !first.Time.Equal(want.Time) {
			t.Errorf("%s: first scale-in %s at %v, want %s at %v", tt.name, first.Service, first.Time, want.Service, want.Time)
		}
	}
}
