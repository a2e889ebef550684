package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Several processes may drain one PostgreSQL queue. Each registers a
// worker under its own name and keeps a heartbeat; when a heartbeat stops,
// the next heartbeat of any other process releases the dead one's leases,
// so its work is claimed again within seconds instead of when the leases
// run out. The fencing tokens (Lease) make a release safe even when the
// "dead" process was only stalled: whatever it asks for later is refused.

// Replicas describes the registered workers after a heartbeat.
type Replicas struct {
	// Live counts the workers whose heartbeat is recent, this one included.
	Live int
	// Released names the workers whose heartbeat had stopped and whose
	// leases this heartbeat released.
	Released []string
	// Jobs counts the jobs whose leases were released.
	Jobs int
}

// Register records worker as started, with a heartbeat of now. On SQLite,
// which one process owns, every lease of any other worker is a dead
// predecessor's: they are released at once, so a restarted process takes
// back its work without waiting for the leases to run out. On PostgreSQL
// other workers are other replicas; Heartbeat finds the dead ones.
func (s *Store) Register(ctx context.Context, worker string) (Replicas, error) {
	if worker == "" {
		return Replicas{}, fmt.Errorf("registering a worker: %w: a name is required", ErrInvalid)
	}
	var out Replicas
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		now := micros(s.now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO workers (name, started_at, heartbeat_at) VALUES ($1, $2, $2)
ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, worker, now); err != nil {
			return fmt.Errorf("recording the worker: %w", err)
		}
		if s.dialect.name != DialectSQLite {
			return nil
		}
		others, err := leaseHolders(ctx, tx, worker)
		if err != nil {
			return err
		}
		out, err = release(ctx, tx, s.dialect, others)
		return err
	})
	if err != nil {
		return Replicas{}, fmt.Errorf("registering worker %s: %w", worker, err)
	}
	out.Live = 1
	return out, nil
}

// Heartbeat renews worker's heartbeat and releases the leases of every
// worker whose heartbeat is older than stale. Only registered workers are
// judged by their heartbeat; a lease taken without Register lasts its
// full term.
func (s *Store) Heartbeat(ctx context.Context, worker string, stale time.Duration) (Replicas, error) {
	if worker == "" || stale <= 0 {
		return Replicas{}, fmt.Errorf("heartbeat: %w: a worker name and a positive staleness are required", ErrInvalid)
	}
	var out Replicas
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		t := s.now()
		now, cutoff := micros(t), micros(t.Add(-stale))
		if _, err := tx.ExecContext(ctx, `INSERT INTO workers (name, started_at, heartbeat_at) VALUES ($1, $2, $2)
ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, worker, now); err != nil {
			return fmt.Errorf("recording the heartbeat: %w", err)
		}
		dead, err := names(ctx, tx, `SELECT name FROM workers WHERE heartbeat_at < $1 AND name <> $2 ORDER BY name`, cutoff, worker)
		if err != nil {
			return err
		}
		if out, err = release(ctx, tx, s.dialect, dead); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM workers`).Scan(&out.Live)
	})
	if err != nil {
		return Replicas{}, fmt.Errorf("heartbeat of worker %s: %w", worker, err)
	}
	return out, nil
}

// Retire removes worker at a clean shutdown and releases whatever it still
// holds, so that nothing waits for its heartbeat to go stale.
func (s *Store) Retire(ctx context.Context, worker string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := release(ctx, tx, s.dialect, []string{worker})
		return err
	})
	if err != nil {
		return fmt.Errorf("retiring worker %s: %w", worker, err)
	}
	return nil
}

// leaseHolders names the workers other than worker that hold a lease or
// are registered.
func leaseHolders(ctx context.Context, tx *sql.Tx, worker string) ([]string, error) {
	return names(ctx, tx, `SELECT leased_by FROM queue_keys WHERE leased_by IS NOT NULL AND leased_by <> $1
UNION SELECT name FROM workers WHERE name <> $1`, worker)
}

// release ends the leases of workers (their jobs become claimable, and
// Claim counts the lost lease as an attempt) and forgets the workers. The
// keys are locked first, in order, as every other writer of them does.
func release(ctx context.Context, tx *sql.Tx, d dialect, workers []string) (Replicas, error) {
	out := Replicas{Released: workers}
	if len(workers) == 0 {
		return out, nil
	}
	in, args := params(1, len(workers)), stringArgs(workers)
	keys, err := names(ctx, tx, `SELECT ordering_key FROM queue_keys WHERE leased_by IN (`+in+`)`, args...)
	if err != nil {
		return out, err
	}
	if err := lockKeys(ctx, tx, d, keys); err != nil {
		return out, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE jobs SET leased_until = 0 WHERE state = 'leased' AND leased_by IN (`+in+`)`, args...)
	if err != nil {
		return out, fmt.Errorf("releasing jobs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return out, err
	}
	out.Jobs = int(n)
	if _, err := tx.ExecContext(ctx, `UPDATE queue_keys SET leased_until = 0 WHERE leased_by IN (`+in+`)`, args...); err != nil {
		return out, fmt.Errorf("releasing keys: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM workers WHERE name IN (`+in+`)`, args...); err != nil {
		return out, fmt.Errorf("forgetting workers: %w", err)
	}
	return out, nil
}

// names runs a query of one text column.
func names(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ClaimTick reports whether worker is the one to run the periodic task
// name now: it is when the task's due time has passed, and the due time
// then moves every ahead in the same statement, so among replicas asking
// at once exactly one is told yes (the row's lock orders them). A task
// seen for the first time is due one period from now, so a restart loop
// does not run it on every start. Replicas should ask more often than
// every; a replica that dies mid-run leaves the task to the next period.
func (s *Store) ClaimTick(ctx context.Context, name, worker string, every time.Duration) (bool, error) {
	if name == "" || every <= 0 {
		return false, fmt.Errorf("claiming a tick: %w: a name and a positive period are required", ErrInvalid)
	}
	var mine bool
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		t := s.now()
		now, next := micros(t), micros(t.Add(every))
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticks (name, due_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, next); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE ticks SET due_at = $1, ran_by = $2 WHERE name = $3 AND due_at <= $4`, next, worker, name, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		mine = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claiming the tick of %s: %w", name, err)
	}
	return mine, nil
}
