package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/testclock"
)

// suite is what each test of the store suite gets: a fresh database of one
// dialect and a fake clock the store reads.
type suite struct {
	b     backend
	url   string
	clock *testclock.Clock
	s     *Store
}

// runStoreSuite runs every behaviour test of the store against one
// database backend.
func runStoreSuite(t *testing.T, b backend) {
	tests := []struct {
		name string
		run  func(t *testing.T, x *suite)
	}{
		{"a delivery seen twice is accepted once", testDuplicateDelivery},
		{"duplicates inside one group commit are detected", testDuplicatesInsideBatch},
		{"concurrent accepts are committed in groups", testConcurrentGroupCommit},
		{"an invalid delivery is refused and nothing is written", testInvalidDelivery},
		{"jobs of one key are claimed together in order", testOrderingWithinKey},
		{"keys are claimed oldest first", testFairAcrossKeys},
		{"a leased key is not claimed by another worker", testLeasedKeyExclusive},
		{"two workers never hold one key at once", testConcurrentWorkers},
		{"an expired lease lets another worker recover the jobs", testLeaseExpiry},
		{"an extended lease keeps the key", testExtend},
		{"a job waiting for its retry blocks the later jobs of its key", testRetryBlocksKey},
		{"a job that keeps failing backs off and dies", testRetryAndDead},
		{"a job whose last lease expires dies", testDeadByLeaseExpiry},
		{"a buried job is dead at once", testBury},
		{"queue stats count ready, leased and dead jobs", testStats},
		{"a command is recorded once per comment and index", testCommandIdempotency},
		{"evaluations are appended", testSaveEvaluation},
		{"PR state round-trips and a missing PR is not found", testPRState},
		{"stale PRs are the open ones not evaluated since their last activity", testStalePRs},
		{"open PRs into a base branch are listed by number", testOpenPRsInto},
		{"open PRs on one head commit, and of a repository, are listed by number", testOpenPRsWithHead},
		{"a change's commands are read back in the order they were given", testCommandsOf},
		{"a change's heads keep their first sighting and learn an unknown content once", testHeads},
		{"the audit export streams in time order and filters", testExportAudit},
		{"the audit export stops at the callback's error", testExportAuditStops},
		{"the audit log refuses updates and deletes", testAuditAppendOnly},
		{"reopening applies no migration twice", testReopen},
		{"a database from a newer shipgate is refused", testSchemaTooNew},
		{"an older database is migrated up", testMigrateUp},
		{"a closed store refuses work", testClosed},
		{"a forgotten delivery without jobs can be accepted again", testForgetDelivery},
		{"deployments are created once, updated by compare-and-swap, and step keys claimed once", testDeployments},
		{"deployments are listed per readable repository, state and version; audit events by subject", testListDeployments},
		{"the newest evaluation of a release's changes", testReleaseQueries},
	}
	for _, tt := range slices.Concat(tests, replicaTests, retentionTests, adminTests, migrateTests, basesTests, dashboardTests, citationTests, onceTests, reportTests) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := &suite{b: b, url: b.newURL(t), clock: newClock()}
			x.s = openStore(t, x.url, x.clock)
			if got := x.s.Dialect(); got != b.name {
				t.Fatalf("Dialect() = %q, want %q", got, b.name)
			}
			tt.run(t, x)
		})
	}
}

var ctx = context.Background()

func delivery(id string) Delivery {
	return Delivery{Host: "github", ID: id, Event: "pull_request", Action: "synchronize", Payload: []byte(`{"n":"` + id + `"}`)}
}

func job(key, payload string) Job {
	return Job{Kind: "evaluate", Key: key, Payload: []byte(payload)}
}

// accept accepts a delivery with jobs and fails the test on error or
// duplicate.
func (x *suite) accept(t *testing.T, id string, jobs ...Job) {
	t.Helper()
	dup, err := x.s.Accept(ctx, delivery(id), jobs...)
	if err != nil || dup {
		t.Fatalf("Accept(%s) = %v, %v; want false, nil", id, dup, err)
	}
}

func (x *suite) claim(t *testing.T, worker string, maxKeys int) []Batch {
	t.Helper()
	batches, err := x.s.Claim(ctx, worker, time.Minute, maxKeys)
	if err != nil {
		t.Fatalf("Claim(%s): %v", worker, err)
	}
	return batches
}

// complete completes each batch under its own lease.
func (x *suite) complete(t *testing.T, batches ...Batch) {
	t.Helper()
	for _, b := range batches {
		if err := x.s.Complete(ctx, b.Lease, ids(b)...); err != nil {
			t.Fatalf("Complete: %v", err)
		}
	}
}

// completeAll completes batches of one or more claims, each under its
// lease.
func completeAll(ctx context.Context, s *Store, batches []Batch) error {
	for _, b := range batches {
		if err := s.Complete(ctx, b.Lease, ids(b)...); err != nil {
			return err
		}
	}
	return nil
}

