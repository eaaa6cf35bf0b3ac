package durable

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/policy"
)

var t0 = time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)

// golden are tags exactly as fastscaler wrote them before this package existed (the CLI's prescale, cancel, pause
// and resume, the daemon's lanes and its MinCapacity moves). Running clusters hold them: they must decode to the
// same state and encode back byte for byte.
var golden = []struct {
	name  string
	tags  map[string]string
	state State
}{
	{"prescale", map[string]string{
		"fastscaler:floor": "40", "fastscaler:floor-until": "2026-11-22T22:00:00Z", "fastscaler:floor-reason": "World Cup final Dec 18",
	}, State{FloorCount: 40, FloorUntil: t0.Add(2 * time.Hour), FloorReason: "World Cup final Dec 18"}},
	{"cancelled floor", map[string]string{
		"fastscaler:floor": "40", "fastscaler:floor-until": "2026-11-22T20:06:00Z", "fastscaler:floor-reason": "cancelled: prescale by alice",
	}, State{FloorCount: 40, FloorUntil: t0.Add(6 * time.Minute), FloorReason: "cancelled: prescale by alice"}},
	{"indefinite pause", map[string]string{
		"fastscaler:paused": "indefinite", "fastscaler:pause-reason": "canary rollout",
	}, State{Paused: true, PauseReason: "canary rollout"}},
	{"timed pause", map[string]string{
		"fastscaler:paused": "2026-11-22T20:36:00Z", "fastscaler:pause-reason": "load test INC-1234",
	}, State{Paused: true, PauseUntil: t0.Add(36 * time.Minute), PauseReason: "load test INC-1234"}},
	{"daemon scale-out", map[string]string{
		"fastscaler:last-action": "up 4 to 16 at 2026-11-22T20:05:00Z", "fastscaler:last-reason": "surge: 3.1x baseline",
		"fastscaler:last-scale-out": "2026-11-22T20:05:00Z",
	}, State{LastAction: "up 4 to 16 at 2026-11-22T20:05:00Z", LastReason: "surge: 3.1x baseline", LastScaleOut: t0.Add(5 * time.Minute)}},
	{"daemon scale-in step and an earlier scale-out", map[string]string{
		"fastscaler:last-action": "down 16 to 13 at 2026-11-22T20:30:00Z", "fastscaler:last-reason": "scale-in step",
		"fastscaler:last-scale-out": "2026-11-22T20:05:00Z", "fastscaler:last-scale-in": "2026-11-22T20:30:00Z",
	}, State{LastAction: "down 16 to 13 at 2026-11-22T20:30:00Z", LastReason: "scale-in step",
		LastScaleOut: t0.Add(5 * time.Minute), LastScaleIn: t0.Add(30 * time.Minute)}},
	{"MinCapacity move under way", map[string]string{"fastscaler:aas-owner-min": "4", "fastscaler:aas-min-set": "4:36"},
		State{AAS: AASRecord{Present: true, HasOwner: true, Owner: 4, HasSet: true, From: 4, To: 36}}},
	{"MinCapacity move done", map[string]string{"fastscaler:aas-owner-min": "4", "fastscaler:aas-min-set": "36"},
		State{AAS: AASRecord{Present: true, HasOwner: true, Owner: 4, HasSet: true, From: 36, To: 36}}},
	{"everything at once", map[string]string{
		"fastscaler:floor": "60", "fastscaler:floor-until": "2026-11-22T21:30:00Z", "fastscaler:floor-reason": "final",
		"fastscaler:paused": "indefinite", "fastscaler:pause-reason": "incident",
		"fastscaler:last-action": "up 20 to 60 at 2026-11-22T20:00:00Z", "fastscaler:last-reason": "pre-scale floor",
		"fastscaler:last-scale-out": "2026-11-22T20:00:00Z",
		"fastscaler:aas-owner-min":  "4", "fastscaler:aas-min-set": "60",
	}, State{FloorCount: 60, FloorUntil: t0.Add(90 * time.Minute), FloorReason: "final", Paused: true, PauseReason: "incident",
		LastAction: "up 20 to 60 at 2026-11-22T20:00:00Z", LastReason: "pre-scale floor", LastScaleOut: t0,
		AAS: AASRecord{Present: true, HasOwner: true, Owner: 4, HasSet: true, From: 60, To: 60}}},
	{"no state", map[string]string{}, State{}},
}

