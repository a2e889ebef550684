package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNotHeld is FinishOnce's error when the holder no longer holds the
// claim (its lease passed and another try took it over).
var ErrNotHeld = errors.New("the once-only work is not held by this holder")

// ClaimOnce claims the once-only work named key for holder until lease
// has passed: claimed is true when the work is holder's to do now, false
// when it was done already or another holder's lease on it still runs.
// Call it before the effect, then FinishOnce after it (or ReleaseOnce when
// the effect failed and may be tried again). A holder that dies between
// its effect and FinishOnce leaves a claim that another try takes once the
// lease has passed: at least once, and exactly once unless a process dies
// in that gap.
func (s *Store) ClaimOnce(ctx context.Context, key, holder string, lease time.Duration) (claimed bool, err error) {
	if err := s.closed(); err != nil {
		return false, err
	}
	if key == "" || holder == "" || lease <= 0 {
		return false, fmt.Errorf("claiming once-only work: %w: key, holder and a positive lease are required", ErrInvalid)
	}
	now := s.now()
	n, err := s.exec(ctx, `INSERT INTO once_keys (key, holder, lease_until) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
WHERE once_keys.done_at IS NULL AND (once_keys.lease_until <= $4 OR once_keys.holder = excluded.holder)`,
		key, holder, micros(now.Add(lease)), micros(now))
	if err != nil {
		return false, fmt.Errorf("claiming once-only work %s: %w", key, err)
	}
	return n == 1, nil
}

// FinishOnce marks key done with a note (what the effect was, e.g. a
// message's timestamp); it is never claimed again. Only its holder
// finishes it: ErrNotHeld when another holder took the claim over.
func (s *Store) FinishOnce(ctx context.Context, key, holder, note string) error {
	if err := s.closed(); err != nil {
		return err
	}
	n, err := s.exec(ctx, `UPDATE once_keys SET done_at = $1, note = $2 WHERE key = $3 AND holder = $4 AND done_at IS NULL`,
		micros(s.now()), note, key, holder)
	if err != nil {
		return fmt.Errorf("finishing once-only work %s: %w", key, err)
	}
	if n == 0 {
		return fmt.Errorf("finishing once-only work %s as %s: %w", key, holder, ErrNotHeld)
	}
	return nil
}

// ReleaseOnce gives up holder's claim on key, which is not done, so that
// the next try may claim it at once (the effect failed and had none).
func (s *Store) ReleaseOnce(ctx context.Context, key, holder string) error {
	if err := s.closed(); err != nil {
		return err
	}
	if _, err := s.exec(ctx, `DELETE FROM once_keys WHERE key = $1 AND holder = $2 AND done_at IS NULL`, key, holder); err != nil {
		return fmt.Errorf("releasing once-only work %s: %w", key, err)
	}
	return nil
}

// OnceDone reports whether key is done, with its note.
func (s *Store) OnceDone(ctx context.Context, key string) (note string, done bool, err error) {
	if err := s.closed(); err != nil {
		return "", false, err
	}
	var at sql.NullInt64
	err = s.r.QueryRowContext(ctx, `SELECT done_at, note FROM once_keys WHERE key = $1`, key).Scan(&at, &note)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading once-only work %s: %w", key, err)
	}
	return note, at.Valid, nil
}

// DecideOnce records note as the decision named key, unless one was
// recorded before, and returns the decision that stands: the first. A
// retried piece of work then does what its first try decided (a release
// train cuts the version it chose, not the next one its own tag implies).
func (s *Store) DecideOnce(ctx context.Context, key, note string) (string, error) {
	if err := s.closed(); err != nil {
		return "", err
	}
	if key == "" {
		return "", fmt.Errorf("recording a decision: %w: key is required", ErrInvalid)
	}
	now := micros(s.now())
	if _, err := s.exec(ctx, `INSERT INTO once_keys (key, holder, lease_until, done_at, note) VALUES ($1, 'decision', 0, $2, $3)
ON CONFLICT (key) DO NOTHING`, key, now, note); err != nil {
		return "", fmt.Errorf("recording the decision %s: %w", key, err)
	}
	stored, done, err := s.OnceDone(ctx, key)
	if err != nil {
		return "", err
	}
	if !done {
		return "", fmt.Errorf("recording the decision %s: %w: the key is held as once-only work", key, ErrInvalid)
	}
	return stored, nil
}