func ids(batches ...Batch) []int64 {
	var ids []int64
	for _, b := range batches {
		for _, j := range b.Jobs {
			ids = append(ids, j.ID)
		}
	}
	return ids
}

// summary renders batches as "key:payload,payload" strings for comparison.
func summary(batches []Batch) []string {
	var out []string
	for _, b := range batches {
		s := b.Key + ":"
		for i, j := range b.Jobs {
			if i > 0 {
				s += ","
			}
			s += string(j.Payload)
		}
		out = append(out, s)
	}
	return out
}

func wantBatches(t *testing.T, got []Batch, want ...string) {
	t.Helper()
	if g := summary(got); !slices.Equal(g, want) {
		t.Fatalf("claimed %q, want %q", g, want)
	}
}

func testDuplicateDelivery(t *testing.T, x *suite) {
	x.accept(t, "d1", job("k", "1"))
	dup, err := x.s.Accept(ctx, delivery("d1"), job("k", "again"))
	if err != nil || !dup {
		t.Fatalf("second Accept(d1) = %v, %v; want true, nil", dup, err)
	}
	other := delivery("d1")
	other.Host = "gitlab"
	if dup, err := x.s.Accept(ctx, other, job("k", "2")); err != nil || dup {
		t.Fatalf("Accept(gitlab d1) = %v, %v; want false, nil (IDs are per host)", dup, err)
	}
	wantBatches(t, x.claim(t, "w", 10), "k:1,2")
}

func testDuplicatesInsideBatch(t *testing.T, x *suite) {
	x.accept(t, "old", job("k", "old"))
	reqs := []*acceptRequest{
		{d: delivery("a"), jobs: []Job{job("k", "a")}},
		{d: delivery("b"), jobs: []Job{job("k", "b1"), job("j", "b2")}},
		{d: delivery("a"), jobs: []Job{job("k", "a-again")}},
		{d: delivery("old"), jobs: []Job{job("k", "old-again")}},
		{d: delivery("b")},
		{d: delivery("c")},
	}
	for _, r := range reqs {
		r.res = make(chan acceptResult, 1)
	}
	x.s.commitBatch(&writeBatch{accepts: reqs}, &heldWrites{})
	want := []bool{false, false, true, true, true, false}
	for i, r := range reqs {
		res := <-r.res
		if res.err != nil || res.duplicate != want[i] {
			t.Errorf("request %d (%s) = %v, %v; want %v, nil", i, r.d.ID, res.duplicate, res.err, want[i])
		}
	}
	// Same ready time: keys come in key order.
	wantBatches(t, x.claim(t, "w", 10), "j:b2", "k:old,a,b1")
}

func testConcurrentGroupCommit(t *testing.T, x *suite) {
	const writers, perWriter, distinct = 16, 40, 200
	var mu sync.Mutex
	accepted := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				id := strconv.Itoa((w*perWriter + i) % distinct)
				dup, err := x.s.Accept(ctx, delivery(id), job("key-"+id, id))
				if err != nil {
					t.Errorf("Accept(%s): %v", id, err)
					return
				}
				if !dup {
					mu.Lock()
					accepted[id]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(accepted) != distinct {
		t.Errorf("%d distinct deliveries accepted, want %d", len(accepted), distinct)
	}
	for id, n := range accepted {
		if n != 1 {
			t.Errorf("delivery %s accepted %d times", id, n)
		}
	}
	batches, requests := x.s.acceptBatches.Load(), x.s.acceptRequests.Load()
	t.Logf("%d accepts in %d commits", requests, batches)
	if batches >= requests {
		t.Errorf("%d accepts took %d commits: no group commit", requests, batches)
	}
	if st, err := x.s.Stats(ctx); err != nil || st.Ready != distinct {
		t.Errorf("Stats() = %+v, %v; want %d ready", st, err, distinct)
	}
}

func testInvalidDelivery(t *testing.T, x *suite) {
	tests := []struct {
		name string
		d    Delivery
		jobs []Job
	}{
		{"no host", Delivery{ID: "x"}, nil},
		{"no delivery ID", Delivery{Host: "github"}, nil},
		{"a job without a key", delivery("x"), []Job{{Kind: "evaluate"}}},
		{"a job without a kind", delivery("x"), []Job{{Key: "k"}}},
	}
	for _, tt := range tests {
		if _, err := x.s.Accept(ctx, tt.d, tt.jobs...); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Accept error = %v, want ErrInvalid", tt.name, err)
		}
	}
	x.accept(t, "x") // nothing was written under that ID
}

