package clock

import (
	"testing"
	"time"
)

func TestFakeTickerFiresOnAdvance(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(t0)
	tk := f.NewTicker(time.Second)
	select {
	case <-tk.C():
		t.Fatal("ticked before any Advance")
	default:
	}
	f.Advance(500 * time.Millisecond)
	select {
	case <-tk.C():
		t.Fatal("ticked before its interval")
	default:
	}
	f.Advance(600 * time.Millisecond)
	if got := <-tk.C(); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("tick at %v, want %v", got, t0.Add(time.Second))
	}
	f.Advance(5 * time.Second) // a slow receiver gets one pending tick, not five
	<-tk.C()
	select {
	case <-tk.C():
		t.Fatal("more than one pending tick")
	default:
	}
	tk.Stop()
	f.Advance(time.Hour)
	select {
	case <-tk.C():
		t.Fatal("ticked after Stop")
	default:
	}
	if !f.Now().Equal(t0.Add(time.Hour + 6100*time.Millisecond)) {
		t.Fatalf("Now() = %v", f.Now())
	}
}

func TestFakeRunForStepsUntilTheTimeHasPassed(t *testing.T) {
	c := NewFake(time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC))
	steps := 0
	c.RunFor(10*time.Second, func() { steps++; c.Advance(3 * time.Second) })
	if steps != 4 || !c.Now().Equal(time.Date(2026, 12, 7, 20, 0, 12, 0, time.UTC)) {
		t.Errorf("RunFor(10s) in 3 s steps: %d steps, now %v; want 4 steps, 20:00:12", steps, c.Now())
	}
	defer func() {
		if r := recover(); r != "clock.Fake.RunFor: step did not advance the clock" {
			t.Errorf("RunFor with a step that does not advance: recovered %v, want a panic saying so", r)
		}
	}()
	c.RunFor(time.Second, func() {})
}
