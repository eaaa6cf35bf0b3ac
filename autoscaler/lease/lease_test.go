package lease

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/internal/clock"
)

const (
	testDuration = 10 * time.Second
	testRenew    = 2 * time.Second
)

// base is the leader's wall time; it is near now so DynamoDB TTLs are sane.
var base = time.Now().Truncate(time.Second)

type member struct {
	*Lease
	clock *clock.Fake // every Lease gets its own
	table Table
	name  string
}

func newMember(t *testing.T, table Table, key, name string, skew time.Duration) *member {
	t.Helper()
	c := clock.NewFake(base.Add(skew))
	return &member{Lease: New(table, key, name, testDuration, testRenew, c.Now), clock: c, table: table, name: name}
}

func (m *member) held() bool { return m.Held(m.clock.Now(), 0) }

func (m *member) tick(t *testing.T) {
	t.Helper()
	if err := m.Tick(context.Background()); err != nil {
		t.Fatalf("%s: Tick: %v", m.name, err)
	}
}

func holder(t *testing.T, tb Table, key string) Item {
	t.Helper()
	it, ok, err := tb.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !ok {
		t.Fatalf("item %q missing", key)
	}
	return it
}

// leaderAndContender returns a fresh table and key from newTable with two members: a, which took the lease with its
// first Tick, and b, whose clock is skew apart from a's, which has seen a's lease once.
func leaderAndContender(t *testing.T, newTable func(t *testing.T) (Table, string), skew time.Duration) (Table, string, *member, *member) {
	t.Helper()
	tb, key := newTable(t)
	a := newMember(t, tb, key, "a", 0)
	b := newMember(t, tb, key, "b", skew)
	a.tick(t)
	b.tick(t)
	return tb, key, a, b
}

