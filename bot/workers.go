package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/store"
)

// Queue is the part of the store the workers use.
type Queue interface {
	Claim(ctx context.Context, worker string, lease time.Duration, maxKeys int) ([]store.Batch, error)
	Complete(ctx context.Context, ids ...int64) error
	Retry(ctx context.Context, id int64, err error, at time.Time) error
	Bury(ctx context.Context, id int64, err error) error
	Extend(ctx context.Context, ids []int64, lease time.Duration) error
	Stats(ctx context.Context) (store.Stats, error)
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
	// Name identifies this worker set in leases (default "shipgate").
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

	wake chan struct{}
	once sync.Once
}

func (w *Workers) init() {
	w.once.Do(func() {
		if w.Concurrency <= 0 {
			w.Concurrency = 8
		}
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
		if w.Name == "" {
			w.Name = "shipgate"
		}
		if w.Now == nil {
			w.Now = time.Now
		}
		w.wake = make(chan struct{}, 1)
	})
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
	w.observeQueue(ctx)
	for ctx.Err() == nil {
		free := w.Concurrency - len(slots)
		if free > 0 {
			batches, err := w.Queue.Claim(ctx, w.Name, w.Lease, free)
			if err != nil && ctx.Err() == nil {
				w.Logger.Error().Err(err).Msg("claiming jobs")
			}
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
	return nil
}

// runBatch processes one batch, grouping consecutive jobs by processor.
func (w *Workers) runBatch(ctx context.Context, byKind map[string]Processor, b store.Batch) {
	log := w.Logger.With().Str(FieldKey, b.Key).Logger()
	ctx, cancel := context.WithCancel(log.WithContext(ctx))
	defer cancel()
	stop := w.keepLease(ctx, cancel, b)
	defer stop()
	for start := 0; start < len(b.Jobs); {
		kind := b.Jobs[start].Kind
		end := start + 1
		for end < len(b.Jobs) && b.Jobs[end].Kind == kind {
			end++
		}
		part := store.Batch{Key: b.Key, Jobs: b.Jobs[start:end]}
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
		ids := make([]int64, len(b.Jobs))
		for i, j := range b.Jobs {
			ids[i] = j.ID
		}
		if cerr := w.Queue.Complete(ctx, ids...); cerr != nil {
			log.Error().Err(cerr).Msg("completing jobs")
		}
		return "ok"
	}
	outcome := "retry"
	permanent := errors.Is(err, ErrPermanent)
	for _, j := range b.Jobs {
		var rerr error
		switch {
		case permanent:
			outcome = "dead"
			rerr = w.Queue.Bury(ctx, j.ID, err)
		default:
			if j.Attempts+1 >= j.MaxAttempts {
				outcome = "dead"
			}
			rerr = w.Queue.Retry(ctx, j.ID, err, w.retryAt(j, err))
		}
		if rerr != nil {
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
	ids := make([]int64, len(b.Jobs))
	for i, j := range b.Jobs {
		ids[i] = j.ID
	}
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
				err := w.Queue.Extend(ctx, ids, w.Lease)
				if errors.Is(err, store.ErrLeaseLost) {
					zerolog.Ctx(ctx).Error().Err(err).Msg("lease lost: stopping the batch")
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
