package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/store"
)

// Queue is the part of the store the workers use.
type Queue interface {
	Claim(ctx context.Context, worker string, lease time.Duration, maxKeys int) ([]store.Batch, error)
	Complete(ctx context.Context, lease store.Lease, ids ...int64) error
	Retry(ctx context.Context, lease store.Lease, id int64, err error, at time.Time) error
	Bury(ctx context.Context, lease store.Lease, id int64, err error) error
	Extend(ctx context.Context, lease store.Lease, ids []int64, d time.Duration) error
	Stats(ctx context.Context) (store.Stats, error)
	Register(ctx context.Context, worker string) (store.Replicas, error)
	Heartbeat(ctx context.Context, worker string, stale time.Duration) (store.Replicas, error)
	Retire(ctx context.Context, worker string) error
}

// Workers drain the durable queue: they claim batches (all runnable jobs of
// one ordering key), hand each to the Processor of its kind, and complete
// or retry the jobs. At most Concurrency batches run at once, and never two
// of one key.
type Workers struct {
	Queue      Queue
	Processors []Processor
	// Concurrency bounds the batches in flight (default 8).
	Concurrency int
	// Compute bounds the batches computing at once, not waiting on a host
	// (default: one fewer than GOMAXPROCS, at least one; see compute.go).
	Compute int
	// Lease is how long a claim lasts before another worker may take it
	// over; it is extended while a batch runs (default 2m).
	Lease time.Duration
	// Poll is how often the queue is polled when nothing wakes the workers
	// (default 1s); Wake makes a new delivery start at once.
	Poll time.Duration
	// Grace is how long in-flight batches may finish after shutdown starts
	// (default 20s); then their contexts are cancelled and their jobs retried.
	Grace time.Duration
	// StatsEvery is how often the queue gauges are refreshed (default
	// 15s): Stats counts the whole queue, so not on every poll.
	StatsEvery time.Duration
	// HeartbeatEvery is how often this process tells the database it is
	// alive (default 2s); StaleAfter is how long a worker may stay silent
	// before its leases are released to the others (default 10s, at least
	// three heartbeats).
	HeartbeatEvery time.Duration
	StaleAfter     time.Duration
	// Name identifies this process's worker in leases and heartbeats; it
	// must differ between processes (default: host name, process ID and a
	// random suffix).
	Name string
	// Classify maps a host's errors onto the retry policy (a *RetryError
	// when the host said when to try again, a permanent error when no
	// retry can help), applied to every failed batch: each host's
	// adapter decides it in one place (its Classify), whichever processor
	// met the error.
	Classify []func(error) error
	Now      func() time.Time
	Logger   zerolog.Logger
	Metrics  *Metrics

	wake    chan struct{}
	compute chan struct{} // a slot per batch computing
	once    sync.Once
}

func (w *Workers) init() {
	w.once.Do(func() {
		if w.Concurrency <= 0 {
			w.Concurrency = 8
		}
		if w.Compute <= 0 {
			w.Compute = defaultCompute()
		}
		w.compute = make(chan struct{}, w.Compute)
		if w.Lease <= 0 {
			w.Lease = 2 * time.Minute
		}
		if w.Poll <= 0 {
			w.Poll = time.Second
		}
		if w.Grace <= 0 {
			w.Grace = 20 * time.Second
		}
		if w.StatsEvery <= 0 {
			w.StatsEvery = 15 * time.Second
		}
		if w.HeartbeatEvery <= 0 {
			w.HeartbeatEvery = 2 * time.Second
		}
		if w.StaleAfter <= 0 {
			w.StaleAfter = 10 * time.Second
		}
		w.StaleAfter = max(w.StaleAfter, 3*w.HeartbeatEvery)
		if w.Name == "" {
			w.Name = WorkerName()
		}
		if w.Now == nil {
			w.Now = time.Now
		}
		w.wake = make(chan struct{}, 1)
	})
}

// WorkerName names this process's worker: host, process ID and a random
// suffix, so that a restarted process (same host, maybe the same PID in a
// container) is never taken for its predecessor.
func WorkerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "shipgate"
	}
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(rand.Uint64()&0xffffff, 16)
}

// Wake tells the workers that new jobs are queued.
func (w *Workers) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Acceptor wraps a store's Accept so that every accepted delivery wakes the
// workers.
func (w *Workers) Acceptor(a Acceptor) Acceptor { return wakingAcceptor{a, w} }

type wakingAcceptor struct {
	Acceptor
	w *Workers
}

func (a wakingAcceptor) Accept(ctx context.Context, d store.Delivery, jobs ...store.Job) (bool, error) {
	dup, err := a.Acceptor.Accept(ctx, d, jobs...)
	if err == nil && !dup && len(jobs) > 0 {
		a.w.Wake()
	}
	return dup, err
}

