package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// Merge-back states.
const (
	// MergeBackOpen: the hotfix is not in the target yet (its PR is open,
	// closed unmerged, or not opened yet).
	MergeBackOpen = "open"
	// MergeBackMerged: the merge-back PR was merged (or the target held
	// the hotfix's changes already).
	MergeBackMerged = "merged"
)

// MergeBack is a declared hotfix merged into a release branch, and the PR
// that takes it back into the main line.
type MergeBack struct {
	Host policies.Host
	Repo string
	// Hotfix is the hotfix PR, HotfixSHA its head commit, HotfixAuthor
	// its author; Branch the release branch it went into.
	Hotfix       int
	HotfixSHA    string
	HotfixAuthor string
	Branch       string
	// Target is hotfix.merge_back_to.
	Target string
	// Number and URL are the merge-back PR's (0 and "" before it opens).
	Number int
	URL    string
	// Conflicts lists the files the hotfix and the target both changed,
	// which the merge-back could not apply ("" for none).
	Conflicts string
	// HeadSHA is the commit Shipgate left on the merge-back's branch
	// before it opened the PR ("" before it made the branch, and for
	// merge-backs opened by versions that did not record it).
	HeadSHA   string
	State     string
	CreatedAt time.Time
	MergedAt  time.Time
}

const mergeBackColumns = `host, repo, hotfix, hotfix_sha, hotfix_author, branch, target, number, url, conflicts, state, created_at, merged_at, head_sha`

