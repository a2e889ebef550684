package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// On SQLite the writer inserts a batch one row at a time, always with the
// same statement text, which the connection keeps prepared (see
// openCachingSQLite): SQLite runs in the process, so a row costs no round
// trip, while a multi-row INSERT has a new text for every batch size and
// was parsed again for each batch. PostgreSQL keeps the multi-row INSERTs:
// one round trip per batch.
const (
	insertDeliverySQL = `INSERT INTO deliveries (host, id, event, action, payload, received_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (host, id) DO NOTHING`
	insertJobSQL = `INSERT INTO jobs (kind, ordering_key, payload, delivery_host, delivery_id, max_attempts, run_at, created_at, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	// insertJobs's upsert, but for its no-op update: on PostgreSQL that
	// locks the key's row against a concurrent Complete; SQLite's one
	// writer needs no lock, and the update rewrote the key's pages (a
	// WAL frame each) in every delivery's commit.
	upsertKeySQL = `INSERT INTO queue_keys (ordering_key, ready_at)
VALUES ($1, $2)
ON CONFLICT (ordering_key) DO NOTHING`
)

// insertDeliveriesByRow is insertDeliveries one row at a time: a row
// affected is a new delivery, none a duplicate.
func insertDeliveriesByRow(ctx context.Context, tx *sql.Tx, batch []*acceptRequest, idx []int, now time.Time) (map[deliveryKey]bool, error) {
	inserted := make(map[deliveryKey]bool, len(idx))
	for _, i := range idx {
		d := batch[i].d
		at := d.ReceivedAt
		if at.IsZero() {
			at = now
		}
		res, err := tx.ExecContext(ctx, insertDeliverySQL, d.Host, d.ID, d.Event, d.Action, nonNil(d.Payload), micros(at))
		if err != nil {
			return nil, fmt.Errorf("inserting deliveries: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("inserting deliveries: %w", err)
		}
		if n > 0 {
			inserted[deliveryKey{d.Host, d.ID}] = true
		}
	}
	return inserted, nil
}

// insertJobsByRow is insertJobs one row at a time.
func insertJobsByRow(ctx context.Context, tx *sql.Tx, jobs []jobRow) error {
	for _, j := range jobs {
		if _, err := tx.ExecContext(ctx, insertJobSQL, j.kind, j.key, j.payload, j.deliveryHost, j.delivery, j.maxAttempts, j.runAt, j.createdAt, statePending); err != nil {
			return fmt.Errorf("queueing jobs: %w", err)
		}
	}
	keys, readyAt := keysToRegister(jobs)
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, upsertKeySQL, k, readyAt[k]); err != nil {
			return fmt.Errorf("registering ordering keys: %w", err)
		}
	}
	return nil
}