// contract is the behaviour every Table must give a Lease; newTable returns a
// table and a key that no other test uses.
func contract(t *testing.T, newTable func(t *testing.T) (Table, string)) {
	t.Run("FirstAcquisition", func(t *testing.T) {
		tb, key := newTable(t)
		a := newMember(t, tb, key, "a", 0)
		if a.held() {
			t.Fatal("held before any Tick")
		}
		a.tick(t)
		now := a.clock.Now()
		if !a.Held(now, 0) || !a.Held(now, testDuration-time.Millisecond) {
			t.Fatal("not held after first Tick")
		}
		if a.Held(now, testDuration) {
			t.Fatal("held for a full duration more; validity must start before the write")
		}
		it := holder(t, tb, key)
		if it.Owner != "a" || it.RVN == "" || it.Duration != testDuration {
			t.Fatalf("item = %+v", it)
		}
		if it.TTL.Before(now.Add(TTLGrace)) {
			t.Fatalf("TTL %v too early", it.TTL)
		}
		if s := a.Status(); !s.Leader || s.Holder != "a" || s.Key != key || s.Since.IsZero() || s.LastError != "" {
			t.Fatalf("status = %+v", s)
		}
	})

	t.Run("RenewalKeepsIt", func(t *testing.T) {
		tb, key := newTable(t)
		a := newMember(t, tb, key, "a", 0)
		b := newMember(t, tb, key, "b", 3*time.Minute)
		a.tick(t)
		rvn := holder(t, tb, key).RVN
		a.clock.Advance(time.Second) // before renewEvery: no write
		a.tick(t)
		if got := holder(t, tb, key).RVN; got != rvn {
			t.Fatal("renewed before renewEvery passed")
		}
		for i := 0; i < 30; i++ { // a minute: six lease durations
			a.clock.Advance(testRenew)
			b.clock.Advance(testRenew)
			a.tick(t)
			b.tick(t)
			if !a.Held(a.clock.Now(), testDuration-testRenew-time.Second) {
				t.Fatalf("round %d: a lost the lease while renewing", i)
			}
			if b.held() {
				t.Fatalf("round %d: b took a renewed lease", i)
			}
		}
		if it := holder(t, tb, key); it.Owner != "a" || it.RVN == rvn {
			t.Fatalf("item = %+v, want owner a with a new rvn", it)
		}
		if s := b.Status(); s.Leader || s.Holder != "a" {
			t.Fatalf("b status = %+v", s)
		}
	})

	for _, skew := range []time.Duration{0, 7 * time.Minute, -7 * time.Minute} {
		t.Run(fmt.Sprintf("TakeoverAfterFullDuration/skew=%v", skew), func(t *testing.T) {
			tb, key, _, b := leaderAndContender(t, newTable, skew) // b first sees a's rvn: its timer starts now
			b.clock.Advance(testDuration - time.Millisecond)
			b.tick(t)
			if b.held() || holder(t, tb, key).Owner != "a" {
				t.Fatal("b took over before a full lease duration")
			}
			b.clock.Advance(time.Millisecond)
			b.tick(t)
			if !b.held() || holder(t, tb, key).Owner != "b" {
				t.Fatal("b did not take over after a full lease duration")
			}
		})
	}

	t.Run("RenewalRestartsContenderTimer", func(t *testing.T) {
		_, _, a, b := leaderAndContender(t, newTable, -time.Hour) // b sees rvn1 at b=0
		a.clock.Advance(6 * time.Second)
		a.tick(t) // rvn2; then a dies
		b.clock.Advance(testDuration)
		b.tick(t) // b=10 s: sees rvn2 for the first time, restarts
		if b.held() {
			t.Fatal("b took over although the rvn changed")
		}
		b.clock.Advance(testDuration - time.Millisecond)
		b.tick(t)
		if b.held() {
			t.Fatal("b took over before rvn2 was unchanged for a full duration")
		}
		b.clock.Advance(time.Millisecond)
		b.tick(t)
		if !b.held() {
			t.Fatal("b did not take over a dead leader's lease")
		}
	})

	t.Run("ReleaseLetsContenderTakeAtOnce", func(t *testing.T) {
		tb, key, a, b := leaderAndContender(t, newTable, time.Minute)
		if err := a.Release(context.Background()); err != nil {
			t.Fatalf("Release: %v", err)
		}
		if a.held() {
			t.Fatal("held after Release")
		}
		if it := holder(t, tb, key); it.Owner != "" {
			t.Fatalf("item after release = %+v", it)
		}
		if err := a.Tick(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Tick after Release = %v, want ErrClosed", err)
		}
		b.tick(t) // no clock advance
		if !b.held() {
			t.Fatal("b did not take a released lease at once")
		}
		if err := a.Release(context.Background()); err != nil {
			t.Fatalf("second Release: %v", err)
		}
		if holder(t, tb, key).Owner != "b" {
			t.Fatal("a's second Release touched b's lease")
		}
	})

	t.Run("ContentionExactlyOneWins", func(t *testing.T) {
		for round := 0; round < 5; round++ {
			tb, key := newTable(t)
			if round%2 == 1 { // a released item rather than a missing one
				r := newMember(t, tb, key, "r", 0)
				r.tick(t)
				if err := r.Release(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			ms := []*member{newMember(t, tb, key, "a", 0), newMember(t, tb, key, "b", time.Minute)}
			var wg sync.WaitGroup
			errs := make([]error, len(ms))
			for i, m := range ms {
				wg.Go(func() { errs[i] = m.Tick(context.Background()) })
			}
			wg.Wait()
			winners := 0
			for i, m := range ms {
				if errs[i] != nil && !errors.Is(errs[i], ErrConflict) {
					t.Fatalf("%s: %v", m.name, errs[i])
				}
				if m.held() {
					winners++
					if got := holder(t, tb, key).Owner; got != m.name {
						t.Fatalf("%s holds but the item names %q", m.name, got)
					}
				}
			}
			if winners != 1 {
				t.Fatalf("round %d: %d winners, want 1", round, winners)
			}
		}
	})

	t.Run("PausedLeader", func(t *testing.T) {
		_, _, a, b := leaderAndContender(t, newTable, 42*time.Second)
		// a is stopped (SIGSTOP) for 30 s; b carries on.
		for i := 0; i < 15; i++ {
			b.clock.Advance(testRenew)
			b.tick(t)
		}
		if !b.held() {
			t.Fatal("b did not take over from a paused leader")
		}
		a.clock.Advance(30 * time.Second) // a resumes
		if a.held() || a.Status().Leader {
			t.Fatal("a reports leadership on resume before any write")
		}
		if err := a.Tick(context.Background()); !errors.Is(err, ErrConflict) {
			t.Fatalf("a's renewal after the pause = %v, want ErrConflict", err)
		}
		for i := 0; i < 20; i++ {
			if a.held() {
				t.Fatalf("round %d: a reports leadership it lost", i)
			}
			a.clock.Advance(testRenew)
			b.clock.Advance(testRenew)
			a.tick(t)
			b.tick(t)
		}
		if a.held() || !b.held() {
			t.Fatal("a regained the lease while b renewed it")
		}
		if s := a.Status(); s.Holder != "b" || s.Leader {
			t.Fatalf("a status = %+v", s)
		}
		if err := b.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
		a.tick(t)
		if !a.held() {
			t.Fatal("a did not re-acquire a released lease")
		}
	})

	t.Run("PausedLeaderNobodyTookOver", func(t *testing.T) {
		tb, key := newTable(t)
		a := newMember(t, tb, key, "a", 0)
		a.tick(t)
		a.clock.Advance(time.Minute)
		if a.held() {
			t.Fatal("held after a pause longer than the lease")
		}
		a.tick(t) // the item is still ours: renewing re-acquires it
		if !a.held() {
			t.Fatal("a did not renew its untouched lease after the pause")
		}
	})
}

func TestContractMemory(t *testing.T) {
	contract(t, func(t *testing.T) (Table, string) { return NewMemory(), "prod/router" })
}

func TestFailingRenewalsEndAtLocalValidity(t *testing.T) {
	tb := NewMemory()
	a := newMember(t, tb, "k", "a", 0)
	var events []Event
	a.Observe(func(e Event) { events = append(events, e) })
	a.tick(t)
	start := a.clock.Now()
	boom := errors.New("throttled")
	tb.Fail("update", boom)
	for a.clock.Now().Sub(start) < 14*time.Second {
		a.clock.Advance(time.Second)
		err := a.Tick(context.Background())
		el := a.clock.Now().Sub(start)
		if el >= testRenew && !errors.Is(err, boom) {
			t.Fatalf("at %v: Tick = %v, want %v", el, err, boom)
		}
		if want := el < testDuration; a.held() != want {
			t.Fatalf("at %v: held = %v, want %v", el, a.held(), want)
		}
		if want := el+3*time.Second < testDuration; a.Held(a.clock.Now(), 3*time.Second) != want {
			t.Fatalf("at %v: Held(margin 3s) = %v, want %v", el, !want, want)
		}
	}
	if s := a.Status(); s.Leader || s.LastError == "" {
		t.Fatalf("status = %+v", s)
	}
	var expired bool
	for _, e := range events {
		expired = expired || (e.Op == "expire" && e.Changed && !e.Leader)
	}
	if !expired {
		t.Fatalf("no expire event in %+v", events)
	}
	tb.Fail("update", nil)
	a.tick(t)
	if !a.held() {
		t.Fatal("not held after the table recovered")
	}
}

func TestSlowWriteShortensValidity(t *testing.T) {
	tb := NewMemory()
	a := newMember(t, tb, "k", "a", 0)
	tb.SetHook(func(op, _ string) {
		if op == "put" {
			a.clock.Advance(3 * time.Second)
		}
	})
	a.tick(t)
	now := a.clock.Now()
	if !a.Held(now, 7*time.Second-time.Millisecond) || a.Held(now, 7*time.Second) {
		t.Fatal("validity must count from just before the 3 s write")
	}
}

func TestContentionBothSeeFree(t *testing.T) {
	for _, released := range []bool{false, true} {
		tb := NewMemory()
		if released {
			tb.Set(Item{Key: "k", RVN: "old", Duration: testDuration})
		}
		a, b := newMember(t, tb, "k", "a", 0), newMember(t, tb, "k", "b", 0)
		var gets sync.WaitGroup
		gets.Add(2)
		both := make(chan struct{})
		go func() { gets.Wait(); close(both) }()
		tb.SetHook(func(op, _ string) {
			if op == "get" {
				gets.Done()
			} else {
				<-both // both have read the free item before either writes
			}
		})
		errs := make(chan error, 2)
		for _, m := range []*member{a, b} {
			go func() { errs <- m.Tick(context.Background()) }()
		}
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) || !errors.Is(errors.Join(e1, e2), ErrConflict) {
			t.Fatalf("released=%v: errors %v, %v; want one nil and one ErrConflict", released, e1, e2)
		}
		if a.held() == b.held() {
			t.Fatalf("released=%v: held a=%v b=%v", released, a.held(), b.held())
		}
		puts := 0
		for _, c := range tb.Calls() {
			if c.Op == "put" {
				puts++
				if c.Cond.Kind != CondFree {
					t.Fatalf("acquire used %+v", c.Cond)
				}
			}
		}
		if puts != 2 {
			t.Fatalf("%d puts, want 2", puts)
		}
	}
}

func TestLostResponseIsAdopted(t *testing.T) {
	tb := NewMemory()
	a := newMember(t, tb, "k", "a", 0)
	a.tick(t)
	a.clock.Advance(testRenew)
	renewedAt := a.clock.Now()
	tb.FailAfter("update", errors.New("timeout"))
	if err := a.Tick(context.Background()); err == nil {
		t.Fatal("want the injected error")
	}
	tb.FailAfter("update", nil)
	a.clock.Advance(time.Second)
	a.tick(t) // reads back the rvn it wrote and adopts it
	if !a.Held(a.clock.Now(), 0) {
		t.Fatal("lost a lease whose renewal did land")
	}
	if a.Held(renewedAt, testDuration) || !a.Held(renewedAt, testDuration-time.Millisecond) {
		t.Fatal("adopted validity must count from before the lost write")
	}
	calls := tb.Calls()
	if last := calls[len(calls)-1]; last.Op != "get" {
		t.Fatalf("last call %+v, want only a get (renewal not yet due)", last)
	}
}

func TestTickWritesOnlyWhenDue(t *testing.T) {
	tb := NewMemory()
	a := newMember(t, tb, "k", "a", 0)
	for i := 0; i < 10; i++ { // 5 s of ticks every 500 ms
		a.tick(t)
		a.clock.Advance(500 * time.Millisecond)
	}
	var ops []string
	for _, c := range tb.Calls() {
		ops = append(ops, c.Op)
	}
	want := "[get put update update]" // acquire at 0, renew at 2 s and 4 s
	if fmt.Sprint(ops) != want {
		t.Fatalf("calls %v, want %s", ops, want)
	}
}

func TestGetErrorKeepsContenderWaiting(t *testing.T) {
	tb := NewMemory()
	a, b := newMember(t, tb, "k", "a", 0), newMember(t, tb, "k", "b", 0)
	a.tick(t)
	b.tick(t)
	tb.Fail("get", errors.New("down"))
	b.clock.Advance(testDuration)
	if err := b.Tick(context.Background()); err == nil || b.held() {
		t.Fatalf("Tick = %v, held = %v", err, b.held())
	}
	tb.Fail("get", nil)
	b.tick(t) // unchanged rvn for a full duration: take over
	if !b.held() {
		t.Fatal("b did not take over")
	}
}

func TestCheckTimings(t *testing.T) {
	if err := CheckTimings(10*time.Second, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]time.Duration{{0, time.Second}, {time.Second, 0}, {4 * time.Second, 3 * time.Second}} {
		if CheckTimings(c[0], c[1]) == nil {
			t.Fatalf("CheckTimings(%v, %v) = nil", c[0], c[1])
		}
	}
}