func testOrderingWithinKey(t *testing.T, x *suite) {
	key := "github:acme/widgets#42"
	for i := 1; i <= 5; i++ {
		x.accept(t, "push-"+strconv.Itoa(i), job(key, strconv.Itoa(i)))
	}
	x.accept(t, "other", job("github:acme/widgets#7", "x"))
	got := x.claim(t, "w", 10)
	wantBatches(t, got, key+":1,2,3,4,5", "github:acme/widgets#7:x")
	j := got[0].Jobs[0]
	if j.Kind != "evaluate" || j.DeliveryID != "push-1" || j.MaxAttempts != DefaultMaxAttempts ||
		!j.RunAt.Equal(x.clock.Now()) || !j.CreatedAt.Equal(x.clock.Now()) || j.Attempts != 0 {
		t.Errorf("claimed job = %+v", j)
	}
	for i := 1; i < len(got[0].Jobs); i++ {
		if got[0].Jobs[i].ID <= got[0].Jobs[i-1].ID {
			t.Errorf("job IDs not increasing: %v", ids(got[0]))
		}
	}
	x.complete(t, got...)
	wantBatches(t, x.claim(t, "w", 10))

	// Jobs queued while the key is leased wait for the next claim, after
	// the batch before them.
	x.accept(t, "push-6", job(key, "6"))
	first := x.claim(t, "w", 10)
	x.accept(t, "push-7", job(key, "7"))
	wantBatches(t, x.claim(t, "w2", 10))
	x.complete(t, first...)
	wantBatches(t, x.claim(t, "w2", 10), key+":7")
}

func testFairAcrossKeys(t *testing.T, x *suite) {
	x.accept(t, "a1", job("a", "a1"))
	x.clock.Advance(time.Second)
	x.accept(t, "b1", job("b", "b1"))
	x.clock.Advance(time.Second)
	x.accept(t, "c1", job("c", "c1"))
	x.accept(t, "a2", job("a", "a2"))
	// A job may be queued to run later; it does not jump the line.
	x.accept(t, "d1", Job{Kind: "timer", Key: "d", Payload: []byte("d1"), RunAt: x.clock.Now().Add(time.Hour)})
	first := x.claim(t, "w", 2)
	wantBatches(t, first, "a:a1,a2", "b:b1")
	second := x.claim(t, "w", 2)
	wantBatches(t, second, "c:c1")
	x.complete(t, append(first, second...)...)
	x.clock.Advance(time.Hour)
	wantBatches(t, x.claim(t, "w", 2), "d:d1")
}

func testLeasedKeyExclusive(t *testing.T, x *suite) {
	x.accept(t, "1", job("k", "1"))
	x.clock.Advance(time.Second)
	x.accept(t, "2", job("j", "2"))
	a := x.claim(t, "a", 1)
	wantBatches(t, a, "k:1")
	x.accept(t, "3", job("k", "3"))
	wantBatches(t, x.claim(t, "b", 10), "j:2")
	wantBatches(t, x.claim(t, "b", 10))
	x.complete(t, a...)
	wantBatches(t, x.claim(t, "b", 10), "k:3")
}