// Run processes jobs until ctx is done, then lets in-flight batches finish
// within Grace.
func (w *Workers) Run(ctx context.Context) error {
	w.init()
	byKind := map[string]Processor{}
	for _, p := range w.Processors {
		for _, k := range p.Kinds() {
			byKind[k] = p
		}
	}
	// Batches run under their own context so that shutdown can give them
	// Grace before cancelling.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	slots := make(chan struct{}, w.Concurrency)
	var wg sync.WaitGroup
	ticker := time.NewTicker(w.Poll)
	defer ticker.Stop()
	stats := time.NewTicker(w.StatsEvery)
	defer stats.Stop()
	w.register(ctx)
	stopHeartbeat := w.heartbeat(ctx)
	defer stopHeartbeat()
	w.observeQueue(ctx)
	for ctx.Err() == nil {
		free := w.Concurrency - len(slots)
		if free > 0 {
			batches, err := w.Queue.Claim(ctx, w.Name, w.Lease, free)
			if err != nil && ctx.Err() == nil {
				w.Logger.Error().Err(err).Msg("claiming jobs")
			}
			w.countTakeovers(batches)
			for _, b := range batches {
				slots <- struct{}{}
				wg.Add(1)
				go func(b store.Batch) {
					defer func() { <-slots; wg.Done(); w.Wake() }()
					w.runBatch(runCtx, byKind, b)
				}(b)
			}
			if len(batches) == free {
				continue // there may be more ready work
			}
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-ticker.C:
		case <-stats.C:
			w.observeQueue(ctx)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.Grace):
		w.Logger.Warn().Dur("grace", w.Grace).Msg("shutdown: cancelling batches still running; their jobs will be retried")
		cancelRuns()
		<-done
	}
	stopHeartbeat()
	if err := w.Queue.Retire(context.WithoutCancel(ctx), w.Name); err != nil {
		w.Logger.Warn().Err(err).Msg("retiring the worker: the others take its place when its heartbeat goes stale")
	}
	return nil
}

// register records the worker; on SQLite that takes back the leases a
// killed predecessor held. A failure is logged: the heartbeat registers
// the worker as soon as the database answers.
func (w *Workers) register(ctx context.Context) {
	r, err := w.Queue.Register(ctx, w.Name)
	if err != nil {
		w.Logger.Error().Err(err).Msg("registering the worker")
		return
	}
	w.Logger.Info().Str("worker", w.Name).Msg("worker registered")
	w.released(r)
}

