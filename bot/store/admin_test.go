package store

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"
)

// The tests of the queue's administration (shipgate queue). They run in
// the store suite, on both databases.
var adminTests = []struct {
	name string
	run  func(t *testing.T, x *suite)
}{
	{"jobs are listed by state, kind and repository", testListJobs},
	{"a dead job retried runs again with its attempts reset, and is audited", testRetryDead},
	{"a live job is neither retried nor purged", testRetryPurgeRefuseLiveJobs},
	{"dead jobs are purged by ID or by the time they died, and audited", testPurgeDead},
}

// killJob queues a job under key and buries it, and returns its ID.
func (x *suite) killJob(t *testing.T, delivery, key string) int64 {
	t.Helper()
	x.accept(t, delivery, Job{Kind: "evaluate", Key: key, Payload: []byte(`{"d":"` + delivery + `"}`)})
	got := x.claim(t, "w", 1)
	if len(got) != 1 || got[0].Key != key {
		t.Fatalf("claimed %v, want %s", summary(got), key)
	}
	id := got[0].Jobs[0].ID
	if err := x.s.Bury(ctx, got[0].Lease, id, errors.New("boom\nsecond line")); err != nil {
		t.Fatal(err)
	}
	return id
}

func jobIDs(jobs []JobInfo) []int64 {
	var ids []int64
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func testListJobs(t *testing.T, x *suite) {
	dead := x.killJob(t, "1", "github:acme/a_b#1")
	x.accept(t, "2", Job{Kind: "tag", Key: "github:acme/a_b@refs/tags/v1", Payload: []byte("{}")})
	x.accept(t, "3", job("gitlab:acme/axb!2", "3"))
	leased := x.claim(t, "w", 1) // the tag's key, the oldest
	if len(leased) != 1 || leased[0].Key != "github:acme/a_b@refs/tags/v1" {
		t.Fatalf("claimed %v", summary(leased))
	}
	for _, tt := range []struct {
		name string
		f    JobFilter
		want int
	}{
		{"dead", JobFilter{State: StateDead}, 1},
		{"leased", JobFilter{State: StateLeased}, 1},
		{"ready", JobFilter{State: StateReady}, 1},
		{"all", JobFilter{}, 3},
		{"by kind", JobFilter{Kind: "tag"}, 1},
		{"by repository, whose _ is no wildcard", JobFilter{Repo: "acme/a_b"}, 2},
		{"by repository on GitLab", JobFilter{Repo: "acme/axb"}, 1},
		{"limited", JobFilter{Limit: 2}, 2},
	} {
		got, err := x.s.ListJobs(ctx, tt.f)
		if err != nil || len(got) != tt.want {
			t.Errorf("%s: ListJobs = %v, %v; want %d jobs", tt.name, jobIDs(got), err, tt.want)
		}
	}
	got, err := x.s.GetJob(ctx, dead)
	if err != nil || got.State != stateDead || got.LastError != "boom\nsecond line" || got.DeadAt.IsZero() || got.DeliveryHost != "github" || got.DeliveryID != "1" {
		t.Errorf("GetJob(dead) = %+v, %v", got, err)
	}
	got, err = x.s.GetJob(ctx, leased[0].Jobs[0].ID)
	if err != nil || got.LeasedBy != "w" || got.LeaseToken != leased[0].Lease.Token || got.LeasedUntil.IsZero() {
		t.Errorf("GetJob(leased) = %+v, %v", got, err)
	}
	if _, err := x.s.GetJob(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetJob(9999) = %v, want ErrNotFound", err)
	}
	if _, err := x.s.ListJobs(ctx, JobFilter{State: "zombie"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ListJobs(zombie) = %v, want ErrInvalid", err)
	}
}

// queueEvents returns the audit log's queue events.
func queueEvents(t *testing.T, x *suite) []AuditEvent {
	t.Helper()
	var events []AuditEvent
	if err := x.s.ExportAudit(ctx, AuditFilter{Kinds: []string{AuditQueue}}, func(e AuditEvent) error { events = append(events, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return events
}

func testRetryDead(t *testing.T, x *suite) {
	id := x.killJob(t, "1", "k")
	x.accept(t, "2", job("k", "2"))
	wantBatches(t, x.claim(t, "w", 1), "k:2") // the dead job does not block k
	x.clock.Advance(30 * time.Second)
	if err := x.s.RetryDead(ctx, "cli:ops", id); err != nil {
		t.Fatal(err)
	}
	got, err := x.s.GetJob(ctx, id)
	if err != nil || got.State != statePending || got.Attempts != 0 || !got.DeadAt.IsZero() || !got.RunAt.Equal(x.clock.Now()) {
		t.Errorf("retried job = %+v, %v; want pending, 0 attempts, due now", got, err)
	}
	// k's job 2 is still leased: the retried job waits for that lease.
	wantBatches(t, x.claim(t, "v", 1))
	x.clock.Advance(2 * time.Minute)
	b := x.claim(t, "v", 1)
	if len(b) != 1 || b[0].Jobs[0].ID != id {
		t.Fatalf("after the lease ran out, claimed %v; want the retried job first", summary(b))
	}
	events := queueEvents(t, x)
	if len(events) != 1 || events[0].Actor != "cli:ops" || events[0].Outcome != "retried" || events[0].DeliveryID != "1" {
		t.Fatalf("audit = %+v", events)
	}
	var detail map[string]any
	if err := json.Unmarshal(events[0].Detail, &detail); err != nil || detail["last_error"] != "boom\nsecond line" || detail["key"] != "k" {
		t.Errorf("audit detail = %s, %v", events[0].Detail, err)
	}

	// A dead job whose key has no live job left gets its key back.
	lone := x.killJob(t, "3", "lone")
	if err := x.s.RetryDead(ctx, "cli:ops", lone); err != nil {
		t.Fatal(err)
	}
	wantBatches(t, x.claim(t, "v", 5), `lone:{"d":"3"}`)
}

func testRetryPurgeRefuseLiveJobs(t *testing.T, x *suite) {
	dead := x.killJob(t, "1", "k1")
	x.accept(t, "2", job("k2", "2"))
	live, _ := x.s.ListJobs(ctx, JobFilter{State: StateReady})
	for name, op := range map[string]func(...int64) error{
		"retry": func(ids ...int64) error { return x.s.RetryDead(ctx, "ops", ids...) },
		"purge": func(ids ...int64) error { return x.s.PurgeDead(ctx, "ops", ids...) },
	} {
		if err := op(dead, live[0].ID); !errors.Is(err, ErrNotDead) {
			t.Errorf("%s of a live job = %v, want ErrNotDead", name, err)
		}
		if err := op(dead, 9999); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a missing job = %v, want ErrNotFound", name, err)
		}
	}
	if got, _ := x.s.GetJob(ctx, dead); got.State != stateDead {
		t.Errorf("the dead job of a refused call is %s", got.State)
	}
	if events := queueEvents(t, x); len(events) != 0 {
		t.Errorf("refused calls were audited: %+v", events)
	}
	wantBatches(t, x.claim(t, "w", 5), "k2:2")
	if err := x.s.RetryDead(ctx, "", dead); !errors.Is(err, ErrInvalid) {
		t.Errorf("RetryDead without an actor = %v, want ErrInvalid", err)
	}
}

func testPurgeDead(t *testing.T, x *suite) {
	a := x.killJob(t, "1", "k1")
	x.clock.Advance(48 * time.Hour)
	b := x.killJob(t, "2", "k2")
	c := x.killJob(t, "3", "k3")
	if err := x.s.PurgeDead(ctx, "cli:ops", c); err != nil {
		t.Fatal(err)
	}
	old, err := x.s.DeadBefore(ctx, x.clock.Now().Add(-24*time.Hour))
	if err != nil || !slices.Equal(old, []int64{a}) {
		t.Fatalf("DeadBefore = %v, %v; want [%d]", old, err, a)
	}
	if err := x.s.PurgeDead(ctx, "cli:ops", old...); err != nil {
		t.Fatal(err)
	}
	left, err := x.s.ListJobs(ctx, JobFilter{State: StateDead})
	if err != nil || !slices.Equal(jobIDs(left), []int64{b}) {
		t.Errorf("dead jobs left = %v, %v; want [%d]", jobIDs(left), err, b)
	}
	events := queueEvents(t, x)
	if len(events) != 2 || events[0].Outcome != "purged" || events[0].Subject == events[1].Subject {
		t.Errorf("audit = %+v", events)
	}
}
