package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/shipgate/shipgate/bot/store/drivers" // the store opens SQLite and PostgreSQL

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/store"
)

// recorder is a Processor that records the batches it sees.
type recorder struct {
	mu      sync.Mutex
	batches [][]string // payloads per batch
	running map[string]bool
	overlap bool
	fail    func(b store.Batch) error
}

func (r *recorder) Kinds() []string { return []string{"test"} }

func (r *recorder) Process(ctx context.Context, b store.Batch) error {
	r.mu.Lock()
	if r.running[b.Key] {
		r.overlap = true
	}
	r.running[b.Key] = true
	var ps []string
	for _, j := range b.Jobs {
		ps = append(ps, string(j.Payload))
	}
	r.batches = append(r.batches, ps)
	r.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	r.mu.Lock()
	delete(r.running, b.Key)
	r.mu.Unlock()
	if r.fail != nil {
		return r.fail(b)
	}
	return nil
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "shipgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func accept(t *testing.T, a Acceptor, id, key string, payloads ...string) {
	t.Helper()
	var jobs []store.Job
	for _, p := range payloads {
		jobs = append(jobs, store.Job{Kind: "test", Key: key, Payload: []byte(p)})
	}
	if _, err := a.Accept(context.Background(), store.Delivery{Host: "test", ID: id, Event: "e", Payload: []byte("{}")}, jobs...); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWorkersProcessEveryJobOnceInOrderPerKey(t *testing.T) {
	s := openStore(t)
	rec := &recorder{running: map[string]bool{}}
	w := &Workers{Queue: s, Processors: []Processor{rec}, Concurrency: 4, Poll: 10 * time.Millisecond, Logger: zerolog.Nop()}
	a := w.Acceptor(s)
	// Queue a burst for one PR before the workers start: it is one batch.
	for i := 0; i < 5; i++ {
		accept(t, a, fmt.Sprintf("burst-%d", i), "pr#1", fmt.Sprintf("push-%d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	for i := 0; i < 40; i++ {
		accept(t, a, fmt.Sprintf("d-%d", i), fmt.Sprintf("pr#%d", i%4+2), fmt.Sprintf("k%d-%02d", i%4+2, i))
	}
	waitFor(t, "all jobs", func() bool {
		st, _ := s.Stats(context.Background())
		return st.Ready == 0 && st.Leased == 0
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.overlap {
		t.Error("two batches of one key ran at the same time")
	}
	var burst []string
	for _, b := range rec.batches {
		if b[0] == "push-0" {
			burst = b
		}
	}
	if len(burst) != 5 || burst[4] != "push-4" {
		t.Errorf("the burst was not one ordered batch: %v", rec.batches)
	}
	seen := map[string]bool{}
	last := map[byte]string{}
	for _, b := range rec.batches {
		for _, p := range b {
			if seen[p] {
				t.Errorf("job %s processed twice", p)
			}
			seen[p] = true
			if p[0] == 'k' {
				if prev := last[p[1]]; prev > p {
					t.Errorf("key %c: %s after %s", p[1], p, prev)
				}
				last[p[1]] = p
			}
		}
	}
	if len(seen) != 45 {
		t.Errorf("processed %d jobs, want 45", len(seen))
	}
}

func TestWorkersRetryFailuresAndSurvivePanics(t *testing.T) {
	s := openStore(t)
	var mu sync.Mutex
	tries := map[string]int{}
	rec := &recorder{running: map[string]bool{}, fail: func(b store.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		p := string(b.Jobs[0].Payload)
		tries[p]++
		switch {
		case p == "panics" && tries[p] == 1:
			panic("boom")
		case p == "flaky" && tries[p] < 3:
			return &RetryError{Err: errors.New("rate limited"), At: time.Now()}
		}
		return nil
	}}
	w := &Workers{Queue: s, Processors: []Processor{rec}, Poll: 10 * time.Millisecond, Logger: zerolog.Nop(),
		Now: func() time.Time { return time.Now().Add(-time.Hour) }} // backoff lands in the past: retries run at once
	a := w.Acceptor(s)
	accept(t, a, "1", "a", "panics")
	accept(t, a, "2", "b", "flaky")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	waitFor(t, "retries", func() bool {
		st, _ := s.Stats(context.Background())
		return st.Ready == 0 && st.Leased == 0
	})
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if tries["panics"] != 2 || tries["flaky"] != 3 {
		t.Errorf("tries = %v, want panics:2 flaky:3", tries)
	}
	if dead, _ := s.Dead(context.Background()); len(dead) != 0 {
		t.Errorf("dead jobs: %v", dead)
	}
}

func TestWorkersJobWithoutProcessorEndsDead(t *testing.T) {
	s := openStore(t)
	w := &Workers{Queue: s, Poll: 10 * time.Millisecond, Logger: zerolog.Nop()}
	a := w.Acceptor(s)
	if _, err := a.Accept(context.Background(), store.Delivery{Host: "test", ID: "x", Event: "e", Payload: []byte("{}")},
		store.Job{Kind: "unknown", Key: "k"}); err != nil { // a permanent error: dead on the first try
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	waitFor(t, "dead job", func() bool {
		dead, _ := s.Dead(context.Background())
		return len(dead) == 1
	})
	cancel()
	<-done
}
