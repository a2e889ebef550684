package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// The tests of several workers on one database: fencing, heartbeats,
// takeovers and ticks. They run in the store suite, on both databases.
var replicaTests = []struct {
	name string
	run  func(t *testing.T, x *suite)
}{
	{"a stalled worker's extend, complete, retry and bury are refused after a takeover", testFencingAfterTakeover},
	{"a stalled worker cannot complete the jobs its successor queued behind it", testFencingKeepsNewJobs},
	{"an expired lease nobody took over still completes", testCompleteAfterExpiryWithoutTakeover},
	{"a silent worker's leases are released by another's heartbeat", testHeartbeatReleasesSilentWorker},
	{"a released worker that wakes up is fenced off", testReleasedWorkerFencedOff},
	{"registering takes back a dead predecessor's leases on SQLite only", testRegisterTakesBackOnSQLite},
	{"a retired worker's leases are released at once", testRetire},
	{"a periodic task runs once per period across workers", testClaimTick},
	{"concurrent replicas agree on one runner per tick", testClaimTickConcurrent},
	{"a lease whose write failed with its outcome unknown is released by the next claim", testOrphanedLeaseReleased},
}

// stall claims k's job for a, lets a's lease run out, and has b take it
// over; it returns both claims.
func stall(t *testing.T, x *suite) (a, b Batch) {
	t.Helper()
	x.accept(t, "1", job("k", "1"))
	got := x.claim(t, "a", 1)
	wantBatches(t, got, "k:1")
	x.clock.Advance(61 * time.Second) // a stalls past its one-minute lease
	taken := x.claim(t, "b", 1)
	wantBatches(t, taken, "k:1")
	if taken[0].TakenOver != 1 {
		t.Errorf("TakenOver = %d, want 1", taken[0].TakenOver)
	}
	if taken[0].Lease.Token == got[0].Lease.Token {
		t.Fatalf("the takeover kept the fencing token %d", got[0].Lease.Token)
	}
	return got[0], taken[0]
}

func testFencingAfterTakeover(t *testing.T, x *suite) {
	a, b := stall(t, x)
	id := a.Jobs[0].ID
	if err := x.s.Extend(ctx, a.Lease, a.IDs(), time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("stalled Extend = %v, want ErrLeaseLost", err)
	}
	if err := x.s.Complete(ctx, a.Lease, id); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("stalled Complete = %v, want ErrLeaseLost", err)
	}
	if err := x.s.Retry(ctx, a.Lease, id, errors.New("stalled"), time.Time{}); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("stalled Retry = %v, want ErrLeaseLost", err)
	}
	if err := x.s.Bury(ctx, a.Lease, id, errors.New("stalled")); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("stalled Bury = %v, want ErrLeaseLost", err)
	}
	// The refusals changed nothing: b still holds the job, and its own
	// failure is recorded.
	if st, err := x.s.Stats(ctx); err != nil || st.Leased != 1 || st.Dead != 0 {
		t.Fatalf("Stats() = %+v, %v; want the job still leased", st, err)
	}
	if err := x.s.Extend(ctx, b.Lease, b.IDs(), time.Minute); err != nil {
		t.Fatalf("successor's Extend: %v", err)
	}
	if err := x.s.Retry(ctx, b.Lease, id, errors.New("GitHub said 502"), x.clock.Now()); err != nil {
		t.Fatalf("successor's Retry: %v", err)
	}
	again := x.claim(t, "b", 1)
	wantBatches(t, again, "k:1")
	if j := again[0].Jobs[0]; j.Attempts != 2 || j.LastError != "GitHub said 502" {
		t.Errorf("after the successor's retry: attempts %d, last error %q; want 2 and its error", j.Attempts, j.LastError)
	}
	x.complete(t, again...)
}