func TestGoldenTagsDecodeAndEncodeIdentically(t *testing.T) {
	for _, g := range golden {
		t.Run(g.name, func(t *testing.T) {
			got, errs := Decode(g.tags)
			if len(errs) > 0 {
				t.Fatalf("Decode: %v", errs)
			}
			if diff := cmp.Diff(g.state, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(g.tags, Encode(got)); diff != "" {
				t.Errorf("Encode(Decode(tags)) (-golden +got):\n%s", diff)
			}
		})
	}
}

// The intents write exactly what the CLI and the daemon wrote before them.
func TestIntentsWriteTheGoldenFormat(t *testing.T) {
	tests := []struct {
		name string
		edit Edit
		want map[string]string
	}{
		{"SetFloor", SetFloor(40, t0.Add(2*time.Hour+300*time.Millisecond), "World Cup final (Dec 18)"), golden[0].tags},
		{"EndFloor", EndFloor(t0.Add(6*time.Minute), "prescale by alice"), map[string]string{
			"fastscaler:floor-until": "2026-11-22T20:06:00Z", "fastscaler:floor-reason": "cancelled: prescale by alice"}},
		{"Pause indefinitely", Pause(time.Time{}, "canary rollout"), golden[2].tags},
		{"Pause until", Pause(t0.Add(36*time.Minute), "load test, INC-1234"), golden[3].tags},
		{"RecordChange up", RecordChange(policy.Up, 4, 16, "surge: 3.1x baseline", t0.Add(5*time.Minute)), golden[4].tags},
		{"RecordChange down", RecordChange(policy.Down, 16, 13, "scale-in step", t0.Add(30*time.Minute)), map[string]string{
			"fastscaler:last-action": "down 16 to 13 at 2026-11-22T20:30:00Z", "fastscaler:last-reason": "scale-in step",
			"fastscaler:last-scale-in": "2026-11-22T20:30:00Z"}},
		{"RecordAASMove", RecordAASMove(4, 4, 36), golden[6].tags},
		{"RecordAASMove then RecordAASMin", RecordAASMove(4, 4, 36).Then(RecordAASMin(36)), golden[7].tags},
		{"RecordAASRaise", RecordAASRaise(4, 36), golden[7].tags},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			tt.edit.ApplyTo(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
	// Removals: a resume restarts the cooldown and removes the pause; the other tags stay.
	tags := map[string]string{"team": "streaming", "fastscaler:paused": "indefinite", "fastscaler:pause-reason": "x"}
	Resume(t0).ApplyTo(tags)
	if diff := cmp.Diff(map[string]string{"team": "streaming", "fastscaler:last-scale-out": "2026-11-22T20:00:00Z"}, tags); diff != "" {
		t.Errorf("after Resume (-want +got):\n%s", diff)
	}
	tags = Encode(golden[8].state)
	RemoveFloor().Then(ForgetAAS()).ApplyTo(tags)
	if _, ok := tags["fastscaler:floor"]; ok || tags["fastscaler:aas-min-set"] != "" || tags["fastscaler:paused"] != "indefinite" {
		t.Errorf("after RemoveFloor and ForgetAAS: %v", tags)
	}
}

func TestRoundTrip(t *testing.T) {
	states := []State{
		{FloorCount: 1, FloorUntil: t0, FloorReason: ""},
		{FloorCount: 12, FloorUntil: t0.Add(time.Hour), FloorReason: "final episode 12 big", LastScaleIn: t0},
		{Paused: true, PauseUntil: t0.Add(time.Minute), PauseReason: "a"},
		{LastAction: "hold", LastReason: "", LastScaleOut: t0},
		{AAS: AASRecord{Present: true, HasSet: true, From: 3, To: 9}},
		{AAS: AASRecord{Present: true, HasOwner: true, Owner: 0}},
	}
	for _, s := range states {
		got, errs := Decode(Encode(s))
		if len(errs) > 0 || !cmp.Equal(s, got) {
			t.Errorf("Decode(Encode(%+v)) = %+v, %v", s, got, errs)
		}
	}
}

func TestMalformedTagsGiveClearErrors(t *testing.T) {
	tests := []struct {
		name  string
		tags  map[string]string
		want  string // in the error
		check func(State) bool
	}{
		{"floor not a count", map[string]string{"fastscaler:floor": "lots", "fastscaler:floor-until": "2026-11-22T22:00:00Z"},
			`tag fastscaler:floor="lots": want a task count`, func(s State) bool { return s.FloorUnreadable && s.FloorUntil.IsZero() }},
		{"negative floor", map[string]string{"fastscaler:floor": "-3", "fastscaler:floor-until": "2026-11-22T22:00:00Z"},
			`tag fastscaler:floor="-3": want a task count`, func(s State) bool { return s.FloorUnreadable && s.FloorCount == 0 }},
		{"floor without end", map[string]string{"fastscaler:floor": "30"},
			"tag fastscaler:floor is set but fastscaler:floor-until is missing", func(s State) bool { return s.FloorUnreadable }},
		{"floor end not a time", map[string]string{"fastscaler:floor": "30", "fastscaler:floor-until": "tonight"},
			`tag fastscaler:floor-until="tonight": want an RFC 3339 time`, func(s State) bool { _, ok := s.FloorAt(t0); return !ok && s.FloorUnreadable }},
		{"pause not a time", map[string]string{"fastscaler:paused": "soon"},
			`tag fastscaler:paused="soon": want "indefinite" or an RFC 3339 time; treating as paused`,
			func(s State) bool { return s.PausedAt(t0.Add(1000 * time.Hour)) }},
		{"last scale-out not a time", map[string]string{"fastscaler:last-scale-out": "yesterday"},
			`tag fastscaler:last-scale-out="yesterday": want an RFC 3339 time`, func(s State) bool { return s.LastScaleOut.IsZero() }},
		{"last scale-in not a time", map[string]string{"fastscaler:last-scale-in": "1"},
			`tag fastscaler:last-scale-in="1": want an RFC 3339 time`, func(s State) bool { return s.LastScaleIn.IsZero() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := Decode(tt.tags)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Errorf("errors %v, want one containing %q", errs, tt.want)
			}
			if !tt.check(got) {
				t.Errorf("state %+v is not the safe reading", got)
			}
		})
	}
	// An unreadable AAS record is no error: it matches no MinCapacity, so MinCapacity is the owner's, and it is
	// stale (to be removed).
	got, errs := Decode(map[string]string{"fastscaler:aas-owner-min": "four", "fastscaler:aas-min-set": "4:x"})
	if len(errs) > 0 || !got.AAS.Present || got.AAS.HasOwner || got.AAS.HasSet || !got.AAS.Stale(4) {
		t.Errorf("unreadable AAS record: %+v, %v", got.AAS, errs)
	}
}

func TestAASRecordReading(t *testing.T) {
	moving := AASRecord{Present: true, HasOwner: true, Owner: 4, HasSet: true, From: 4, To: 36}
	done := AASRecord{Present: true, HasOwner: true, Owner: 4, HasSet: true, From: 36, To: 36}
	tests := []struct {
		name       string
		rec        AASRecord
		min        int
		owner      int
		recorded   bool
		unfinished int
		stale      bool
	}{
		{"move not made yet", moving, 4, 4, true, 36, false},
		{"move made, not recorded as done", moving, 36, 4, true, 0, false},
		{"done", done, 36, 4, true, 0, false},
		{"owner changed MinCapacity", done, 10, 0, false, 0, true},
		{"back at the owner's", AASRecord{Present: true, HasOwner: true, Owner: 4, HasSet: true, From: 4, To: 4}, 4, 4, true, 0, true},
		{"a lowering move not made", AASRecord{Present: true, HasOwner: true, Owner: 4, HasSet: true, From: 20, To: 16}, 20, 4, true, 0, false},
		{"no record", AASRecord{}, 7, 0, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			owner, ok := tt.rec.OwnerMin(tt.min)
			if owner != tt.owner || ok != tt.recorded {
				t.Errorf("OwnerMin(%d) = %d, %v; want %d, %v", tt.min, owner, ok, tt.owner, tt.recorded)
			}
			if got := tt.rec.Unfinished(tt.min); got != tt.unfinished {
				t.Errorf("Unfinished(%d) = %d, want %d", tt.min, got, tt.unfinished)
			}
			if got := tt.rec.Stale(tt.min); got != tt.stale {
				t.Errorf("Stale(%d) = %v, want %v", tt.min, got, tt.stale)
			}
		})
	}
}

func TestFloorCovers(t *testing.T) {
	active := Floor{Count: 80, Until: t0.Add(3 * time.Hour)}
	tests := []struct {
		name string
		f    Floor
		want bool
	}{
		{"equal", Floor{Count: 80, Until: t0.Add(3*time.Hour + 400*time.Millisecond)}, true},
		{"higher and longer", Floor{Count: 90, Until: t0.Add(4 * time.Hour)}, true},
		{"higher, shorter", Floor{Count: 90, Until: t0.Add(time.Hour)}, false},
		{"lower, longer", Floor{Count: 10, Until: t0.Add(4 * time.Hour)}, false},
		{"lower and shorter", Floor{Count: 10, Until: t0.Add(time.Hour)}, false},
		{"a second shorter", Floor{Count: 80, Until: t0.Add(3*time.Hour - time.Second)}, false},
	}
	for _, tt := range tests {
		if got := tt.f.Covers(active); got != tt.want {
			t.Errorf("%s: Covers = %v, want %v", tt.name, got, tt.want)
		}
	}
	s := State{FloorCount: 80, FloorUntil: active.Until, FloorReason: "final"}
	if f, ok := s.FloorAt(t0); !ok || f != (Floor{Count: 80, Until: active.Until, Reason: "final"}) {
		t.Errorf("FloorAt before its end = %+v, %v", f, ok)
	}
	if _, ok := s.FloorAt(active.Until); ok {
		t.Error("a floor is in force at its end")
	}
}

// recorder is a Tagger that records the calls made to it, failing those named in fail.
type recorder struct {
	calls []string
	fail  string
}

func (r *recorder) Tag(_ context.Context, arn string, tags map[string]string) error {
	r.calls = append(r.calls, "tag "+arn+" "+setting().Then(Edit{set: tags}).String())
	if r.fail == "tag" {
		return errors.New("AccessDenied")
	}
	return nil
}

func (r *recorder) Untag(_ context.Context, arn string, keys []string) error {
	r.calls = append(r.calls, "untag "+arn+" "+strings.Join(keys, ","))
	if r.fail == "untag" {
		return errors.New("AccessDenied")
	}
	return nil
}

func TestApplySetsThenRemoves(t *testing.T) {
	r := &recorder{}
	if err := Resume(t0).Apply(context.Background(), r, "arn:svc"); err != nil {
		t.Fatal(err)
	}
	want := []string{"tag arn:svc fastscaler:last-scale-out=2026-11-22T20:00:00Z", "untag arn:svc fastscaler:paused,fastscaler:pause-reason"}
	if diff := cmp.Diff(want, r.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	r = &recorder{fail: "tag"}
	if err := Resume(t0).Apply(context.Background(), r, "arn:svc"); err == nil || len(r.calls) != 1 {
		t.Errorf("a failed tag: %v after %v; want the error, and no untag", err, r.calls)
	}
	if err := (Edit{}).Apply(context.Background(), r, "arn:svc"); err != nil || len(r.calls) != 1 {
		t.Errorf("an empty edit made calls: %v", r.calls)
	}
}

func TestEditAlgebra(t *testing.T) {
	pending := RecordChange(policy.Up, 4, 16, "surge", t0).Then(RecordAASRaise(4, 16))
	if pending.Len() != 5 {
		t.Errorf("pending %v: want 5 keys", pending)
	}
	if got := pending.WithoutAAS(); got.Len() != 3 || strings.Contains(got.String(), "aas") {
		t.Errorf("WithoutAAS = %v", got)
	}
	sent := pending
	later := pending.Then(RecordChange(policy.Up, 16, 20, "surge", t0.Add(time.Minute)))
	left := later.Done(sent)
	if diff := cmp.Diff("fastscaler:last-action=up 16 to 20 at 2026-11-22T20:01:00Z fastscaler:last-scale-out=2026-11-22T20:01:00Z", left.String()); diff != "" {
		t.Errorf("Done: what changed since sending stays (-want +got):\n%s", diff)
	}
	if !pending.Done(pending).Empty() {
		t.Errorf("Done(itself) = %v, want empty", pending.Done(pending))
	}
	// A removal then a set of the same key is a set; a set then a removal is a removal.
	e := ForgetAAS().Then(RecordAASMin(5))
	if e.String() != "fastscaler:aas-min-set=5 -fastscaler:aas-owner-min" {
		t.Errorf("ForgetAAS then RecordAASMin = %v", e)
	}
	if e := RecordAASMin(5).Then(ForgetAAS()); e.String() != "-fastscaler:aas-owner-min -fastscaler:aas-min-set" {
		t.Errorf("RecordAASMin then ForgetAAS = %v", e)
	}
}
