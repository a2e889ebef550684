package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// CommandRecord is one comment command as Shipgate decided it.
type CommandRecord struct {
	// Host, Repo and Number name the PR; Repo is "owner/name" (GitLab: the
	// project path, which may contain more slashes).
	Host   policies.Host
	Repo   string
	Number int
	// CommentID is the host's ID of the comment (GitLab: the note ID).
	CommentID int64
	// Index is the command's position among the comment's commands, from 0.
	Index int
	// Actor is the login of the comment's author.
	Actor string
	// Name is the command without its slash ("approve"); Args the rest of
	// its line, as policies.Command has them.
	Name string
	Args string
	// Accepted tells whether the command took effect; Reason says why not
	// (or how it did).
	Accepted bool
	Reason   string
	// At defaults to the store's clock.
	At time.Time
}

// RecordCommand records a command once per (Host, Repo, CommentID, Index).
// inserted is false, and the first record is kept, when the command was
// recorded before: an edited or redelivered comment then repeats nothing.
// Call it before acting on the command, and act only when inserted.
func (s *Store) RecordCommand(ctx context.Context, c CommandRecord) (inserted bool, err error) {
	if err := s.closed(); err != nil {
		return false, err
	}
	if c.Host == "" || c.Repo == "" || c.Name == "" {
		return false, fmt.Errorf("recording command: %w: host, repo and name are required", ErrInvalid)
	}
	at := c.At
	if at.IsZero() {
		at = s.now()
	}
	n, err := s.exec(ctx, `INSERT INTO commands (host, repo, number, comment_id, idx, actor, name, args, accepted, reason, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (host, repo, comment_id, idx) DO NOTHING`,
		c.Host, c.Repo, c.Number, c.CommentID, c.Index, c.Actor, c.Name, c.Args, c.Accepted, c.Reason, micros(at))
	if err != nil {
		return false, fmt.Errorf("recording command %d of comment %d on %s#%d: %w", c.Index, c.CommentID, c.Repo, c.Number, err)
	}
	return n == 1, nil
}

// Evaluation is one evaluation of a change under a policy.
type Evaluation struct {
	// Host, Repo and Number name the PR.
	Host   policies.Host
	Repo   string
	Number int
	// HeadSHA is the commit the verdict is about.
	HeadSHA string
	// PolicyRevision identifies the policy used (the blob SHA of
	// .shipgate.yml on the base branch).
	PolicyRevision string
	// InputsDigest summarises every input of the evaluation, so that an
	// evaluation whose inputs did not change can be recognised.
	InputsDigest string
	// Conclusion is the verdict's overall outcome: success, failure, pending.
	Conclusion string
	// Verdict is the verdict as JSON, stored as given.
	Verdict []byte
	// At defaults to the store's clock.
	At time.Time
}