func testFencingKeepsNewJobs(t *testing.T, x *suite) {
	a, b := stall(t, x)
	x.complete(t, b) // the successor finishes the job …
	x.accept(t, "2", job("k", "2"))
	c := x.claim(t, "b", 1) // … and holds the next one
	wantBatches(t, c, "k:2")
	// The stalled worker's late Complete names only its own job, which is
	// gone: nothing of the successor's is touched.
	if err := x.s.Complete(ctx, a.Lease, a.IDs()...); err != nil {
		t.Errorf("late Complete of a job already completed = %v, want nil", err)
	}
	if err := x.s.Complete(ctx, a.Lease, c[0].IDs()...); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Complete of another lease's job = %v, want ErrLeaseLost", err)
	}
	if st, err := x.s.Stats(ctx); err != nil || st.Leased != 1 {
		t.Fatalf("Stats() = %+v, %v; want the successor's job still leased", st, err)
	}
}

func testCompleteAfterExpiryWithoutTakeover(t *testing.T, x *suite) {
	x.accept(t, "1", job("k", "1"))
	got := x.claim(t, "a", 1)
	x.clock.Advance(2 * time.Minute)
	if err := x.s.Extend(ctx, got[0].Lease, got[0].IDs(), time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Extend of an expired lease = %v, want ErrLeaseLost", err)
	}
	x.complete(t, got...)
	wantBatches(t, x.claim(t, "b", 1))
}

func register(t *testing.T, x *suite, worker string) Replicas {
	t.Helper()
	r, err := x.s.Register(ctx, worker)
	if err != nil {
		t.Fatalf("Register(%s): %v", worker, err)
	}
	return r
}

func heartbeat(t *testing.T, x *suite, worker string) Replicas {
	t.Helper()
	r, err := x.s.Heartbeat(ctx, worker, 10*time.Second)
	if err != nil {
		t.Fatalf("Heartbeat(%s): %v", worker, err)
	}
	return r
}

func testHeartbeatReleasesSilentWorker(t *testing.T, x *suite) {
	register(t, x, "a")
	x.accept(t, "1", job("k", "1"), job("k", "2"))
	a := x.claim(t, "a", 1)
	x.clock.Advance(5 * time.Second)
	// b's first heartbeat registers it (on SQLite Register would take
	// a's leases at once: one process owns that database).
	if r := heartbeat(t, x, "b"); len(r.Released) != 0 || r.Live != 2 {
		t.Fatalf("heartbeat within the staleness = %+v; want 2 live, none released", r)
	}
	wantBatches(t, x.claim(t, "b", 1)) // a's lease has 55s left
	x.clock.Advance(6 * time.Second)   // a has been silent for 11s
	r := heartbeat(t, x, "b")
	if !slices.Equal(r.Released, []string{"a"}) || r.Jobs != 2 || r.Live != 1 {
		t.Fatalf("heartbeat after a went silent = %+v; want a's 2 jobs released, 1 live", r)
	}
	b := x.claim(t, "b", 1)
	wantBatches(t, b, "k:1,2")
	if b[0].TakenOver != 2 || b[0].Jobs[0].LastError != "lease of worker a expired" {
		t.Errorf("taken over: %d jobs, last error %q", b[0].TakenOver, b[0].Jobs[0].LastError)
	}
	if err := x.s.Complete(ctx, a[0].Lease, a[0].IDs()...); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Complete of the silent worker = %v, want ErrLeaseLost", err)
	}
	x.complete(t, b...)
}

func testReleasedWorkerFencedOff(t *testing.T, x *suite) {
	register(t, x, "a")
	x.accept(t, "1", job("k", "1"))
	a := x.claim(t, "a", 1)
	x.clock.Advance(11 * time.Second)
	// The other worker releases a's lease (on SQLite, as a restart does).
	if x.b.name == DialectSQLite {
		register(t, x, "b")
	} else {
		heartbeat(t, x, "b")
	}
	// Released and not yet claimed: a may not extend it.
	if err := x.s.Extend(ctx, a[0].Lease, a[0].IDs(), time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Extend of a released lease = %v, want ErrLeaseLost", err)
	}
	b := x.claim(t, "b", 1)
	wantBatches(t, b, "k:1")
	// a wakes up: its heartbeat registers it again, its writes are refused.
	if r := heartbeat(t, x, "a"); len(r.Released) != 0 {
		t.Errorf("a's heartbeat released %v", r.Released)
	}
	if err := x.s.Retry(ctx, a[0].Lease, a[0].Jobs[0].ID, errors.New("late"), time.Time{}); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Retry of the woken worker = %v, want ErrLeaseLost", err)
	}
	x.complete(t, b...)
}

