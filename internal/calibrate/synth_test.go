package calibrate

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSynthStart: a history placed elsewhere in time is the same history, minute for minute.
func TestSynthStart(t *testing.T) {
	s := DefaultSynth()
	s.Minutes = 3 * 60
	base, baseTruth := s.History()
	s.Start = time.Date(2027, 3, 5, 12, 0, 0, 0, time.UTC)
	moved, movedTruth := s.History()
	if got := moved.RequestRate.Times[0]; !got.Equal(s.Start) {
		t.Errorf("first minute %v, want Start %v", got, s.Start)
	}
	if got, want := base.RequestRate.Times[0], SynthStart; !got.Equal(want) {
		t.Errorf("first minute without Start %v, want SynthStart %v", got, want)
	}
	shift := s.Start.Sub(SynthStart)
	for _, ser := range []struct {
		name        string
		base, moved Series
	}{
		{"RequestRate", base.RequestRate, moved.RequestRate}, {"RunningTasks", base.RunningTasks, moved.RunningTasks},
		{"CPU", base.CPU, moved.CPU}, {"Latency", base.Latency, moved.Latency}, {"Errors5xx", base.Errors5xx, moved.Errors5xx},
	} {
		if diff := cmp.Diff(ser.base.Values, ser.moved.Values); diff != "" {
			t.Errorf("%s values (-base +moved):\n%s", ser.name, diff)
		}
		for i, tm := range ser.moved.Times {
			if want := ser.base.Times[i].Add(shift); !tm.Equal(want) {
				t.Fatalf("%s time %d = %v, want %v", ser.name, i, tm, want)
			}
		}
	}
	if diff := cmp.Diff(baseTruth, movedTruth); diff != "" {
		t.Errorf("truth (-base +moved):\n%s", diff)
	}
}