// TrackMergeBack records a hotfix to merge back, once per hotfix PR:
// created is false, and the first record kept, when it was recorded
// before (a redelivered merge).
func (s *Store) TrackMergeBack(ctx context.Context, m MergeBack) (created bool, err error) {
	if err := s.closed(); err != nil {
		return false, err
	}
	if m.Host == "" || m.Repo == "" || m.Hotfix <= 0 || m.Target == "" {
		return false, fmt.Errorf("tracking a merge-back: %w: host, repo, hotfix and target are required", ErrInvalid)
	}
	if m.State == "" {
		m.State = MergeBackOpen
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
	n, err := s.exec(ctx, `INSERT INTO merge_backs (`+mergeBackColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13)
ON CONFLICT (host, repo, hotfix) DO NOTHING`,
		m.Host, m.Repo, m.Hotfix, m.HotfixSHA, m.HotfixAuthor, m.Branch, m.Target, m.Number, m.URL, m.Conflicts, m.State, micros(m.CreatedAt), m.HeadSHA)
	if err != nil {
		return false, fmt.Errorf("tracking the merge-back of %s#%d: %w", m.Repo, m.Hotfix, err)
	}
	return n == 1, nil
}

// MadeMergeBack records the commit Shipgate left on a hotfix's
// merge-back branch and the files it left out, before the PR is opened.
func (s *Store) MadeMergeBack(ctx context.Context, host policies.Host, repo string, hotfix int, head, conflicts string) error {
	if err := s.closed(); err != nil {
		return err
	}
	_, err := s.exec(ctx, `UPDATE merge_backs SET head_sha = $1, conflicts = $2 WHERE host = $3 AND repo = $4 AND hotfix = $5`,
		head, conflicts, host, repo, hotfix)
	if err != nil {
		return fmt.Errorf("recording the merge-back branch of %s#%d: %w", repo, hotfix, err)
	}
	return nil
}

// OpenedMergeBack records the merge-back PR of a hotfix. Number 0 (and no
// URL) records it not opened: the hotfix's next event opens a new one.
func (s *Store) OpenedMergeBack(ctx context.Context, host policies.Host, repo string, hotfix, number int, url string) error {
	if err := s.closed(); err != nil {
		return err
	}
	_, err := s.exec(ctx, `UPDATE merge_backs SET number = $1, url = $2 WHERE host = $3 AND repo = $4 AND hotfix = $5`,
		number, url, host, repo, hotfix)
	if err != nil {
		return fmt.Errorf("recording the merge-back PR of %s#%d: %w", repo, hotfix, err)
	}
	return nil
}

// MergedBack marks the merge-back of a hotfix merged; the caller has
// seen its PR merged (or the target hold the hotfix's changes).
func (s *Store) MergedBack(ctx context.Context, host policies.Host, repo string, hotfix int, at time.Time) error {
	if err := s.closed(); err != nil {
		return err
	}
	_, err := s.exec(ctx, `UPDATE merge_backs SET state = $1, merged_at = $2 WHERE host = $3 AND repo = $4 AND hotfix = $5`,
		MergeBackMerged, micros(at), host, repo, hotfix)
	if err != nil {
		return fmt.Errorf("marking the merge-back of %s#%d merged: %w", repo, hotfix, err)
	}
	return nil
}

// SettleMergeBack marks a pending merge-back merged by an operator's
// word, for one that can never merge (the host refuses it for good, the
// hotfix reached the target another way), and records who did it and why
// in the audit trail, in the same transaction. ErrNotFound when the
// hotfix has no pending merge-back.
func (s *Store) SettleMergeBack(ctx context.Context, host policies.Host, repo string, hotfix int, actor, reason string) error {
	if err := s.closed(); err != nil {
		return err
	}
	if actor == "" || strings.TrimSpace(reason) == "" {
		return fmt.Errorf("settling the merge-back of %s: %w: who settles it and why are required", host.Ref(hotfix), ErrInvalid)
	}
	now := s.now()
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var number int
		err := tx.QueryRowContext(ctx, `UPDATE merge_backs SET state = $1, merged_at = $2
WHERE host = $3 AND repo = $4 AND hotfix = $5 AND state = $6 RETURNING number`,
			MergeBackMerged, micros(now), host, repo, hotfix, MergeBackOpen).Scan(&number)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %s has no merge-back pending (see shipgate hotfix status --all)", ErrNotFound, host.Ref(hotfix))
		}
		if err != nil {
			return err
		}
		detail, err := json.Marshal(map[string]any{"reason": reason, "merge_back": number})
		if err != nil {
			return err
		}
		_, err = appendAudit(ctx, tx, AuditEvent{At: now, Host: host, Repo: repo, Number: hotfix, Kind: AuditMergeBack,
			Actor: actor, Subject: host.Ref(hotfix), Outcome: "settled", Detail: detail})
		return err
	})
	if err != nil {
		return fmt.Errorf("settling the merge-back of %s%s: %w", repo, host.Ref(hotfix), err)
	}
	return nil
}

// MergeBackOf returns the merge-back whose PR is number; ErrNotFound when
// number is no merge-back PR.
func (s *Store) MergeBackOf(ctx context.Context, host policies.Host, repo string, number int) (MergeBack, error) {
	ms, err := s.queryMergeBacks(ctx, `WHERE host = $1 AND repo = $2 AND number = $3 AND number > 0`, host, repo, number)
	if err != nil {
		return MergeBack{}, err
	}
	if len(ms) == 0 {
		return MergeBack{}, fmt.Errorf("reading the merge-back PR %s#%d: %w", repo, number, ErrNotFound)
	}
	return ms[0], nil
}

// MergeBacks lists the merge-backs of repo (of every repository when repo
// is ""), only those not merged when pending, by repository and hotfix.
func (s *Store) MergeBacks(ctx context.Context, host policies.Host, repo string, pending bool) ([]MergeBack, error) {
	q, args := `WHERE 1 = 1`, []any{}
	if host != "" {
		args = append(args, host)
		q += fmt.Sprintf(` AND host = $%d`, len(args))
	}
	if repo != "" {
		args = append(args, repo)
		q += fmt.Sprintf(` AND repo = $%d`, len(args))
	}
	if pending {
		args = append(args, MergeBackOpen)
		q += fmt.Sprintf(` AND state = $%d`, len(args))
	}
	return s.queryMergeBacks(ctx, q, args...)
}

func (s *Store) queryMergeBacks(ctx context.Context, where string, args ...any) ([]MergeBack, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+mergeBackColumns+` FROM merge_backs `+where+` ORDER BY host, repo, hotfix`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading merge-backs: %w", err)
	}
	defer rows.Close()
	var out []MergeBack
	for rows.Next() {
		var m MergeBack
		var created int64
		var merged sql.NullInt64
		if err := rows.Scan(&m.Host, &m.Repo, &m.Hotfix, &m.HotfixSHA, &m.HotfixAuthor, &m.Branch, &m.Target, &m.Number, &m.URL, &m.Conflicts, &m.State, &created, &merged, &m.HeadSHA); err != nil {
			return nil, fmt.Errorf("reading merge-backs: %w", err)
		}
		m.CreatedAt = fromMicros(created)
		if merged.Valid {
			m.MergedAt = fromMicros(merged.Int64)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading merge-backs: %w", err)
	}
	return out, nil
}
