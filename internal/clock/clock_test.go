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
