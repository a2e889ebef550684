package main

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
)

// ticker tells which replica runs a periodic task this period (the
// store's ClaimTick).
type ticker interface {
	ClaimTick(ctx context.Context, name, worker string, every time.Duration) (bool, error)
}

// onePerPeriod runs fn about every period, once per period across the
// replicas on the database: it asks the store's tick named name four times
// a period (so a period lasts at most 1¼ of every whichever replica's turn
// it is) and runs fn when the turn is worker's. The first run comes one
// period after the first replica started, so a restart loop does not run
// fn on every start. It returns when ctx is done.
func onePerPeriod(ctx context.Context, t ticker, name, worker string, every time.Duration, log zerolog.Logger, fn func(context.Context)) error {
	tick := time.NewTicker(max(every/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		mine, err := t.ClaimTick(ctx, name, worker, every)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn().Err(err).Str("task", name).Msg("asking whose turn it is")
			}
			continue
		}
		if mine {
			fn(ctx)
		}
	}
}

// retentionEvery is how often the retention sweep runs.
const retentionEvery = time.Hour

// sweepEvery runs retention once per retentionEvery across replicas.
func sweepEvery(ctx context.Context, r *bot.Retention, t ticker, worker string, log zerolog.Logger) error {
	return onePerPeriod(ctx, t, "retention", worker, retentionEvery, log, func(ctx context.Context) {
		_ = r.Sweep(ctx) // logged and counted by Sweep; the next period tries again
	})
}
