package e2e

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/internal/fleettest"
)

// TestE2EPrescaleSurvivesSIGKILL pre-scales with the real CLI binary, SIGKILLs the real daemon mid-window and starts
// a new one: the floor holds while it lasts, and after it ends the new daemon waits out the cooldown counted from
// the floor's end before scaling in step by step. Had either lived only in the first daemon's memory, the second
// would drop the floor or scale in right after it ended.
func TestE2EPrescaleSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{HostPrefix: "127.0.3.", Routers: 16, StartDelay: 2 * time.Second,
		Desired: map[string]int{"router": 2, "api": 4, "api-canary": 1}})
	s.Load.SetRate(100)

	cli := exec.Command(binary, "prescale", "--service", "api=12", "--service", "router=4", "--for", "25s", "--reason", "final")
	cli.Env = append(append(s.Env(), fastPolicy...), "PATH="+os.Getenv("PATH"))
	out, err := cli.CombinedOutput()
	if err != nil {
		t.Fatalf("prescale: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "api") {
		t.Fatalf("prescale printed:\n%s", out)
	}
	// The floor's end as the daemon sees it: the tag, in whole seconds.
	snap, _ := s.ECS.Service(Cluster, "api")
	d, errs := durable.Decode(snap.Tags)
	if len(errs) > 0 || d.FloorUntil.IsZero() {
		t.Fatalf("floor tags %v: %v", snap.Tags, errs)
	}
	floorEnd := d.FloorUntil

	first := startDaemon(t, s)
	waitFor(t, "the first daemon to be healthy", 15*time.Second, func() bool { return healthy(t, first) })
	time.Sleep(5 * time.Second)
	_ = first.cmd.Process.Signal(syscall.SIGKILL)
	<-first.done
	first.done <- nil
	second := startDaemon(t, s)
	waitFor(t, "the second daemon to be healthy", 15*time.Second, func() bool { return healthy(t, second) })

	time.Sleep(time.Until(floorEnd.Add(45 * time.Second)))
	floors := map[string]int{"api": 12, "router": 4}
	// Below a floor while it lasted (1 s of slack for the call's own delay), or a cliff after it: each a breach.
	breaches, firstDown := fleettest.FloorEnd(s.Updates(), floors, floorEnd.Add(-time.Second))
	for _, b := range breaches {
		t.Error(b)
	}
	if firstDown.Service == "" {
		t.Fatalf("no scale-in within 45 s of the floor's end:%s", fleettest.DescribeUpdates(s.Updates()))
	}
	// The cooldown (20 s here) counts from the floor's end; 1 s of slack for the call's own delay.
	if gap := firstDown.Time.Sub(floorEnd); gap < 19*time.Second {
		t.Errorf("first scale-in %v after the floor ended, before the 20 s cooldown:%s", gap, fleettest.DescribeUpdates(s.Updates()))
	}
}