func testConcurrentWorkers(t *testing.T, x *suite) {
	const keys, perKey, workers = 6, 15, 4
	var wg sync.WaitGroup
	// A producer keeps queueing while the workers run.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < perKey; i++ {
			for k := 0; k < keys; k++ {
				id := fmt.Sprintf("k%d-%d", k, i)
				if _, err := x.s.Accept(ctx, delivery(id), job("key"+strconv.Itoa(k), strconv.Itoa(i))); err != nil {
					t.Errorf("Accept(%s): %v", id, err)
					return
				}
			}
		}
	}()
	var mu sync.Mutex
	held := map[string]string{} // key → worker
	seen := map[int64]bool{}
	order := map[string][]int{}
	done := make(chan struct{})
	var workersWG sync.WaitGroup
	for w := 0; w < workers; w++ {
		workersWG.Add(1)
		go func() {
			defer workersWG.Done()
			name := "worker-" + strconv.Itoa(w)
			for {
				batches, err := x.s.Claim(ctx, name, time.Hour, 2)
				if err != nil {
					t.Errorf("Claim: %v", err)
					return
				}
				if len(batches) == 0 {
					select {
					case <-done:
						return
					default:
						time.Sleep(time.Millisecond)
						continue
					}
				}
				mu.Lock()
				for _, b := range batches {
					if other, ok := held[b.Key]; ok {
						t.Errorf("%s claimed %s while %s holds it", name, b.Key, other)
					}
					held[b.Key] = name
					for _, j := range b.Jobs {
						if seen[j.ID] {
							t.Errorf("job %d claimed twice", j.ID)
						}
						seen[j.ID] = true
						n, _ := strconv.Atoi(string(j.Payload))
						order[b.Key] = append(order[b.Key], n)
					}
				}
				mu.Unlock()
				time.Sleep(time.Millisecond) // hold the keys a little
				mu.Lock()
				for _, b := range batches {
					delete(held, b.Key)
				}
				mu.Unlock()
				if err := completeAll(ctx, x.s, batches); err != nil {
					t.Errorf("Complete: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Stop the workers once the queue is drained.
	for {
		st, err := x.s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Ready+st.Leased == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(done)
	workersWG.Wait()
	if len(seen) != keys*perKey {
		t.Errorf("%d jobs processed, want %d", len(seen), keys*perKey)
	}
	for k, ns := range order {
		if !sort.IntsAreSorted(ns) {
			t.Errorf("key %s processed out of order: %v", k, ns)
		}
	}
}

func testLeaseExpiry(t *testing.T, x *suite) {
	x.accept(t, "1", job("k", "1"), job("k", "2"))
	crashed := x.claim(t, "crashed", 10) // lease of one minute, never completed
	wantBatches(t, crashed, "k:1,2")
	x.clock.Advance(59 * time.Second)
	wantBatches(t, x.claim(t, "b", 10))
	x.clock.Advance(2 * time.Second)
	if err := x.s.Extend(ctx, crashed[0].Lease, ids(crashed...), time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Extend after expiry = %v, want ErrLeaseLost", err)
	}
	got := x.claim(t, "b", 10)
	wantBatches(t, got, "k:1,2")
	for _, j := range got[0].Jobs {
		if j.Attempts != 1 || j.LastError != "lease of worker crashed expired" {
			t.Errorf("recovered job %d: attempts %d, last error %q", j.ID, j.Attempts, j.LastError)
		}
	}
	x.complete(t, got...)
	wantBatches(t, x.claim(t, "b", 10))
}

func testExtend(t *testing.T, x *suite) {
	x.accept(t, "1", job("k", "1"))
	got := x.claim(t, "a", 10)
	x.clock.Advance(50 * time.Second)
	if err := x.s.Extend(ctx, got[0].Lease, ids(got...), time.Minute); err != nil {
		t.Fatalf("Extend: %v", err)
	}
	x.clock.Advance(50 * time.Second)
	wantBatches(t, x.claim(t, "b", 10))
	if st, err := x.s.Stats(ctx); err != nil || st.Leased != 1 || st.Ready != 0 {
		t.Errorf("Stats() = %+v, %v; want 1 leased", st, err)
	}
	x.complete(t, got...)
	if err := x.s.Extend(ctx, got[0].Lease, ids(got...), time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Extend of a completed job = %v, want ErrLeaseLost", err)
	}
}

func testRetryBlocksKey(t *testing.T, x *suite) {
	x.accept(t, "1", job("k", "1"))
	first := x.claim(t, "w", 10)
	x.accept(t, "2", job("k", "2"))
	if err := x.s.Retry(ctx, first[0].Lease, first[0].Jobs[0].ID, errors.New("GitHub said 502"), x.clock.Now().Add(time.Minute)); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	wantBatches(t, x.claim(t, "w", 10)) // 2 waits behind 1
	x.clock.Advance(time.Minute)
	got := x.claim(t, "w", 10)
	wantBatches(t, got, "k:1,2")
	if j := got[0].Jobs[0]; j.Attempts != 1 || j.LastError != "GitHub said 502" {
		t.Errorf("retried job: attempts %d, last error %q", j.Attempts, j.LastError)
	}
}

func testRetryAndDead(t *testing.T, x *suite) {
	x.accept(t, "1", Job{Kind: "evaluate", Key: "k", Payload: []byte("1"), MaxAttempts: 3})
	x.accept(t, "2", job("k", "2"))
	for attempt := 1; attempt <= 3; attempt++ {
		got := x.claim(t, "w", 1)
		if len(got) != 1 || got[0].Jobs[0].Attempts != attempt-1 {
			t.Fatalf("attempt %d: claimed %+v", attempt, got)
		}
		// The coalesced evaluation failed: every job of the batch is retried.
		for _, j := range got[0].Jobs {
			if err := x.s.Retry(ctx, got[0].Lease, j.ID, fmt.Errorf("failure %d", attempt), time.Time{}); err != nil {
				t.Fatalf("Retry: %v", err)
			}
		}
		x.clock.Advance(Backoff(attempt) - time.Second)
		wantBatches(t, x.claim(t, "w", 1)) // still backing off
		x.clock.Advance(time.Second)
	}
	dead, err := x.s.Dead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Attempts != 3 || dead[0].LastError != "failure 3" || string(dead[0].Payload) != "1" {
		t.Fatalf("Dead() = %+v", dead)
	}
	if err := x.s.Retry(ctx, Lease{}, dead[0].ID, errors.New("again"), time.Time{}); !errors.Is(err, ErrNoJob) {
		t.Errorf("Retry of a dead job = %v, want ErrNoJob", err)
	}
	if err := x.s.Complete(ctx, Lease{}, dead[0].ID); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Complete of a dead job = %v, want ErrLeaseLost", err)
	}
	if dead, _ := x.s.Dead(ctx); len(dead) != 1 {
		t.Errorf("Complete removed a dead job")
	}
	// The dead job no longer blocks its key.
	wantBatches(t, x.claim(t, "w", 1), "k:2")
}

func testDeadByLeaseExpiry(t *testing.T, x *suite) {
	x.accept(t, "1", Job{Kind: "evaluate", Key: "k", Payload: []byte("poison"), MaxAttempts: 1})
	x.accept(t, "2", job("k", "2"))
	wantBatches(t, x.claim(t, "w", 1), "k:poison,2")
	x.clock.Advance(2 * time.Minute) // the worker crashed on it
	wantBatches(t, x.claim(t, "w", 1), "k:2")
	dead, err := x.s.Dead(ctx)
	if err != nil || len(dead) != 1 || string(dead[0].Payload) != "poison" {
		t.Fatalf("Dead() = %+v, %v", dead, err)
	}
}

func testBury(t *testing.T, x *suite) {
	x.accept(t, "1", job("k", "1"))
	got := x.claim(t, "w", 1)
	if err := x.s.Bury(ctx, got[0].Lease, got[0].Jobs[0].ID, errors.New("repository is gone")); err != nil {
		t.Fatal(err)
	}
	dead, err := x.s.Dead(ctx)
	if err != nil || len(dead) != 1 || dead[0].Attempts != 1 || dead[0].LastError != "repository is gone" {
		t.Fatalf("Dead() = %+v, %v", dead, err)
	}
	if err := x.s.Bury(ctx, Lease{}, dead[0].ID, errors.New("again")); !errors.Is(err, ErrNoJob) {
		t.Errorf("Bury of a dead job = %v, want ErrNoJob", err)
	}
	x.accept(t, "2", job("k", "2"))
	wantBatches(t, x.claim(t, "w", 1), "k:2")
}

func testStats(t *testing.T, x *suite) {
	x.accept(t, "1", job("a", "1"))
	x.clock.Advance(10 * time.Second)
	x.accept(t, "2", job("b", "2"), Job{Kind: "timer", Key: "c", RunAt: x.clock.Now().Add(time.Hour)})
	x.accept(t, "3", Job{Kind: "evaluate", Key: "d", MaxAttempts: 1})
	x.accept(t, "4", job("e", "4"))
	wantBatches(t, x.claim(t, "w", 1), "a:1") // and keep it leased
	for _, key := range []string{"b", "d"} {
		got := x.claim(t, "w", 1)
		if len(got) != 1 || got[0].Key != key {
			t.Fatalf("claimed %q, want key %s", summary(got), key)
		}
		if err := x.s.Retry(ctx, got[0].Lease, got[0].Jobs[0].ID, errors.New("x"), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	x.clock.Advance(5 * time.Second)
	st, err := x.s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// a leased; b backing off; c not due; d dead; e ready for 5s.
	want := Stats{Ready: 1, Leased: 1, Dead: 1, OldestReadyAge: 5 * time.Second}
	if st != want {
		t.Errorf("Stats() = %+v, want %+v", st, want)
	}
}

func testCommandIdempotency(t *testing.T, x *suite) {
	base := CommandRecord{Host: "github", Repo: "acme/widgets", Number: 42, CommentID: 1001, Index: 0,
		Actor: "alice", Name: "hold", Accepted: true}
	tests := []struct {
		name   string
		change func(*CommandRecord)
		want   bool
	}{
		{"the first command of a comment is recorded", func(*CommandRecord) {}, true},
		{"a redelivered comment repeats nothing", func(*CommandRecord) {}, false},
		{"an edited comment repeats nothing", func(c *CommandRecord) { c.Name, c.Args = "deploy", "production" }, false},
		{"the second command of the comment is recorded", func(c *CommandRecord) { c.Index = 1 }, true},
		{"another comment is recorded", func(c *CommandRecord) { c.CommentID = 1002 }, true},
		{"the same comment ID on another host is recorded", func(c *CommandRecord) { c.Host = "gitlab" }, true},
	}
	for _, tt := range tests {
		c := base
		tt.change(&c)
		got, err := x.s.RecordCommand(ctx, c)
		if err != nil || got != tt.want {
			t.Errorf("%s: RecordCommand = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func testSaveEvaluation(t *testing.T, x *suite) {
	e := Evaluation{Host: "github", Repo: "acme/widgets", Number: 42, HeadSHA: "abc", PolicyRevision: "p1",
		InputsDigest: "d1", Conclusion: "failure", Verdict: []byte(`{"conclusion":"failure"}`)}
	id1, err := x.s.SaveEvaluation(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := x.s.SaveEvaluation(ctx, e)
	if err != nil || id2 <= id1 {
		t.Fatalf("second SaveEvaluation = %d, %v; want an ID after %d", id2, err, id1)
	}
	var verdict []byte
	var at int64
	if err := x.s.r.QueryRow(`SELECT verdict, at FROM evaluations WHERE id = $1`, id1).Scan(&verdict, &at); err != nil {
		t.Fatal(err)
	}
	if string(verdict) != string(e.Verdict) || !fromMicros(at).Equal(x.clock.Now()) {
		t.Errorf("stored verdict %s at %v", verdict, fromMicros(at))
	}
}

func pr(repo string, number int, mod func(*PRState)) PRState {
	p := PRState{Host: "github", Repo: repo, Number: number, BaseBranch: "main", HeadSHA: "sha1", State: PROpen}
	if mod != nil {
		mod(&p)
	}
	return p
}

func (x *suite) putPRs(t *testing.T, prs ...PRState) {
	t.Helper()
	for _, p := range prs {
		if err := x.s.PutPR(ctx, p); err != nil {
			t.Fatalf("PutPR(%s#%d): %v", p.Repo, p.Number, err)
		}
	}
}

func testPRState(t *testing.T, x *suite) {
	now := x.clock.Now()
	p := pr("acme/widgets", 42, func(p *PRState) {
		p.CheckRunID, p.CommentID, p.CommentDigest = 7, 9, "digest"
		p.LastEvaluatedAt, p.LastActivityAt, p.LastEvaluatedSHA = now, now.Add(-time.Minute), "sha1"
		p.HeadPushedAt, p.CheckStatus, p.CheckDigest, p.CheckBase = now.Add(-time.Hour), "completed", "d1", "main"
	})
	x.putPRs(t, p)
	got, err := x.s.GetPR(ctx, "github", "acme/widgets", 42)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("GetPR = %+v, %v; want %+v", got, err, p)
	}
	p.State, p.LastEvaluatedAt = PRClosed, time.Time{}
	x.putPRs(t, p)
	if got, err := x.s.GetPR(ctx, "github", "acme/widgets", 42); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("GetPR after update = %+v, %v; want %+v", got, err, p)
	}
	if _, err := x.s.GetPR(ctx, "github", "acme/widgets", 43); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetPR of a missing PR = %v, want ErrNotFound", err)
	}
	if err := x.s.PutPR(ctx, pr("acme/widgets", 44, func(p *PRState) { p.State = "merged" })); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutPR with state merged = %v, want ErrInvalid", err)
	}
}

func testStalePRs(t *testing.T, x *suite) {
	t0 := x.clock.Now()
	x.putPRs(t,
		pr("acme/a", 1, func(p *PRState) { p.LastActivityAt = t0.Add(3 * time.Minute) }), // never evaluated
		pr("acme/a", 2, func(p *PRState) { // evaluated after its last activity
			p.LastActivityAt, p.LastEvaluatedAt, p.LastEvaluatedSHA = t0, t0.Add(time.Minute), "sha1"
		}),
		pr("acme/a", 3, func(p *PRState) { // activity since the evaluation
			p.LastEvaluatedAt, p.LastActivityAt, p.LastEvaluatedSHA = t0, t0.Add(time.Minute), "sha1"
		}),
		pr("acme/b", 4, func(p *PRState) { // evaluated at an older head
			p.LastActivityAt, p.LastEvaluatedAt, p.LastEvaluatedSHA = t0.Add(2*time.Minute), t0.Add(5*time.Minute), "sha0"
		}),
		pr("acme/b", 5, func(p *PRState) { p.State = PRClosed }),                      // closed
		pr("acme/b", 6, func(p *PRState) { p.Host, p.LastActivityAt = "gitlab", t0 }), // another host
	)
	tests := []struct {
		name  string
		limit int
		want  []int
	}{
		{"all stale PRs, least recently active first", 10, []int{3, 4, 1}},
		{"a page of them", 2, []int{3, 4}},
	}
	for _, tt := range tests {
		got, err := x.s.StalePRs(ctx, "github", tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var numbers []int
		for _, p := range got {
			numbers = append(numbers, p.Number)
		}
		if !slices.Equal(numbers, tt.want) {
			t.Errorf("%s: StalePRs = %v, want %v", tt.name, numbers, tt.want)
		}
	}
}

func testOpenPRsWithHead(t *testing.T, x *suite) {
	x.putPRs(t,
		pr("acme/a", 7, func(p *PRState) { p.HeadSHA = "shared" }),
		pr("acme/a", 3, func(p *PRState) { p.HeadSHA, p.BaseBranch = "shared", "develop" }),
		pr("acme/a", 4, func(p *PRState) { p.HeadSHA, p.State = "shared", PRClosed }),
		pr("acme/a", 5, func(p *PRState) { p.HeadSHA = "other" }),
		pr("acme/b", 6, func(p *PRState) { p.HeadSHA = "shared" }),
	)
	numbers := func(prs []PRState, err error) []int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, p := range prs {
			out = append(out, p.Number)
		}
		return out
	}
	if got, want := numbers(x.s.OpenPRsWithHead(ctx, "github", "acme/a", "shared")), []int{3, 7}; !slices.Equal(got, want) {
		t.Errorf("OpenPRsWithHead = %v, want %v", got, want)
	}
	if got, want := numbers(x.s.OpenPRsOf(ctx, "github", "acme/a")), []int{3, 5, 7}; !slices.Equal(got, want) {
		t.Errorf("OpenPRsOf = %v, want %v", got, want)
	}
}

func testCommandsOf(t *testing.T, x *suite) {
	t0 := x.clock.Now()
	for _, c := range []CommandRecord{
		{Host: "github", Repo: "acme/a", Number: 1, CommentID: 20, Index: 1, Actor: "bob", Name: "hold", At: t0.Add(time.Minute)},
		{Host: "github", Repo: "acme/a", Number: 1, CommentID: 20, Index: 0, Actor: "bob", Name: "approve", At: t0.Add(time.Minute)},
		{Host: "github", Repo: "acme/a", Number: 1, CommentID: 10, Index: 0, Actor: "alice", Name: "semver", Args: "minor", Accepted: true, Reason: "r", At: t0},
		{Host: "github", Repo: "acme/a", Number: 2, CommentID: 30, Actor: "carol", Name: "hold", At: t0},
		{Host: "gitlab", Repo: "acme/a", Number: 1, CommentID: 40, Actor: "dave", Name: "hold", At: t0},
	} {
		if _, err := x.s.RecordCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := x.s.CommandsOf(ctx, "github", "acme/a", 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got {
		names = append(names, fmt.Sprintf("%d/%d %s %s %s", c.CommentID, c.Index, c.Actor, c.Name, c.Args))
	}
	want := []string{"10/0 alice semver minor", "20/0 bob approve ", "20/1 bob hold "}
	if !slices.Equal(names, want) {
		t.Errorf("CommandsOf = %q, want %q", names, want)
	}
	if len(got) > 0 && (!got[0].At.Equal(t0) || !got[0].Accepted || got[0].Reason != "r") {
		t.Errorf("the first command reads back as %+v", got[0])
	}
}

func testHeads(t *testing.T, x *suite) {
	t0 := x.clock.Now()
	for _, h := range []Head{
		{SHA: "b", Content: "", Since: t0.Add(time.Minute)},
		{SHA: "a", Content: "c1", Since: t0},
		{SHA: "b", Content: "c2", Since: t0.Add(time.Hour)}, // fills the unknown content, keeps the time
		{SHA: "b", Content: "c3", Since: t0.Add(time.Hour)}, // never replaces a known content
		{SHA: "a", Content: "c1", Since: t0.Add(2 * time.Hour)},
	} {
		if err := x.s.RecordHead(ctx, "github", "acme/a", 1, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.s.RecordHead(ctx, "github", "acme/a", 2, Head{SHA: "z", Content: "c9", Since: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := x.s.Heads(ctx, "github", "acme/a", 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []Head{{SHA: "a", Content: "c1", Since: t0}, {SHA: "b", Content: "c2", Since: t0.Add(time.Minute)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Heads = %+v, want %+v", got, want)
	}
}

func testOpenPRsInto(t *testing.T, x *suite) {
	x.putPRs(t,
		pr("acme/a", 9, nil),
		pr("acme/a", 2, nil),
		pr("acme/a", 3, func(p *PRState) { p.BaseBranch = "release/1.x" }),
		pr("acme/a", 4, func(p *PRState) { p.State = PRClosed }),
		pr("acme/b", 5, nil),
	)
	got, err := x.s.OpenPRsInto(ctx, "github", "acme/a", "main")
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int
	for _, p := range got {
		numbers = append(numbers, p.Number)
	}
	if want := []int{2, 9}; !slices.Equal(numbers, want) {
		t.Errorf("OpenPRsInto = %v, want %v", numbers, want)
	}
	repos, err := x.s.KnownRepos(ctx, "github")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"acme/a", "acme/b"}; !slices.Equal(repos, want) {
		t.Errorf("KnownRepos = %v, want %v", repos, want)
	}
	if repos, err := x.s.KnownRepos(ctx, "gitlab"); err != nil || len(repos) != 0 {
		t.Errorf("KnownRepos(gitlab) = %v, %v; want none", repos, err)
	}
}

func testExportAudit(t *testing.T, x *suite) {
	// More events than one export page, appended out of time order, with
	// ties on At.
	t0 := x.clock.Now()
	kinds := []string{AuditEvaluation, AuditCommand, AuditRelease}
	var all []AuditEvent
	const n = exportPage*2 + 37
	for i := 0; i < n; i++ {
		e := AuditEvent{
			At:      t0.Add(time.Duration((i*7919)%600) * time.Second),
			Host:    "github",
			Repo:    []string{"acme/a", "acme/b"}[i%2],
			Number:  i,
			Kind:    kinds[i%3],
			Actor:   "alice",
			Subject: "sha" + strconv.Itoa(i),
			Outcome: "success",
			Detail:  []byte(`{"i":` + strconv.Itoa(i) + `}`),
		}
		id, err := x.s.AppendAudit(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		e.ID = id
		all = append(all, e)
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].At.Equal(all[j].At) {
			return all[i].At.Before(all[j].At)
		}
		return all[i].ID < all[j].ID
	})
	since := t0.Add(300 * time.Second)
	tests := []struct {
		name   string
		filter AuditFilter
		keep   func(AuditEvent) bool
	}{
		{"everything", AuditFilter{}, func(AuditEvent) bool { return true }},
		{"one repo", AuditFilter{Repo: "acme/b"}, func(e AuditEvent) bool { return e.Repo == "acme/b" }},
		{"since a time, inclusive", AuditFilter{Since: since}, func(e AuditEvent) bool { return !e.At.Before(since) }},
		{"some kinds", AuditFilter{Kinds: []string{AuditCommand, AuditRelease}}, func(e AuditEvent) bool { return e.Kind != AuditEvaluation }},
		{"all filters at once", AuditFilter{Repo: "acme/a", Since: since, Kinds: []string{AuditRelease}}, func(e AuditEvent) bool {
			return e.Repo == "acme/a" && !e.At.Before(since) && e.Kind == AuditRelease
		}},
		{"no match", AuditFilter{Repo: "acme/none"}, func(AuditEvent) bool { return false }},
	}
	for _, tt := range tests {
		var want []AuditEvent
		for _, e := range all {
			if tt.keep(e) {
				want = append(want, e)
			}
		}
		var got []AuditEvent
		if err := x.s.ExportAudit(ctx, tt.filter, func(e AuditEvent) error {
			got = append(got, e)
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: exported %d events, want %d (first difference at %d)", tt.name, len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []AuditEvent) int {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return i
		}
	}
	return min(len(a), len(b))
}

func testExportAuditStops(t *testing.T, x *suite) {
	for i := 0; i < 3; i++ {
		if _, err := x.s.AppendAudit(ctx, AuditEvent{Kind: AuditCommand, Repo: "acme/a"}); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("client went away")
	calls := 0
	err := x.s.ExportAudit(ctx, AuditFilter{}, func(AuditEvent) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("ExportAudit = %v after %d calls, want the callback's error after 1", err, calls)
	}
}

func testAuditAppendOnly(t *testing.T, x *suite) {
	id, err := x.s.AppendAudit(ctx, AuditEvent{Kind: AuditOverride, Repo: "acme/a", Actor: "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE audit_events SET actor = 'alice' WHERE id = $1`,
		`DELETE FROM audit_events WHERE id = $1`,
	} {
		if _, err := x.s.w.Exec(q, id); err == nil {
			t.Errorf("%s succeeded", q)
		}
	}
	if _, err := x.s.AppendAudit(ctx, AuditEvent{Repo: "acme/a"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AppendAudit without a kind = %v, want ErrInvalid", err)
	}
}

func testReopen(t *testing.T, x *suite) {
	x.accept(t, "1", job("k", "1"))
	if err := x.s.Close(); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, x.url, x.clock)
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations(x.b.name)
	if n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
	}
	if dup, err := s.Accept(ctx, delivery("1")); err != nil || !dup {
		t.Errorf("Accept after reopening = %v, %v; want a duplicate", dup, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testSchemaTooNew(t *testing.T, x *suite) {
	if _, err := x.s.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := x.s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := OpenWith(ctx, x.url, Options{Now: x.clock.Now})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	t.Logf("error: %v", err)
}

func testMigrateUp(t *testing.T, x *suite) {
	url := atFirstVersion(t, x)
	ms, err := loadMigrations(x.b.name)
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, url, x.clock)
	var versions []int
	rows, err := s.r.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		rows.Scan(&v)
		versions = append(versions, v)
	}
	rows.Close()
	if len(versions) != len(ms) || versions[len(versions)-1] != len(ms) {
		t.Errorf("versions after Open = %v, want 1..%d", versions, len(ms))
	}
}

func testClosed(t *testing.T, x *suite) {
	if err := x.s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := x.s.Accept(ctx, delivery("1")); !errors.Is(err, ErrClosed) {
		t.Errorf("Accept = %v, want ErrClosed", err)
	}
	if _, err := x.s.Claim(ctx, "w", time.Minute, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Claim = %v, want ErrClosed", err)
	}
	if err := x.s.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping = %v, want ErrClosed", err)
	}
}

func testForgetDelivery(t *testing.T, x *suite) {
	x.accept(t, "plain")
	if err := x.s.ForgetDelivery(ctx, "github", "plain"); err != nil {
		t.Fatal(err)
	}
	if dup, err := x.s.Accept(ctx, delivery("plain")); err != nil || dup {
		t.Fatalf("Accept after ForgetDelivery = %v, %v; want false, nil", dup, err)
	}
	x.accept(t, "queued", job("k", "1"))
	if err := x.s.ForgetDelivery(ctx, "github", "queued"); err != nil {
		t.Fatal(err)
	}
	if dup, err := x.s.Accept(ctx, delivery("queued")); err != nil || !dup {
		t.Fatalf("a delivery with jobs was forgotten: Accept = %v, %v", dup, err)
	}
}
