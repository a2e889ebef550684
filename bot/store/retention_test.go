package store

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests of a store that runs for years: retention of delivery bodies,
// the readiness probe, archiving the audit log. They run in the store
// suite, on both databases.
var retentionTests = []struct {
	name string
	run  func(t *testing.T, x *suite)
}{
	{"bodies are dropped after retention and IDs, events and outcomes kept", testDropBodies},
	{"a redelivery of a delivery whose body was dropped is still a duplicate", testDropBodiesKeepsDuplicates},
	{"retention leaves dead jobs and the audit log alone", testDropBodiesKeepsDeadJobsAndAudit},
	{"a sweep of more deliveries than a chunk drops them all, chunk by chunk", testDropBodiesInChunks},
	{"the readiness probe writes its worker's row, and old probes are forgotten", testProbe},
	{"archived audit events are pruned, exactly, and the prune is recorded", testPruneAudit},
	{"the audit log refuses to delete events that no prune names", testPruneAuditOnlyArchived},
}

func testDropBodies(t *testing.T, x *suite) {
	x.accept(t, "done", job("k1", "1"))
	x.accept(t, "waiting", job("k2", "2"))
	slack := Delivery{Host: "slack", ID: "sig:abc", Event: "interaction", Payload: []byte("payload=%7B%7D")}
	if _, err := x.s.Accept(ctx, slack); err != nil {
		t.Fatal(err)
	}
	x.complete(t, x.claim(t, "w", 1)...) // k1's job is done
	x.clock.Advance(15 * 24 * time.Hour)
	x.accept(t, "recent")

	dropped, err := x.s.DropBodies(ctx, x.clock.Now().Add(-14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if dropped["github"] != 2 || dropped["slack"] != 1 || len(dropped) != 2 {
		t.Errorf("DropBodies = %v, want github:2 slack:1", dropped)
	}
	for _, tt := range []struct {
		host, id, outcome string
		kept              bool
	}{
		{"github", "done", OutcomeProcessed, false},
		{"github", "waiting", OutcomeQueued, false},
		{"slack", "sig:abc", OutcomeProcessed, false},
		{"github", "recent", "", true},
	} {
		r, err := x.s.GetDelivery(ctx, tt.host, tt.id)
		if err != nil {
			t.Fatalf("GetDelivery(%s): %v", tt.id, err)
		}
		if kept := len(r.Payload) > 0; kept != tt.kept || r.Outcome != tt.outcome || r.BodyDroppedAt.IsZero() == !tt.kept {
			t.Errorf("%s: body kept %v (dropped at %v), outcome %q; want kept %v, outcome %q", tt.id, kept, r.BodyDroppedAt, r.Outcome, tt.kept, tt.outcome)
		}
		if r.Event == "" || r.ReceivedAt.IsZero() {
			t.Errorf("%s: event %q received at %v: the record lost them", tt.id, r.Event, r.ReceivedAt)
		}
	}
	// The waiting job kept its own payload.
	wantBatches(t, x.claim(t, "w", 1), "k2:2")
	if again, err := x.s.DropBodies(ctx, x.clock.Now().Add(-14*24*time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("second DropBodies = %v, %v; want nothing", again, err)
	}
}

func testDropBodiesKeepsDuplicates(t *testing.T, x *suite) {
	x.accept(t, "d1", job("k", "1"))
	x.clock.Advance(30 * 24 * time.Hour)
	if _, err := x.s.DropBodies(ctx, x.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if dup, err := x.s.Accept(ctx, delivery("d1"), job("k", "again")); err != nil || !dup {
		t.Fatalf("redelivery after retention: Accept = %v, %v; want a duplicate", dup, err)
	}
	wantBatches(t, x.claim(t, "w", 10), "k:1")
}

func testDropBodiesKeepsDeadJobsAndAudit(t *testing.T, x *suite) {
	x.accept(t, "poison", Job{Kind: "evaluate", Key: "k", Payload: []byte("poison"), MaxAttempts: 1})
	got := x.claim(t, "w", 1)
	if err := x.s.Bury(ctx, got[0].Lease, got[0].Jobs[0].ID, errors.New("bad payload")); err != nil {
		t.Fatal(err)
	}
	auditID, err := x.s.AppendAudit(ctx, AuditEvent{Kind: AuditEvaluation, Repo: "acme/a", Actor: "shipgate", DeliveryID: "poison", Detail: []byte(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	x.clock.Advance(365 * 24 * time.Hour)
	if _, err := x.s.DropBodies(ctx, x.clock.Now()); err != nil {
		t.Fatal(err)
	}
	dead, err := x.s.Dead(ctx)
	if err != nil || len(dead) != 1 || string(dead[0].Payload) != "poison" {
		t.Fatalf("Dead() after retention = %+v, %v; want the poison job, payload and all", dead, err)
	}
	if r, err := x.s.GetDelivery(ctx, "github", "poison"); err != nil || r.Outcome != OutcomeDead {
		t.Errorf("GetDelivery(poison) = %+v, %v; want outcome dead", r, err)
	}
	var events []AuditEvent
	if err := x.s.ExportAudit(ctx, AuditFilter{}, func(e AuditEvent) error { events = append(events, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].ID != auditID || string(events[0].Detail) != `{"x":1}` {
		t.Errorf("audit log after retention = %+v", events)
	}
}

func testDropBodiesInChunks(t *testing.T, x *suite) {
	const n = retentionChunk*2 + 7
	for i := 0; i < n; i++ {
		d := delivery("d" + strconv.Itoa(i))
		d.Payload = bytes.Repeat([]byte("x"), 1024)
		if _, err := x.s.Accept(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	x.clock.Advance(time.Hour)
	x.accept(t, "new")
	before := x.s.acceptBatches.Load()
	dropped, err := x.s.DropBodies(ctx, x.clock.Now().Add(-time.Minute))
	if err != nil || dropped["github"] != n {
		t.Fatalf("DropBodies = %v, %v; want github:%d", dropped, err, n)
	}
	if commits := x.s.acceptBatches.Load() - before; commits < 3 {
		t.Errorf("%d deliveries dropped in %d transactions, want chunks of at most %d", n, commits, retentionChunk)
	}
	var withBody, total int
	if err := x.s.r.QueryRow(`SELECT COUNT(CASE WHEN body_dropped_at IS NULL THEN 1 END), COUNT(*) FROM deliveries`).Scan(&withBody, &total); err != nil {
		t.Fatal(err)
	}
	if withBody != 1 || total != n+1 {
		t.Errorf("%d of %d deliveries kept their body, want 1 of %d", withBody, total, n+1)
	}
}

func testProbe(t *testing.T, x *suite) {
	if err := x.s.Probe(ctx, "replica-a"); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	x.clock.Advance(time.Hour)
	if err := x.s.Probe(ctx, "replica-b"); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	var at int64
	if err := x.s.r.QueryRow(`SELECT at FROM probes WHERE name = 'replica-b'`).Scan(&at); err != nil || at != micros(x.clock.Now()) {
		t.Errorf("probe of replica-b at %d, %v; want %d", at, err, micros(x.clock.Now()))
	}
	if n, err := x.s.ForgetProbes(ctx, x.clock.Now().Add(-time.Minute)); err != nil || n != 1 {
		t.Errorf("ForgetProbes = %d, %v; want replica-a's only", n, err)
	}
	if err := x.s.Probe(ctx, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Probe without a name = %v, want ErrInvalid", err)
	}
}

// appendAudits appends n events an hour apart from the clock's time, and
// returns their IDs.
func appendAudits(t *testing.T, x *suite, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := 0; i < n; i++ {
		id, err := x.s.AppendAudit(ctx, AuditEvent{At: x.clock.Now().Add(time.Duration(i) * time.Hour), Kind: AuditCommand, Repo: "acme/a", Actor: "alice", Outcome: "accepted"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func testPruneAudit(t *testing.T, x *suite) {
	const n = pruneChunk + 20
	ids := appendAudits(t, x, n)
	cut := x.clock.Now().Add(time.Duration(n-10) * time.Hour) // the last 10 stay
	var archived []int64
	if err := x.s.ExportAudit(ctx, AuditFilter{Before: cut}, func(e AuditEvent) error { archived = append(archived, e.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(archived) != n-10 {
		t.Fatalf("export before the cut: %d events, want %d", len(archived), n-10)
	}
	pruned, err := x.s.PruneAudit(ctx, AuditArchive{Before: cut, IDs: archived, Name: "audit-2026.jsonl.gz", SHA256: "abc", Actor: "ops"})
	if err != nil || pruned != int64(n-10) {
		t.Fatalf("PruneAudit = %d, %v; want %d", pruned, err, n-10)
	}
	var left []AuditEvent
	if err := x.s.ExportAudit(ctx, AuditFilter{}, func(e AuditEvent) error { left = append(left, e); return nil }); err != nil {
		t.Fatal(err)
	}
	var kept []int64
	var prune *AuditEvent
	for i, e := range left {
		if e.Kind == AuditPrune {
			prune = &left[i]
			continue
		}
		kept = append(kept, e.ID)
	}
	if !slices.Equal(kept, ids[n-10:]) {
		t.Errorf("events left after the prune: %v, want the 10 newer ones %v", kept, ids[n-10:])
	}
	if prune == nil || prune.Subject != "audit-2026.jsonl.gz" || prune.Actor != "ops" || !strings.Contains(string(prune.Detail), `"pruned":510`) {
		t.Errorf("the prune's own audit event = %+v", prune)
	}
	prunes, err := x.s.AuditPrunes(ctx)
	if err != nil || len(prunes) != 1 || prunes[0].FirstID != ids[0] || prunes[0].ThroughID != ids[n-11] || prunes[0].Events != int64(n-10) || prunes[0].SHA256 != "abc" {
		t.Errorf("AuditPrunes = %+v, %v", prunes, err)
	}
}

func testPruneAuditOnlyArchived(t *testing.T, x *suite) {
	ids := appendAudits(t, x, 3)
	cut := x.clock.Now().Add(90 * time.Minute) // events 0 and 1
	if _, err := x.s.PruneAudit(ctx, AuditArchive{Before: cut, IDs: ids[:1], Name: "a.jsonl", SHA256: "abc", Actor: "ops"}); err != nil {
		t.Fatal(err)
	}
	// The prune named event 0 only, and event 2 is after its cut.
	for _, id := range ids[1:] {
		if _, err := x.s.w.Exec(`DELETE FROM audit_events WHERE id = $1`, id); err == nil {
			t.Errorf("deleting event %d, which no prune archived, succeeded", id)
		}
	}
	// An archive that claims events after its cut deletes nothing of them.
	n, err := x.s.PruneAudit(ctx, AuditArchive{Before: cut, IDs: ids[2:], Name: "b.jsonl", SHA256: "def", Actor: "ops"})
	if err == nil || n != 0 {
		t.Errorf("PruneAudit of an event after the cut = %d, %v; want 0 and an error", n, err)
	}
	if _, err := x.s.PruneAudit(ctx, AuditArchive{Before: cut, Name: "c.jsonl", SHA256: "x", Actor: "ops"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PruneAudit of no events = %v, want ErrInvalid", err)
	}
}
