package store

import (
	"context"
	"time"
)

const (
	// checkpointEvery is how often, at most, SQLite's WAL is copied into
	// the database file while commits come.
	// Often, so that each copy and its fsync of the database file are
	// small: BenchmarkAcceptLatency at 1,000/s gave an ack p99 of 4.3 ms
	// (max 12–18 ms) every 250 ms, 2.6 ms every 50 ms and 1.4 ms (max
	// 3.6–4.4 ms) every 10 ms, and BenchmarkAccept's parallel rate rose
	// from 12,400 to 13,600/s: the writer's own checkpoint (below) finds
	// little left to copy.
	checkpointEvery = 10 * time.Millisecond
	// walRestartFrames is the size of WAL (in pages: 32 MiB of SQLite's
	// default 4 KiB pages) at which
	// the writer checkpoints after a commit (SQLite's wal_autocheckpoint).
	// The checkpoints of runCheckpoints never block the writer, and under
	// unbroken load they never catch up with it, so the WAL would grow
	// without end; the writer's own checkpoint, with no writer beside it,
	// does, copying only what was written since the last one, and the next
	// transaction starts the WAL over.
	walRestartFrames = 8192
	// checkpointTimeout bounds one checkpoint.
	checkpointTimeout = 30 * time.Second
)

// runCheckpoints checkpoints SQLite's WAL on its own connection until
// Close: after a commit, at most every checkpointEvery, and not at all
// while nothing is written (an idle server does not wake for it). That
// leaves the writer little to copy when it checkpoints (see
// walRestartFrames). Durability does not depend on it: a committed
// transaction is in the fsynced WAL, and readers see it there; a
// checkpoint only moves it into the database file so that the WAL can be
// reused.
func (s *Store) runCheckpoints() {
	defer close(s.ckptDone)
	for {
		select {
		case <-s.quit:
			return
		case <-s.ckptWake:
		}
		s.checkpoint()
		select {
		case <-s.quit:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// wakeCheckpointer tells runCheckpoints that a commit has written to the
// WAL; it never waits.
func (s *Store) wakeCheckpointer() {
	select {
	case s.ckptWake <- struct{}{}:
	default:
	}
}

// checkpoint copies what it can of the WAL into the database without
// waiting for the writer. A failed checkpoint leaves the frames in the
// WAL, durable and readable, for the next one.
func (s *Store) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), checkpointTimeout)
	defer cancel()
	_, _ = s.ckpt.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
}
