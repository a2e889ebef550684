package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// DefaultRetention is how long stored request bodies are kept: long enough
// to look into a recent problem, and past the days within which hosts let
// people redeliver.
const DefaultRetention = 14 * 24 * time.Hour

// RetentionStore is what retention needs of the store.
type RetentionStore interface {
	// DropBodies drops the bodies of the deliveries received before
	// before, keeping their IDs and outcomes, and counts them by host.
	DropBodies(ctx context.Context, before time.Time) (map[string]int64, error)
	// ForgetProbes deletes the readiness probes last written before before.
	ForgetProbes(ctx context.Context, before time.Time) (int64, error)
}

// Retention drops what the store must not keep forever: the raw request
// bodies (webhook deliveries, Slack interactions) older than Keep, and the
// readiness probes of processes long gone. It keeps the rest: delivery
// IDs and outcomes, dead jobs, the audit log.
type Retention struct {
	Store RetentionStore
	// Keep is the retention period; it must be positive.
	Keep    time.Duration
	Metrics *Metrics
	Logger  zerolog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Sweep runs retention once. It logs and counts what it dropped, and
// returns the first error (the sweep stops there; the next one goes on).
func (r *Retention) Sweep(ctx context.Context) error {
	if r.Keep <= 0 {
		return fmt.Errorf("retention: the period must be positive, not %s", r.Keep)
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	cutoff := now().Add(-r.Keep)
	start := time.Now()
	dropped, err := r.Store.DropBodies(ctx, cutoff)
	var total int64
	for kind, n := range dropped {
		total += n
		if r.Metrics != nil {
			r.Metrics.RetentionDropped.WithLabelValues(kind).Add(float64(n))
		}
	}
	if err == nil {
		_, err = r.Store.ForgetProbes(ctx, cutoff)
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	if r.Metrics != nil {
		r.Metrics.RetentionRuns.WithLabelValues(outcome).Inc()
	}
	ev := r.Logger.Info()
	if err != nil {
		ev = r.Logger.Error().Err(err)
	}
	ev.Time("before", cutoff).Int64("bodies_dropped", total).Dur("took", time.Since(start)).Msg("retention")
	return err
}