// SaveEvaluation appends an evaluation and returns its ID. Evaluations are
// history: nothing is replaced.
func (s *Store) SaveEvaluation(ctx context.Context, e Evaluation) (int64, error) {
	if err := s.closed(); err != nil {
		return 0, err
	}
	if e.Host == "" || e.Repo == "" {
		return 0, fmt.Errorf("saving evaluation: %w: host and repo are required", ErrInvalid)
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	var id int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO evaluations (host, repo, number, head_sha, policy_revision, inputs_digest, conclusion, verdict, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id`,
			e.Host, e.Repo, e.Number, e.HeadSHA, e.PolicyRevision, e.InputsDigest, e.Conclusion, nonNil(e.Verdict), micros(at)).Scan(&id)
		if err != nil {
			return err
		}
		// The dashboard's counts read the latest conclusion off the PR.
		_, err = tx.ExecContext(ctx, `UPDATE prs SET last_conclusion = $1 WHERE host = $2 AND repo = $3 AND number = $4`,
			e.Conclusion, e.Host, e.Repo, e.Number)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("saving evaluation of %s#%d at %s: %w", e.Repo, e.Number, e.HeadSHA, err)
	}
	return id, nil
}

// PR states.
const (
	PROpen   = "open"
	PRClosed = "closed"
)

// PRState is what Shipgate knows about a pull request (GitLab: merge
// request) to publish idempotently and to reconcile after missed events.
type PRState struct {
	// Host, Repo and Number name the PR; they are its key.
	Host   policies.Host
	Repo   string
	Number int
	// BaseBranch is the branch the change targets, whose policy applies.
	BaseBranch string
	// HeadSHA is the PR's head commit as last seen.
	HeadSHA string
	// State is PROpen or PRClosed (merged PRs are closed).
	State string
	// CheckRunID is the GitHub check run last published (0: none; GitLab
	// commit statuses have no ID).
	CheckRunID int64
	// CommentID is the sticky summary comment (0: none yet).
	CommentID int64
	// CommentDigest is the digest of the comment body last published, so
	// that an unchanged comment is not edited again.
	CommentDigest string
	// LastEvaluatedAt is when the PR was last evaluated (zero: never).
	LastEvaluatedAt time.Time
	// LastActivityAt is when an event last touched the PR.
	LastActivityAt time.Time
	// LastEvaluatedSHA is the head SHA of that evaluation.
	LastEvaluatedSHA string
	// HeadPushedAt is when HeadSHA was pushed, as far as the adapter knows
	// (zero: unknown); dismiss_stale compares commands with it.
	HeadPushedAt time.Time
	// CheckStatus and CheckDigest are the status ("in_progress",
	// "completed") and content digest of the check run last published, so
	// that an unchanged check is not edited and a completed one is not
	// reopened after a restart.
	CheckStatus string
	CheckDigest string
	// CheckBase is the base branch of the check run last published: its
	// name is `shipgate: <base>`, so a PR retargeted since needs a new one.
	CheckBase string
}

const prColumns = `host, repo, number, base_branch, head_sha, state, check_run_id, comment_id, comment_digest, last_evaluated_at, last_activity_at, last_evaluated_sha, head_pushed_at, check_status, check_digest, check_base`

func scanPR(sc interface{ Scan(...any) error }) (PRState, error) {
	var p PRState
	var evaluated, activity, pushed sql.NullInt64
	if err := sc.Scan(&p.Host, &p.Repo, &p.Number, &p.BaseBranch, &p.HeadSHA, &p.State, &p.CheckRunID, &p.CommentID,
		&p.CommentDigest, &evaluated, &activity, &p.LastEvaluatedSHA, &pushed, &p.CheckStatus, &p.CheckDigest, &p.CheckBase); err != nil {
		return PRState{}, err
	}
	p.LastEvaluatedAt, p.LastActivityAt, p.HeadPushedAt = fromNullMicros(evaluated), fromNullMicros(activity), fromNullMicros(pushed)
	return p, nil
}

// GetPR returns the state of a PR, or ErrNotFound.
func (s *Store) GetPR(ctx context.Context, host policies.Host, repo string, number int) (PRState, error) {
	if err := s.closed(); err != nil {
		return PRState{}, err
	}
	p, err := scanPR(s.r.QueryRowContext(ctx, `SELECT `+prColumns+` FROM prs WHERE host = $1 AND repo = $2 AND number = $3`, host, repo, number))
	if errors.Is(err, sql.ErrNoRows) {
		return PRState{}, fmt.Errorf("reading state of %s#%d: %w", repo, number, ErrNotFound)
	}
	if err != nil {
		return PRState{}, fmt.Errorf("reading state of %s#%d: %w", repo, number, err)
	}
	return p, nil
}

// PutPR stores the state of a PR, replacing the previous one whole (last
// writer wins: jobs of one PR share an ordering key, so they do not race).
func (s *Store) PutPR(ctx context.Context, p PRState) error {
	if err := s.closed(); err != nil {
		return err
	}
	if p.Host == "" || p.Repo == "" || p.Number <= 0 {
		return fmt.Errorf("storing PR state: %w: host, repo and a positive number are required", ErrInvalid)
	}
	if p.State != PROpen && p.State != PRClosed {
		return fmt.Errorf("storing state of %s#%d: %w: state %q (allowed values: %s, %s)", p.Repo, p.Number, ErrInvalid, p.State, PROpen, PRClosed)
	}
	// A new row takes the conclusion of an evaluation saved before it.
	_, err := s.exec(ctx, `INSERT INTO prs (`+prColumns+`, last_conclusion)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
    COALESCE((SELECT e.conclusion FROM evaluations e WHERE e.host = $1 AND e.repo = $2 AND e.number = $3 ORDER BY e.id DESC LIMIT 1), ''))
ON CONFLICT (host, repo, number) DO UPDATE SET
    base_branch = excluded.base_branch,
    head_sha = excluded.head_sha,
    state = excluded.state,
    check_run_id = excluded.check_run_id,
    comment_id = excluded.comment_id,
    comment_digest = excluded.comment_digest,
    last_evaluated_at = excluded.last_evaluated_at,
    last_activity_at = excluded.last_activity_at,
    last_evaluated_sha = excluded.last_evaluated_sha,
    head_pushed_at = excluded.head_pushed_at,
    check_status = excluded.check_status,
    check_digest = excluded.check_digest,
    check_base = excluded.check_base`,
		p.Host, p.Repo, p.Number, p.BaseBranch, p.HeadSHA, p.State, p.CheckRunID, p.CommentID, p.CommentDigest,
		nullMicros(p.LastEvaluatedAt), nullMicros(p.LastActivityAt), p.LastEvaluatedSHA,
		nullMicros(p.HeadPushedAt), p.CheckStatus, p.CheckDigest, p.CheckBase)
	if err != nil {
		return fmt.Errorf("storing state of %s#%d: %w", p.Repo, p.Number, err)
	}
	return nil
}

// StalePRs returns up to limit open PRs of host that need an evaluation:
// never evaluated, evaluated before their last activity, or evaluated at
// another head SHA. Least recently active first, so a reconciler working
// through them in pages makes progress.
func (s *Store) StalePRs(ctx context.Context, host policies.Host, limit int) ([]PRState, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("listing stale PRs: %w: limit must be positive", ErrInvalid)
	}
	return s.queryPRs(ctx, "listing stale PRs of "+string(host), `SELECT `+prColumns+` FROM prs
WHERE host = $1 AND state = 'open'
  AND (last_evaluated_at IS NULL OR last_evaluated_at < last_activity_at OR last_evaluated_sha <> head_sha)
ORDER BY COALESCE(last_activity_at, 0), repo, number
LIMIT $2`, host, limit)
}

// OpenPRsInto returns the open PRs of repo that target baseBranch, by
// number: the PRs to evaluate again when that branch's policy changes.
func (s *Store) OpenPRsInto(ctx context.Context, host policies.Host, repo, baseBranch string) ([]PRState, error) {
	return s.queryPRs(ctx, "listing open PRs of "+repo+" into "+baseBranch, `SELECT `+prColumns+` FROM prs
WHERE host = $1 AND repo = $2 AND base_branch = $3 AND state = 'open'
ORDER BY number`, host, repo, baseBranch)
}

// OpenPRsWithHead returns the open PRs of repo whose head is sha, by
// number: the other PRs that share a commit's checks.
func (s *Store) OpenPRsWithHead(ctx context.Context, host policies.Host, repo, sha string) ([]PRState, error) {
	return s.queryPRs(ctx, "listing open PRs of "+repo+" at "+sha, `SELECT `+prColumns+` FROM prs
WHERE host = $1 AND repo = $2 AND head_sha = $3 AND state = 'open'
ORDER BY number`, host, repo, sha)
}

// OpenPRsOf returns the open PRs of repo, by number.
func (s *Store) OpenPRsOf(ctx context.Context, host policies.Host, repo string) ([]PRState, error) {
	return s.queryPRs(ctx, "listing open PRs of "+repo, `SELECT `+prColumns+` FROM prs
WHERE host = $1 AND repo = $2 AND state = 'open'
ORDER BY number`, host, repo)
}

// CommandsOf returns the commands recorded on a change, in the order they
// were given (by comment time, then comment and index): the commands as
// their comments were written when created.
func (s *Store) CommandsOf(ctx context.Context, host policies.Host, repo string, number int) ([]CommandRecord, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT host, repo, number, comment_id, idx, actor, name, args, accepted, reason, at
FROM commands WHERE host = $1 AND repo = $2 AND number = $3
ORDER BY at, comment_id, idx`, host, repo, number)
	if err != nil {
		return nil, fmt.Errorf("reading the commands of %s#%d: %w", repo, number, err)
	}
	defer rows.Close()
	var out []CommandRecord
	for rows.Next() {
		var c CommandRecord
		var at int64
		if err := rows.Scan(&c.Host, &c.Repo, &c.Number, &c.CommentID, &c.Index, &c.Actor, &c.Name, &c.Args, &c.Accepted, &c.Reason, &at); err != nil {
			return nil, fmt.Errorf("reading the commands of %s#%d: %w", repo, number, err)
		}
		c.At = fromMicros(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the commands of %s#%d: %w", repo, number, err)
	}
	return out, nil
}

func (s *Store) queryPRs(ctx context.Context, doing, query string, args ...any) ([]PRState, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	defer rows.Close()
	var prs []PRState
	for rows.Next() {
		p, err := scanPR(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", doing, err)
		}
		prs = append(prs, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	return prs, nil
}

// Head is one head commit a PR had, as the bot saw it.
type Head struct {
	SHA string
	// Content digests the PR's files at SHA ("" when they were not read
	// whole); Since is when the bot first saw the PR at SHA.
	Content string
	Since   time.Time
}

// RecordHead records that PR number of repo had head sha with content,
// seen since since. The first sighting's time is kept; a content learnt
// later fills one that was unknown, and never replaces a known one.
func (s *Store) RecordHead(ctx context.Context, host policies.Host, repo string, number int, h Head) error {
	if err := s.closed(); err != nil {
		return err
	}
	if host == "" || repo == "" || h.SHA == "" {
		return fmt.Errorf("recording a head: %w: host, repo and SHA are required", ErrInvalid)
	}
	_, err := s.exec(ctx, `INSERT INTO pr_heads (host, repo, number, sha, content, since) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (host, repo, number, sha) DO UPDATE SET content = excluded.content WHERE pr_heads.content = ''`,
		host, repo, number, h.SHA, h.Content, micros(h.Since))
	if err != nil {
		return fmt.Errorf("recording head %s of %s#%d: %w", h.SHA, repo, number, err)
	}
	return nil
}

// Heads returns the heads PR number of repo had, in the order the bot saw
// them.
func (s *Store) Heads(ctx context.Context, host policies.Host, repo string, number int) ([]Head, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT sha, content, since FROM pr_heads WHERE host = $1 AND repo = $2 AND number = $3 ORDER BY since, sha`, host, repo, number)
	if err != nil {
		return nil, fmt.Errorf("reading the heads of %s#%d: %w", repo, number, err)
	}
	defer rows.Close()
	var out []Head
	for rows.Next() {
		var h Head
		var since int64
		if err := rows.Scan(&h.SHA, &h.Content, &since); err != nil {
			return nil, fmt.Errorf("reading the heads of %s#%d: %w", repo, number, err)
		}
		h.Since = fromMicros(since)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the heads of %s#%d: %w", repo, number, err)
	}
	return out, nil
}
