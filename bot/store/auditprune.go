package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// pruneChunk bounds the audit events one PruneAudit transaction deletes.
const pruneChunk = 500

// AuditArchive describes an archive of audit events, written and read
// back by the caller, whose events PruneAudit deletes from the store.
type AuditArchive struct {
	// Before is the time the archive was cut at: it holds events before it.
	Before time.Time
	// IDs are the IDs of exactly the events the archive holds, as read
	// back from it.
	IDs []int64
	// Name says where the archive is (a file name), and SHA256 is the hex
	// digest of its bytes: with them the prune's record proves which
	// archive holds the missing events.
	Name, SHA256 string
	// Actor is who pruned.
	Actor string
}

// PruneAudit deletes the archived events from the audit log and returns
// how many it deleted. The audit log is otherwise append-only (triggers
// refuse deletes): a row of audit_prunes naming the archive, its digest,
// the time cut and the ID range is written first, and the database lets
// only events before that time within that range go. Events are deleted
// by ID, a few hundred per transaction, so exactly the archived events go,
// whatever was appended meanwhile; an AuditPrune event then records the
// prune in the log itself. The gap in the log's IDs is explained by the
// audit_prunes row, which is never deleted.
func (s *Store) PruneAudit(ctx context.Context, a AuditArchive) (int64, error) {
	if err := s.closed(); err != nil {
		return 0, err
	}
	if len(a.IDs) == 0 || a.Before.IsZero() || a.Name == "" || a.SHA256 == "" || a.Actor == "" {
		return 0, fmt.Errorf("pruning the audit log: %w: the archive's time cut, event IDs, name, digest and actor are required", ErrInvalid)
	}
	ids := slices.Clone(a.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	now := s.now()
	_, err := s.exec(ctx, `INSERT INTO audit_prunes (pruned_at, before_at, first_id, through_id, events, archive, sha256, actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, micros(now), micros(a.Before), ids[0], ids[len(ids)-1], len(ids), a.Name, a.SHA256, a.Actor)
	if err != nil {
		return 0, fmt.Errorf("pruning the audit log: recording the prune: %w", err)
	}
	var deleted int64
	for start := 0; start < len(ids); start += pruneChunk {
		chunk := ids[start:min(start+pruneChunk, len(ids))]
		n, err := s.exec(ctx, `DELETE FROM audit_events WHERE at < $1 AND id IN (`+params(2, len(chunk))+`)`,
			append([]any{micros(a.Before)}, int64Args(chunk)...)...)
		if err != nil {
			return deleted, fmt.Errorf("pruning the audit log: %d of %d archived events deleted: %w", deleted, len(ids), err)
		}
		deleted += n
	}
	detail, _ := json.Marshal(map[string]any{"archive": a.Name, "sha256": a.SHA256, "before": a.Before.UTC().Format(time.RFC3339Nano),
		"first_id": ids[0], "through_id": ids[len(ids)-1], "archived": len(ids), "pruned": deleted})
	if _, err := s.AppendAudit(ctx, AuditEvent{At: now, Kind: AuditPrune, Actor: a.Actor, Subject: a.Name, Outcome: "pruned", Detail: detail}); err != nil {
		return deleted, fmt.Errorf("pruning the audit log: %w", err)
	}
	if deleted != int64(len(ids)) {
		return deleted, fmt.Errorf("pruning the audit log: %d of the %d archived events were in the store (the others were gone already, or not before %s)",
			deleted, len(ids), a.Before.Format(time.RFC3339))
	}
	return deleted, nil
}

// AuditPruneRecord is one prune of the audit log, as recorded.
type AuditPruneRecord struct {
	At, Before         time.Time
	FirstID, ThroughID int64
	Events             int64
	Archive, SHA256    string
	Actor              string
}

// AuditPrunes returns the record of every prune of the audit log, oldest
// first: the events missing from the log are in these archives.
func (s *Store) AuditPrunes(ctx context.Context) ([]AuditPruneRecord, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT pruned_at, before_at, first_id, through_id, events, archive, sha256, actor FROM audit_prunes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log's prunes: %w", err)
	}
	defer rows.Close()
	var out []AuditPruneRecord
	for rows.Next() {
		var r AuditPruneRecord
		var at, before int64
		if err := rows.Scan(&at, &before, &r.FirstID, &r.ThroughID, &r.Events, &r.Archive, &r.SHA256, &r.Actor); err != nil {
			return nil, fmt.Errorf("reading the audit log's prunes: %w", err)
		}
		r.At, r.Before = fromMicros(at), fromMicros(before)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the audit log's prunes: %w", err)
	}
	return out, nil
}
