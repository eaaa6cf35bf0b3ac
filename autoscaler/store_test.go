package autoscaler

import (
	"testing"
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/durable"
)

// A refresh that started before fastscaler's own UpdateService landed, and answers after it, must not undo it: the
// review found a surge count of 24 read back as 4 and then "scaled out" to 7 from that read.
func TestStoreReplaysOwnWritesOverOlderReads(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	st := newServiceStore()
	st.put(Service{Name: "api", Desired: 4, ReadAt: at(0), Tags: map[string]string{}})
	// The lane's UpdateService to 24 returns at 5 s; a refresh started at 3 s (before it) answers at 6 s.
	st.write("api", at(5), func(s *Service) { s.Desired, s.ReadAt = 24, maxTime(s.ReadAt, at(5)) })
	if st.put(Service{Name: "api", Desired: 4, ReadAt: at(3), Tags: map[string]string{}}) {
		if got, _ := st.get("api"); got.Desired != 24 {
			t.Fatalf("desired %d after a read that started before our write, want our 24", got.Desired)
		}
	}
	if got, _ := st.get("api"); got.Desired != 24 || got.ReadAt.Before(at(5)) {
		t.Fatalf("desired %d read at %s, want 24 at 5 s or later", got.Desired, got.ReadAt.Sub(t0))
	}
	// A read that started after the write shows what ECS has now, someone else's change included.
	st.put(Service{Name: "api", Desired: 30, ReadAt: at(7), Tags: map[string]string{}})
	if got, _ := st.get("api"); got.Desired != 30 {
		t.Errorf("desired %d after a newer read, want its 30", got.Desired)
	}
}

// An edit of fastscaler's own tags changes those keys only: a pause an SRE set meanwhile, seen by a read that
// arrived in between, survives.
func TestTagEditLeavesOtherTagsAlone(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	st := newServiceStore()
	moving := durable.RecordAASMove(4, 4, 20)
	st.put(Service{Name: "api", Desired: 20, ReadAt: t0}.Retagged(moving))
	st.put(Service{Name: "api", Desired: 20, ReadAt: t0.Add(time.Second)}.Retagged(moving.Then(durable.Pause(time.Time{}, "incident"))))
	st.write("api", t0.Add(2*time.Second), retag(durable.RecordAASMin(20)))
	got, _ := st.get("api")
	if !got.Durable.PausedAt(t0) || got.Durable.PauseReason != "incident" {
		t.Errorf("tags %v after our MinCapacity record: the SRE's pause is gone", got.Tags)
	}
	if want := (durable.AASRecord{Present: true, HasOwner: true, Owner: 4, HasSet: true, From: 20, To: 20}); got.Durable.AAS != want {
		t.Errorf("tags %v: our own edit is missing (AAS record %+v, want %+v)", got.Tags, got.Durable.AAS, want)
	}
	// The store keeps its own copy of what it was given.
	in := map[string]string{"k": "v"}
	st.put(Service{Name: "web", ReadAt: t0, Tags: in})
	in["k"] = "changed"
	if got, _ := st.get("web"); got.Tags["k"] != "v" {
		t.Errorf("the store shares the caller's tag map")
	}
}
