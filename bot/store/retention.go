package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// retentionChunk bounds the deliveries one DropBodies transaction changes,
// so that a sweep never holds the write lock (SQLite's, or the rows'
// locks on PostgreSQL) for long, however much is due.
const retentionChunk = 500

// Delivery outcomes, recorded when a delivery's body is dropped: what had
// become of the jobs it queued by then.
const (
	// OutcomeProcessed: no job of the delivery is left; every job it
	// queued completed, or it queued none.
	OutcomeProcessed = "processed"
	// OutcomeQueued: some of its jobs were still waiting or running.
	OutcomeQueued = "queued"
	// OutcomeDead: some of its jobs had died (see Dead).
	OutcomeDead = "dead"
)

// DeliveryRecord is what the store keeps of a delivery.
type DeliveryRecord struct {
	Delivery
	// BodyDroppedAt is when retention dropped the Payload (then empty);
	// zero while it is kept.
	BodyDroppedAt time.Time
	// Outcome is one of the Outcome* values once the body is dropped, ""
	// before.
	Outcome string
}

// GetDelivery reads what is kept of a delivery; ErrNotFound when there is
// no record of it.
func (s *Store) GetDelivery(ctx context.Context, host, id string) (DeliveryRecord, error) {
	if err := s.closed(); err != nil {
		return DeliveryRecord{}, err
	}
	r := DeliveryRecord{Delivery: Delivery{Host: host, ID: id}}
	var received int64
	var dropped sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT event, action, payload, received_at, body_dropped_at, outcome FROM deliveries WHERE host = $1 AND id = $2`, host, id).
		Scan(&r.Event, &r.Action, &r.Payload, &received, &dropped, &r.Outcome)
	if errors.Is(err, sql.ErrNoRows) {
		return DeliveryRecord{}, fmt.Errorf("reading %s delivery %s: %w", host, id, ErrNotFound)
	}
	if err != nil {
		return DeliveryRecord{}, fmt.Errorf("reading %s delivery %s: %w", host, id, err)
	}
	r.ReceivedAt, r.BodyDroppedAt = fromMicros(received), fromNullMicros(dropped)
	return r, nil
}

// DropBodies drops the bodies (payloads) of the deliveries received before
// before, and returns how many it dropped per delivery host ("github",
// "gitlab", "slack", "shipgate"). A delivery's host, ID, event, action and
// time stay, with its Outcome: a redelivery is still a duplicate, and the
// audit log's delivery IDs still name a delivery. Jobs keep their own
// payloads, so no queued or dead job loses anything.
//
// It works in transactions of a few hundred deliveries, oldest first, so
// that deliveries keep being accepted between them; an error stops it,
// with the chunks before committed.
func (s *Store) DropBodies(ctx context.Context, before time.Time) (map[string]int64, error) {
	dropped := map[string]int64{}
	for {
		// fn may run twice (the group commit retries a failed batch one
		// write at a time): it counts afresh each time.
		var chunk map[string]int64
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			chunk = map[string]int64{}
			rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET payload = $1, body_dropped_at = $2,
    outcome = CASE
        WHEN EXISTS (SELECT 1 FROM jobs WHERE jobs.delivery_id = deliveries.id AND jobs.delivery_host = deliveries.host AND jobs.state = 'dead') THEN $3
        WHEN EXISTS (SELECT 1 FROM jobs WHERE jobs.delivery_id = deliveries.id AND jobs.delivery_host = deliveries.host) THEN $4
        ELSE $5 END
WHERE (host, id) IN (SELECT host, id FROM deliveries WHERE body_dropped_at IS NULL AND received_at < $6 ORDER BY received_at LIMIT $7)
RETURNING host`, []byte{}, micros(s.now()), OutcomeDead, OutcomeQueued, OutcomeProcessed, micros(before), retentionChunk)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var host string
				if err := rows.Scan(&host); err != nil {
					return err
				}
				chunk[host]++
			}
			return rows.Err()
		})
		if err != nil {
			return dropped, fmt.Errorf("dropping the bodies of deliveries received before %s: %w", before.Format(time.RFC3339), err)
		}
		n := int64(0)
		for h, c := range chunk {
			dropped[h] += c
			n += c
		}
		if n < retentionChunk || ctx.Err() != nil {
			return dropped, ctx.Err()
		}
	}
}

// ForgetProbes deletes the readiness probes (see Probe) of processes that
// last wrote one before before: every process writes its own, and a
// restarted process is a new one.
func (s *Store) ForgetProbes(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.exec(ctx, `DELETE FROM probes WHERE at < $1`, micros(before))
	if err != nil {
		return 0, fmt.Errorf("forgetting readiness probes older than %s: %w", before.Format(time.RFC3339), err)
	}
	return n, nil
}