// heartbeat keeps the worker's heartbeat until stop is called, releasing
// the leases of workers whose heartbeat stopped.
func (w *Workers) heartbeat(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(w.HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			r, err := w.Queue.Heartbeat(ctx, w.Name, w.StaleAfter)
			if err != nil {
				if ctx.Err() == nil {
					w.Logger.Warn().Err(err).Msg("heartbeat")
					w.count(func(m *Metrics) { m.Heartbeats.WithLabelValues("error").Inc() })
				}
				continue
			}
			w.count(func(m *Metrics) { m.Heartbeats.WithLabelValues("ok").Inc(); m.Replicas.Set(float64(r.Live)) })
			w.released(r)
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}

// released logs and counts leases released from silent workers, and wakes
// the workers to claim them.
func (w *Workers) released(r store.Replicas) {
	if len(r.Released) == 0 {
		return
	}
	w.Logger.Warn().Strs("workers", r.Released).Int("jobs", r.Jobs).Msg("released the leases of workers that stopped")
	w.count(func(m *Metrics) { m.LeasesReleased.Add(float64(r.Jobs)) })
	if r.Jobs > 0 {
		w.Wake()
	}
}

// countTakeovers counts the claimed jobs another worker had held.
func (w *Workers) countTakeovers(batches []store.Batch) {
	for _, b := range batches {
		if b.TakenOver > 0 {
			w.Logger.Info().Str(FieldKey, b.Key).Int("jobs", b.TakenOver).Msg("took over jobs whose lease had ended")
			w.count(func(m *Metrics) { m.LeaseTakeovers.Add(float64(b.TakenOver)) })
		}
	}
}

// count updates metrics when there are any.
func (w *Workers) count(fn func(*Metrics)) {
	if w.Metrics != nil {
		fn(w.Metrics)
	}
}

// refused logs and counts a change the store fenced off.
func (w *Workers) refused(ctx context.Context, op string, err error) {
	zerolog.Ctx(ctx).Warn().Err(err).Str("op", op).Msg("another worker holds the jobs now: this worker's change was refused")
	w.count(func(m *Metrics) { m.FencingRefusals.WithLabelValues(op).Inc() })
}

// runBatch processes one batch, grouping consecutive jobs by processor.
func (w *Workers) runBatch(ctx context.Context, byKind map[string]Processor, b store.Batch) {
	log := w.Logger.With().Str(FieldKey, b.Key).Logger()
	ctx, cancel := context.WithCancel(log.WithContext(ctx))
	defer cancel()
	ctx, cpu := withCompute(ctx, w.compute)
	cpu.take(ctx)
	defer cpu.give()
	stop := w.keepLease(ctx, cancel, b)
	defer stop()
	for start := 0; start < len(b.Jobs); {
		kind := b.Jobs[start].Kind
		end := start + 1
		for end < len(b.Jobs) && b.Jobs[end].Kind == kind {
			end++
		}
		part := store.Batch{Key: b.Key, Jobs: b.Jobs[start:end], Lease: b.Lease}
		began := w.Now()
		err := w.process(ctx, byKind[kind], part)
		outcome := w.settle(ctx, part, err)
		if w.Metrics != nil {
			w.Metrics.JobSeconds.WithLabelValues(kind, outcome).Observe(w.Now().Sub(began).Seconds())
		}
		start = end
	}
}

// process calls the processor, turning a panic into an error so one bad
// job cannot take the server down.
func (w *Workers) process(ctx context.Context, p Processor, b store.Batch) (err error) {
	if p == nil {
		return Permanent(fmt.Errorf("no processor for job kind %q", b.Jobs[0].Kind))
	}
	defer func() {
		if r := recover(); r != nil {
			zerolog.Ctx(ctx).Error().Interface("panic", r).Bytes("stack", debug.Stack()).Msg("job panicked")
			err = fmt.Errorf("job panicked: %v", r)
		}
	}()
	return p.Process(ctx, b)
}

// settle completes or reschedules a processed batch and names the outcome.
func (w *Workers) settle(ctx context.Context, b store.Batch, err error) string {
	ctx = context.WithoutCancel(ctx) // record the outcome even during shutdown
	for _, classify := range w.Classify {
		if err != nil {
			err = classify(err)
		}
	}
	log := zerolog.Ctx(ctx)
	if err == nil {
		switch cerr := w.Queue.Complete(ctx, b.Lease, b.IDs()...); {
		case errors.Is(cerr, store.ErrLeaseLost):
			w.refused(ctx, "complete", cerr)
			return "fenced"
		case cerr != nil:
			log.Error().Err(cerr).Msg("completing jobs")
		}
		return "ok"
	}
	outcome := "retry"
	permanent := errors.Is(err, ErrPermanent)
	for _, j := range b.Jobs {
		var rerr error
		op := "retry"
		switch {
		case permanent:
			outcome, op = "dead", "bury"
			rerr = w.Queue.Bury(ctx, b.Lease, j.ID, err)
		default:
			if j.Attempts+1 >= j.MaxAttempts {
				outcome = "dead"
			}
			rerr = w.Queue.Retry(ctx, b.Lease, j.ID, err, w.retryAt(j, err))
		}
		switch {
		case errors.Is(rerr, store.ErrLeaseLost):
			w.refused(ctx, op, rerr)
			outcome = "fenced"
		case rerr != nil:
			log.Error().Err(rerr).Int64(FieldJob, j.ID).Msg("rescheduling job")
		}
	}
	log.Warn().Err(err).Str("outcome", outcome).Int("attempt", b.Jobs[0].Attempts+1).Msg("job failed")
	return outcome
}

// retryAt is when a failed job runs again: never before a host's stated
// reset, else exponential backoff (2s, 4s, … up to 10m) with jitter.
func (w *Workers) retryAt(j store.Job, err error) time.Time {
	now := w.Now()
	backoff := 2 * time.Second << min(j.Attempts, 9)
	backoff = min(backoff, 10*time.Minute)
	backoff += time.Duration(rand.Int64N(int64(backoff/4) + 1))
	at := now.Add(backoff)
	var re *RetryError
	if errors.As(err, &re) && re.At.After(at) {
		at = re.At
	}
	return at
}

// keepLease extends the batch's lease while it runs; if the lease is lost
// (another worker may now hold the key) it cancels the batch.
func (w *Workers) keepLease(ctx context.Context, cancelBatch context.CancelFunc, b store.Batch) (stop func()) {
	ids := b.IDs()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(w.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				err := w.Queue.Extend(ctx, b.Lease, ids, w.Lease)
				if errors.Is(err, store.ErrLeaseLost) {
					w.refused(ctx, "extend", err)
					cancelBatch()
					return
				}
				if err != nil && ctx.Err() == nil {
					zerolog.Ctx(ctx).Warn().Err(err).Msg("extending lease")
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// observeQueue updates the queue gauges.
func (w *Workers) observeQueue(ctx context.Context) {
	if w.Metrics == nil {
		return
	}
	st, err := w.Queue.Stats(ctx)
	if err != nil {
		return
	}
	w.Metrics.QueueJobs.WithLabelValues("ready").Set(float64(st.Ready))
	w.Metrics.QueueJobs.WithLabelValues("leased").Set(float64(st.Leased))
	w.Metrics.QueueJobs.WithLabelValues("dead").Set(float64(st.Dead))
	w.Metrics.QueueOldestSeconds.Set(st.OldestReadyAge.Seconds())
}

// LastAttempt reports whether a job of the batch has no try left after
// this one: a processor then reports the failure where people see it
// before it returns the error.
func LastAttempt(jobs []store.Job) bool {
	for _, j := range jobs {
		if j.MaxAttempts > 0 && j.Attempts+1 >= j.MaxAttempts {
			return true
		}
	}
	return false
}
