package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// Audit event kinds. Kind is an open set: later features add their own.
const (
	AuditEvaluation = "evaluation"
	AuditCommand    = "command"
	AuditOverride   = "override"
	AuditRelease    = "release"
	AuditDeployment = "deployment"
	// AuditMergeGroup is a merge queue group judged as a whole.
	AuditMergeGroup = "merge_group"
	// AuditQueue is an operator's change to the job queue (a dead job
	// retried or purged).
	AuditQueue = "queue"
	// AuditPrune is the archiving and pruning of old audit events.
	AuditPrune = "audit_prune"
	// AuditMergeBack is a hotfix's merge-back settled by an operator.
	AuditMergeBack = "merge_back"
)

// exportPage is how many audit rows ExportAudit holds at a time.
const exportPage = 500

// AuditEvent is one entry of the append-only audit trail: who did what to
// which subject, when, and with what outcome.
type AuditEvent struct {
	// ID is assigned by AppendAudit.
	ID int64
	// At defaults to the store's clock.
	At time.Time
	// Host, Repo and Number name where it happened; Number is 0 when the
	// event is not about a PR (a release, a deployment).
	Host   policies.Host
	Repo   string
	Number int
	// Kind is one of the Audit* kinds, or a newer one.
	Kind string
	// Actor is who acted: a login, "slack:U…", or "shipgate" itself.
	Actor string
	// Subject is what the event is about: a SHA, a tag, an environment.
	Subject string
	// Outcome is the result: a conclusion, "accepted", "rejected", …
	Outcome string
	// Detail is JSON, stored as given.
	Detail []byte
	// DeliveryID is the delivery that caused the event, if any.
	DeliveryID string
}

// AuditFilter selects audit events for ExportAudit; zero fields select all.
type AuditFilter struct {
	// Repo keeps events of this repository ("owner/name").
	Repo string
	// Since keeps events at or after this time.
	Since time.Time
	// Kinds keeps events of these kinds.
	Kinds []string
	// Before keeps events before this time.
	Before time.Time
}

// AppendAudit appends an event to the audit log and returns its ID. The log
// has no update or delete, here or in the database (triggers refuse them).
func (s *Store) AppendAudit(ctx context.Context, e AuditEvent) (int64, error) {
	if err := s.closed(); err != nil {
		return 0, err
	}
	if e.Kind == "" {
		return 0, fmt.Errorf("appending audit event: %w: kind is required", ErrInvalid)
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	e.At = at
	var id int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = appendAudit(ctx, tx, e)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("appending %s audit event for %s: %w", e.Kind, e.Repo, err)
	}
	return id, nil
}

// appendAudit appends e in tx, for the writes that record their own audit
// event in their transaction: the event exists exactly when they happened.
func appendAudit(ctx context.Context, tx *sql.Tx, e AuditEvent) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO audit_events (at, host, repo, number, kind, actor, subject, outcome, detail, delivery_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id`,
		micros(e.At), e.Host, e.Repo, e.Number, e.Kind, e.Actor, e.Subject, e.Outcome, nonNil(e.Detail), e.DeliveryID).Scan(&id)
	return id, err
}

// ExportAudit calls fn for every audit event that matches f, in (At, ID)
// order, and stops at fn's first error, which it returns as is.
//
// It reads in pages of a few hundred rows by keyset (At, ID), so memory
// stays constant however large the export, and no transaction or
// connection is held while fn runs (fn may write to a slow client). Events
// appended during the export appear if they sort after the current page.
func (s *Store) ExportAudit(ctx context.Context, f AuditFilter, fn func(AuditEvent) error) error {
	if err := s.closed(); err != nil {
		return err
	}
	query := `SELECT id, at, host, repo, number, kind, actor, subject, outcome, detail, delivery_id FROM audit_events
WHERE (at, id) > ($1, $2)`
	// The cursor starts before every event, or just before Since (IDs are
	// positive).
	args := []any{int64(math.MinInt64), int64(0)}
	if !f.Since.IsZero() {
		args[0] = micros(f.Since)
	}
	if f.Repo != "" {
		args = append(args, f.Repo)
		query += fmt.Sprintf(" AND repo = $%d", len(args))
	}
	if !f.Before.IsZero() {
		args = append(args, micros(f.Before))
		query += fmt.Sprintf(" AND at < $%d", len(args))
	}
	if len(f.Kinds) > 0 {
		query += " AND kind IN (" + params(len(args)+1, len(f.Kinds)) + ")"
		for _, k := range f.Kinds {
			args = append(args, k)
		}
	}
	args = append(args, exportPage)
	query += fmt.Sprintf(" ORDER BY at, id LIMIT $%d", len(args))

	page := make([]AuditEvent, 0, exportPage)
	for {
		page = page[:0]
		if err := s.auditPage(ctx, query, args, &page); err != nil {
			return fmt.Errorf("exporting audit events: %w", err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
		last := page[len(page)-1]
		args[0], args[1] = micros(last.At), last.ID
	}
}

func (s *Store) auditPage(ctx context.Context, query string, args []any, page *[]AuditEvent) error {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Host, &e.Repo, &e.Number, &e.Kind, &e.Actor, &e.Subject, &e.Outcome, &e.Detail, &e.DeliveryID); err != nil {
			return err
		}
		e.At = fromMicros(at)
		*page = append(*page, e)
	}
	return rows.Err()
}
