package sim

import (
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/nginxstat"
)

// satWorld is one router task of capacity 100 at a 50% CPU target (it serves at most 200 rps) with nginx holding
// 1,000 connections.
func satWorld(t *testing.T, rps ...float64) *world {
	t.Helper()
	sc := scalerConfig(t, "FASTSCALER_CAPACITY=router:100", "FASTSCALER_MIN_TASKS=router:1")
	cfg := Config{Scaler: sc, TargetCPU: 50, WorkerConnections: 1000}.DefaultPlatform()
	tr := Trace{RPS: rps}
	w := newWorld(&cfg, &tr, 1)
	w.router.tasks = []task{{}}
	return w
}

// poll reads router task 0's page at the end of second sec, the poll itself being one request, as fastscaler does.
func poll(w *world, sec int) nginxstat.Sample {
	now := time.Duration(sec+1) * time.Second
	w.routerCounters[0]++
	return nginxstat.Sample{Target: nginxstat.Target{ID: "r"}, At: time.Unix(0, 0).Add(now), Stats: w.stubStatus(0, now)}
}

// TestUnsaturatedStubStatusIsUnchanged: at 150 rps (under the 200 it can serve) the page is exactly what the
// simulator synthesised before saturation was modelled: 7 in flight (+ the poll) and 15 idle connections, accepts =
// handled = requests/100, nothing reading.
func TestUnsaturatedStubStatusIsUnchanged(t *testing.T) {
	w := satWorld(t, 150, 150)
	p := w.serve(0)
	s := poll(w, 0).Stats
	// The formula the simulator used before (policies.go, fastscaler.step), spelled out.
	rps := 150.0
	inFlight, waiting := int64(rps*inFlightSecsPerRequest), int64(rps*idleConnsPerRPS)
	accepts := int64(w.routerCounters[0] / requestsPerConnection)
	want := nginxstat.Stats{Active: inFlight + waiting + 1, Accepts: accepts, Handled: accepts,
		Requests: int64(w.routerCounters[0]), Writing: inFlight + 1, Waiting: waiting}
	if s != want || s != (nginxstat.Stats{Active: 23, Accepts: 11, Handled: 11, Requests: 1151, Writing: 8, Waiting: 15}) {
		t.Errorf("page %+v, want %+v", s, want)
	}
	if p.RouterServed != 150 || w.routerDemand != 150 || w.routerRPS != 150 {
		t.Errorf("served %v, demand %v per task, rps %v; want 150 each", p.RouterServed, w.routerDemand, w.routerRPS)
	}
}

// TestSaturatedStubStatusQueuesThenDrops: 500 rps on a task that serves 200. Its counter grows by 200 a second; the
// 300 excess requests a second wait on open connections: 300, 600, 900 after 1–3 s. The served load holds
// 10 + 20 + 1 = 31 connections, so the queue stops at 1,000 − 31 = 969 (active = worker_connections) and nginx
// drops the rest: 231 connections in the 4th second, 300 a second after.
func TestSaturatedStubStatusQueuesThenDrops(t *testing.T) {
	w := satWorld(t, 500, 500, 500, 500, 500, 500, 500, 100, 100)
	wantQueue := []float64{300, 600, 900, 969, 969}
	wantDropped := []float64{0, 0, 0, 231, 531}
	var samples []nginxstat.Sample
	for sec := range 5 {
		p := w.serve(sec)
		if w.routerQueue[0] != wantQueue[sec] || w.routerDropped[0] != wantDropped[sec] {
			t.Errorf("second %d: queue %v, dropped %v; want %v and %v", sec, w.routerQueue[0], w.routerDropped[0], wantQueue[sec], wantDropped[sec])
		}
		if p.Load != 500 || p.RouterServed != 200 || w.routerDemand != 500 || w.routerRPS != 200 {
			t.Errorf("second %d: load %v, served %v, demand %v and served %v per task; want 500, 200, 500, 200", sec,
				p.Load, p.RouterServed, w.routerDemand, w.routerRPS)
		}
		samples = append(samples, poll(w, sec))
	}
	s := samples[4].Stats
	want := nginxstat.Stats{Active: 1000, Accepts: 20 + 531, Handled: 20, Requests: 1000 + 5*200 + 5, Reading: 969, Writing: 11, Waiting: 20}
	if s != want {
		t.Errorf("page after 5 s %+v, want %+v", s, want)
	}
	// What the daemon's rate code makes of it: the served rate (not the demand), 979 in flight, 531 dropped.
	st := nginxstat.Derive(samples[3], true, samples[4], time.Minute)
	if st.Status != nginxstat.StatusOK || st.Rates.RequestsPerSec != 200 || st.Rates.InFlight != 979 || st.Rates.Dropped != 531 {
		t.Errorf("derived %+v, want 200 rps, 979 in flight, 531 dropped", st)
	}
	// Demand falls to 100 rps: no queue any more, but nginx's accepts − handled counts since it started.
	w.serve(5)
	w.serve(6)
	w.serve(7)
	s = poll(w, 7).Stats
	if s.Reading != 0 || s.Writing != 6 || s.Active != 6+10 || s.Accepts-s.Handled != 531+2*300 {
		t.Errorf("page after saturation %+v; want no queue, 5 in flight (+ the poll), 10 idle, 1,131 dropped in all", s)
	}
}
