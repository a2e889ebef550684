package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// orphans are leases whose write failed with its outcome unknown: the
// connection broke around the commit (a database restart, a network cut),
// so the claim, completion or retry may have been saved or not. Their
// jobs may sit leased to a live worker that is not working on them, and
// that worker's heartbeat keeps them from being released: they would wait
// for their lease to run out (two minutes). The next Claim releases them
// instead; releasing a lease that was never saved changes nothing.
type orphans struct {
	mu     sync.Mutex
	leases []Lease
}

// orphan keeps leases for release when err may have left them saved.
func (s *Store) orphan(err error, leases ...Lease) {
	if err == nil || errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrNoJob) || errors.Is(err, ErrInvalid) || len(leases) == 0 {
		return
	}
	s.orphaned.mu.Lock()
	defer s.orphaned.mu.Unlock()
	s.orphaned.leases = append(s.orphaned.leases, leases...)
	if n := len(s.orphaned.leases); n > maxOrphans {
		// A long outage fails claim after claim: keep the newest; the
		// older leases run out by themselves.
		s.orphaned.leases = slices.Clone(s.orphaned.leases[n-maxOrphans:])
	}
}

// maxOrphans bounds the leases kept for release.
const maxOrphans = 1024

// releaseOrphans ends the leases orphan kept (their jobs become
// claimable; Claim counts the lost lease as an attempt). Those it cannot
// release yet stay for the next call.
func (s *Store) releaseOrphans(ctx context.Context) {
	s.orphaned.mu.Lock()
	leases := s.orphaned.leases
	s.orphaned.leases = nil
	s.orphaned.mu.Unlock()
	if len(leases) == 0 {
		return
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		for _, l := range leases {
			if err := releaseLease(ctx, tx, s.dialect, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.orphan(err, leases...)
	}
}

// releaseLease ends one lease, if it is still held, locking its keys
// first as every writer of them does.
func releaseLease(ctx context.Context, tx *sql.Tx, d dialect, l Lease) error {
	keys, err := names(ctx, tx, `SELECT ordering_key FROM queue_keys WHERE leased_by = $1 AND lease_token = $2`, l.Worker, l.Token)
	if err != nil {
		return err
	}
	if err := lockKeys(ctx, tx, d, keys); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET leased_until = 0 WHERE state = 'leased' AND leased_by = $1 AND lease_token = $2`, l.Worker, l.Token); err != nil {
		return fmt.Errorf("releasing the jobs of an orphaned lease: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE queue_keys SET leased_until = 0 WHERE leased_by = $1 AND lease_token = $2`, l.Worker, l.Token); err != nil {
		return fmt.Errorf("releasing the keys of an orphaned lease: %w", err)
	}
	return nil
}
