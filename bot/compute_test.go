package bot

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/store"
)

// gauge tracks how many goroutines are in a state at once, and the most.
type gauge struct {
	mu       sync.Mutex
	now, top int
}

func (g *gauge) enter() {
	g.mu.Lock()
	g.now++
	g.top = max(g.top, g.now)
	g.mu.Unlock()
}

func (g *gauge) leave() {
	g.mu.Lock()
	g.now--
	g.mu.Unlock()
}

func (g *gauge) most() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.top
}

// hostWaiter computes, waits on its "host" off the CPU, and computes again.
type hostWaiter struct {
	computing, waiting gauge
	done               chan string
}

func (h *hostWaiter) Kinds() []string { return []string{"test"} }

func (h *hostWaiter) Process(ctx context.Context, b store.Batch) error {
	h.compute(2 * time.Millisecond)
	resume := OffCPU(ctx)
	h.waiting.enter()
	time.Sleep(30 * time.Millisecond)
	h.waiting.leave()
	resume()
	h.compute(2 * time.Millisecond)
	h.done <- b.Key
	return nil
}

func (h *hostWaiter) compute(d time.Duration) {
	h.computing.enter()
	defer h.computing.leave()
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

func TestOneBatchComputesAtATimeWhileOthersWaitOnTheirHosts(t *testing.T) {
	s := openStore(t)
	h := &hostWaiter{done: make(chan string, 8)}
	w := &Workers{Queue: s, Processors: []Processor{h}, Concurrency: 8, Compute: 1, Poll: 10 * time.Millisecond, Logger: zerolog.Nop()}
	a := w.Acceptor(s)
	for i := range 8 {
		accept(t, a, fmt.Sprintf("d-%d", i), fmt.Sprintf("pr#%d", i), "x")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	for range 8 {
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			t.Fatal("the batches did not all finish")
		}
	}
	cancel()
	<-done
	if got := h.computing.most(); got != 1 {
		t.Errorf("%d batches computed at once, want at most Compute = 1", got)
	}
	if got := h.waiting.most(); got < 2 {
		t.Errorf("at most %d batch waited on its host at a time: a batch waiting on a host must give its slot to another", got)
	}
	if resume := OffCPU(context.Background()); resume == nil {
		t.Error("OffCPU outside a batch returned no resume function")
	} else {
		resume() // a no-op: nothing to give up or take back
	}
}

// lockstep's first batch keeps its slot while it waits for the second
// batch to compute: a compute slot must never become a lock.
type lockstep struct {
	second chan struct{}
	done   chan string
}

func (l *lockstep) Kinds() []string { return []string{"test"} }

func (l *lockstep) Process(ctx context.Context, b store.Batch) error {
	if b.Key == "first" {
		select {
		case <-l.second: // a row lock the other batch must release, say
		case <-time.After(5 * time.Second):
			return fmt.Errorf("the second batch never ran while the first held the slot")
		}
	} else {
		close(l.second)
	}
	l.done <- b.Key
	return nil
}

func TestABatchGoesOnWithoutASlotRatherThanDeadlock(t *testing.T) {
	s := openStore(t)
	l := &lockstep{second: make(chan struct{}), done: make(chan string, 2)}
	w := &Workers{Queue: s, Processors: []Processor{l}, Concurrency: 2, Compute: 1, Poll: 10 * time.Millisecond, Logger: zerolog.Nop()}
	a := w.Acceptor(s)
	accept(t, a, "d-1", "first", "x")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	time.Sleep(50 * time.Millisecond) // the first batch holds the slot
	began := time.Now()
	accept(t, a, "d-2", "second", "x")
	got := map[string]bool{}
	for range 2 {
		select {
		case k := <-l.done:
			got[k] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("deadlock: batches done %v", got)
		}
	}
	cancel()
	<-done
	if waited := time.Since(began); waited < maxSlotWait {
		t.Errorf("the second batch ran after %s, before the first gave its slot up or maxSlotWait (%s) passed", waited, maxSlotWait)
	}
}
