package bot

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Batches and webhook handlers share the CPUs. An acknowledgement is what
// a host waits for (GitHub gives up after 10 s and never sends again); a
// verdict may come a moment later. So at most Workers.Compute batches
// compute at once — by default one fewer than the CPUs Go uses, leaving a
// CPU to the handlers — while up to Workers.Concurrency are in flight: a
// batch gives its compute slot up while it waits on a host (an HTTP round
// trip, a retry's sleep) and takes it back after, so waits still overlap.
//
// Measured on two CPUs at 1,000 deliveries/s with an instant fake GitHub:
// eight batches computing at once took both CPUs and left the handlers
// waiting behind them in Go's run queues (ack p99 7–10 ms); one at a time
// kept it under 5 ms, and processed more jobs, as fewer evaluations each
// took more of a key's jobs.

// maxSlotWait bounds one wait for a compute slot: a batch that waits on
// something the slot's holder needs (a row lock it holds across a host
// call) goes on without a slot after this long rather than deadlock. It is
// a priority, never a lock.
const maxSlotWait = 100 * time.Millisecond

// defaultCompute is one fewer than GOMAXPROCS, at least one.
func defaultCompute() int { return max(runtime.GOMAXPROCS(0)-1, 1) }

// batchCPU is one batch's hold on a compute slot. A batch's own goroutines
// (parallel fetches) share it: the slot is given up when the first of them
// starts to wait on a host and taken back when one returns.
type batchCPU struct {
	slots   chan struct{}
	mu      sync.Mutex
	held    bool
	waiting int
}

type batchCPUKey struct{}

// withCompute returns ctx carrying a batch's hold on slots.
func withCompute(ctx context.Context, slots chan struct{}) (context.Context, *batchCPU) {
	c := &batchCPU{slots: slots}
	return context.WithValue(ctx, batchCPUKey{}, c), c
}

// take waits for a slot, at most maxSlotWait, unless the batch holds one.
func (c *batchCPU) take(ctx context.Context) {
	c.mu.Lock()
	held := c.held
	c.mu.Unlock()
	if held {
		return
	}
	got := false
	select {
	case c.slots <- struct{}{}:
		got = true
	default:
		t := time.NewTimer(maxSlotWait)
		select {
		case c.slots <- struct{}{}:
			got = true
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	if !got {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held { // another of the batch's goroutines took one meanwhile
		<-c.slots
		return
	}
	c.held = true
}

// give returns the batch's slot, if it holds one.
func (c *batchCPU) give() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		c.held = false
		<-c.slots
	}
}

// OffCPU says that the batch running under ctx is about to wait on a host:
// its compute slot goes to another batch until resume is called. Outside a
// batch it does nothing. Host transports call it around each round trip.
func OffCPU(ctx context.Context) (resume func()) {
	c, ok := ctx.Value(batchCPUKey{}).(*batchCPU)
	if !ok {
		return func() {}
	}
	c.mu.Lock()
	c.waiting++
	first := c.waiting == 1
	c.mu.Unlock()
	if first {
		c.give()
	}
	return func() {
		c.mu.Lock()
		c.waiting--
		c.mu.Unlock()
		c.take(ctx)
	}
}