func testRegisterTakesBackOnSQLite(t *testing.T, x *suite) {
	register(t, x, "old")
	x.accept(t, "1", job("k", "1"))
	wantBatches(t, x.claim(t, "old", 1), "k:1")
	r := register(t, x, "new") // "old" was SIGKILLed a moment ago
	if x.b.name == DialectSQLite {
		if !slices.Equal(r.Released, []string{"old"}) || r.Jobs != 1 {
			t.Fatalf("Register on SQLite = %+v; want old's job released", r)
		}
		wantBatches(t, x.claim(t, "new", 1), "k:1")
		return
	}
	// On PostgreSQL "old" is another replica, alive as far as anyone knows.
	if len(r.Released) != 0 {
		t.Fatalf("Register on PostgreSQL released %v", r.Released)
	}
	wantBatches(t, x.claim(t, "new", 1))
}

func testRetire(t *testing.T, x *suite) {
	register(t, x, "a")
	x.accept(t, "1", job("k", "1"))
	wantBatches(t, x.claim(t, "a", 1), "k:1")
	if err := x.s.Retire(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	wantBatches(t, x.claim(t, "b", 1), "k:1")
	if r := heartbeat(t, x, "b"); r.Live != 1 {
		t.Errorf("live workers after a retired = %d, want 1", r.Live)
	}
}

func claimTick(t *testing.T, x *suite, worker string) bool {
	t.Helper()
	ok, err := x.s.ClaimTick(ctx, "reconcile:github", worker, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func testClaimTick(t *testing.T, x *suite) {
	if claimTick(t, x, "a") || claimTick(t, x, "b") {
		t.Fatal("a task seen for the first time ran at once")
	}
	x.clock.Advance(time.Minute)
	if !claimTick(t, x, "b") {
		t.Fatal("no worker ran the due task")
	}
	if claimTick(t, x, "a") || claimTick(t, x, "b") {
		t.Fatal("the task ran twice in one period")
	}
	x.clock.Advance(59 * time.Second)
	if claimTick(t, x, "a") {
		t.Fatal("the task ran before its period was over")
	}
	x.clock.Advance(time.Second)
	if !claimTick(t, x, "a") {
		t.Fatal("the task did not run in its second period")
	}
}

func testClaimTickConcurrent(t *testing.T, x *suite) {
	claimTick(t, x, "seed")
	for period := range 5 {
		x.clock.Advance(time.Minute)
		var mu sync.Mutex
		var runners []string
		var wg sync.WaitGroup
		for _, w := range []string{"a", "b", "c", "d"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := x.s.ClaimTick(ctx, "reconcile:github", w, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					runners = append(runners, w)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(runners) != 1 {
			t.Fatalf("period %d ran on %v, want exactly one worker", period, runners)
		}
	}
}

func testOrphanedLeaseReleased(t *testing.T, x *suite) {
	x.accept(t, "1", job("k", "1"))
	got := x.claim(t, "a", 1)
	wantBatches(t, got, "k:1")
	// The completion fails (here its context is cancelled; in production
	// the connection breaks around the commit): whether it was saved is
	// unknown, and the live worker will not touch the job again.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := x.s.Complete(cancelled, got[0].Lease, got[0].IDs()...); err == nil {
		t.Fatal("Complete with a cancelled context succeeded")
	}
	// The next claim, of any worker, releases the lease at once rather
	// than when it would run out, and takes the job over.
	again := x.claim(t, "b", 1)
	wantBatches(t, again, "k:1")
	if again[0].TakenOver != 1 || again[0].Lease.Token == got[0].Lease.Token {
		t.Errorf("the job was not taken over under a new token: %+v", again[0])
	}
	if err := x.s.Complete(ctx, got[0].Lease, got[0].IDs()...); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("the orphaned lease's Complete = %v, want ErrLeaseLost", err)
	}
	x.complete(t, again...)
	// Releasing a lease that no longer holds anything changes nothing.
	x.s.orphan(errors.New("connection reset"), again[0].Lease)
	x.accept(t, "2", job("k", "2"))
	wantBatches(t, x.claim(t, "a", 1), "k:2")
}
