package sim

import (
	"time"

	"github.com/fastscaler/fastscaler/nginxstat"
)

// Synthesised stub_status gauges: a request holds a connection this long in flight, and clients keep this many
// idle keep-alive connections per request/s. They only shape in-flight and active connections, which pahud reads;
// fastscaler decides from the request counter.
const (
	inFlightSecsPerRequest = 0.05
	idleConnsPerRPS        = 0.1
	requestsPerConnection  = 100 // keep-alive: new connections per request
)

// connsAt is the client connections a router task serving rps requests/s holds: in flight, idle keep-alives, and
// the poller's own request.
func connsAt(rps float64) float64 {
	return float64(int64(rps*inFlightSecsPerRequest) + int64(rps*idleConnsPerRPS) + 1)
}

// queue updates the saturation state of ready router task i after this second: when the NLB sends it more than it
// can serve (routerDemand > routerRPS), the excess requests wait on their open connections, so its in-flight
// connections grow by the excess every second, up to what worker_connections leaves beside the connections its
// served load already holds; a connection beyond that is accepted and closed at once (stub_status accepts −
// handled). Queued requests still count as unserved in the engine (they wait past their clients' timeouts at a
// router that serves no faster); when demand falls to what the task serves, the queue is gone: the page is then
// what an unsaturated router shows, as before, but for accepts − handled, which nginx counts since it started.
func (w *world) queue(i int) {
	excess := w.routerDemand - w.routerRPS
	if !(excess > 0) {
		w.routerQueue[i] = 0
		return
	}
	room := max(0, float64(w.cfg.WorkerConnections)-connsAt(w.routerRPS))
	q := w.routerQueue[i] + excess
	if q > room {
		w.routerDropped[i] += q - room
		q = room
	}
	w.routerQueue[i] = q
}

// stubStatus is router task i's stub_status page at now, as the daemon reads it: the request counter grows by what
// the task served; in-flight and idle connections follow its served rate; a saturated task also holds its queue
// (reading its requests) and shows the connections it dropped as accepts − handled. An unsaturated task that never
// dropped a connection reads exactly as the simulator always synthesised it.
func (w *world) stubStatus(i int, now time.Duration) nginxstat.Stats {
	rps, queued := 0.0, int64(0)
	if w.router.tasks[i].readyAt <= now {
		rps = w.routerRPS
		queued = int64(w.routerQueue[i])
	}
	inFlight, waiting := int64(rps*inFlightSecsPerRequest), int64(rps*idleConnsPerRPS)
	handled := int64(w.routerCounters[i] / requestsPerConnection)
	return nginxstat.Stats{Active: queued + inFlight + waiting + 1, Accepts: handled + int64(w.routerDropped[i]), Handled: handled,
		Requests: int64(w.routerCounters[i]), Reading: queued, Writing: inFlight + 1, Waiting: waiting}
}
