package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// The dashboard's reads: summaries over every repository, which the
// dashboard then filters by what the viewer may read. Nothing here
// decides who sees what.

// RepoKey names a repository of a host.
type RepoKey struct {
	Host policies.Host
	Repo string
}

// OpenCount is how many open changes of a repository have a conclusion
// ("" when never evaluated).
type OpenCount struct {
	RepoKey
	Conclusion string
	Count      int
}

// Repos lists every repository Shipgate has seen a change or a deployment
// of, by host and name.
func (s *Store) Repos(ctx context.Context) ([]RepoKey, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT host, repo FROM prs GROUP BY host, repo
UNION SELECT host, repo FROM deployments GROUP BY host, repo ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	defer rows.Close()
	var out []RepoKey
	for rows.Next() {
		var k RepoKey
		if err := rows.Scan(&k.Host, &k.Repo); err != nil {
			return nil, fmt.Errorf("listing repositories: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// latestConclusion is the conclusion of a PR's latest evaluation, kept on
// its row.
const latestConclusion = `p.last_conclusion`

// OpenCounts counts the open changes of each repository by the conclusion
// of their latest evaluation.
func (s *Store) OpenCounts(ctx context.Context) ([]OpenCount, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT host, repo, conclusion, COUNT(*) FROM (
SELECT p.host, p.repo, `+latestConclusion+` AS conclusion FROM prs p WHERE p.state = 'open') c
GROUP BY host, repo, conclusion ORDER BY host, repo, conclusion`)
	if err != nil {
		return nil, fmt.Errorf("counting open changes: %w", err)
	}
	defer rows.Close()
	var out []OpenCount
	for rows.Next() {
		var c OpenCount
		if err := rows.Scan(&c.Host, &c.Repo, &c.Conclusion, &c.Count); err != nil {
			return nil, fmt.Errorf("counting open changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChangeSummary is an open change with its latest conclusion.
type ChangeSummary struct {
	PRState
	Conclusion string
}

// RecentOpenChanges returns up to limit open changes of repos, most
// recently active first (those without a recorded activity last), with
// their latest conclusion.
func (s *Store) RecentOpenChanges(ctx context.Context, repos []RepoKey, limit int) ([]ChangeSummary, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	if len(repos) == 0 || limit <= 0 {
		return nil, nil
	}
	allowed := map[RepoKey]bool{}
	for _, r := range repos {
		allowed[r] = true
	}
	in, args := repoNameIn(repos, 1)
	args = append(args, limit)
	cols := strings.ReplaceAll(", "+prColumns, ", ", ", p.")[2:]
	// Read in pages by activity, so the database walks its index and
	// stops; a same-named repository of another host is skipped here.
	query := `SELECT ` + cols + `, p.last_conclusion FROM prs p
WHERE p.state = 'open' AND p.last_activity_at IS NOT NULL AND p.` + in + ` AND (p.last_activity_at, p.host, p.number) < ($` + fmt.Sprint(len(args)+1) + `, $` + fmt.Sprint(len(args)+2) + `, $` + fmt.Sprint(len(args)+3) + `)
ORDER BY p.last_activity_at DESC, p.host DESC, p.number DESC LIMIT $` + fmt.Sprint(len(args))
	args = append(args, int64(1<<62), "~", int64(1<<62))
	var out []ChangeSummary
	for {
		page, err := s.openChangesPage(ctx, query, args)
		if err != nil {
			return nil, fmt.Errorf("listing recent open changes: %w", err)
		}
		for _, c := range page {
			if allowed[RepoKey{Host: c.Host, Repo: c.Repo}] {
				out = append(out, c)
			}
		}
		if len(out) >= limit {
			return out[:limit], nil
		}
		if len(page) < limit {
			return s.appendInactive(ctx, out, in, args[:len(args)-4], allowed, limit)
		}
		last := page[len(page)-1]
		n := len(args)
		args[n-3], args[n-2], args[n-1] = micros(last.LastActivityAt), string(last.Host), int64(last.Number)
	}
}

// appendInactive appends to out the open changes without a recorded
// activity, after the active ones, up to limit.
func (s *Store) appendInactive(ctx context.Context, out []ChangeSummary, in string, args []any, allowed map[RepoKey]bool, limit int) ([]ChangeSummary, error) {
	cols := strings.ReplaceAll(", "+prColumns, ", ", ", p.")[2:]
	page, err := s.openChangesPage(ctx, `SELECT `+cols+`, p.last_conclusion FROM prs p
WHERE p.state = 'open' AND p.last_activity_at IS NULL AND p.`+in+` ORDER BY p.host, p.repo, p.number`, args)
	if err != nil {
		return nil, fmt.Errorf("listing recent open changes: %w", err)
	}
	for _, c := range page {
		if len(out) >= limit {
			break
		}
		if allowed[RepoKey{Host: c.Host, Repo: c.Repo}] {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *Store) openChangesPage(ctx context.Context, query string, args []any) ([]ChangeSummary, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChangeSummary
	for rows.Next() {
		var c ChangeSummary
		var evaluated, activity, pushed sql.NullInt64
		p := &c.PRState
		if err := rows.Scan(&p.Host, &p.Repo, &p.Number, &p.BaseBranch, &p.HeadSHA, &p.State, &p.CheckRunID, &p.CommentID,
			&p.CommentDigest, &evaluated, &activity, &p.LastEvaluatedSHA, &pushed, &p.CheckStatus, &p.CheckDigest, &p.CheckBase, &c.Conclusion); err != nil {
			return nil, err
		}
		p.LastEvaluatedAt, p.LastActivityAt, p.HeadPushedAt = fromNullMicros(evaluated), fromNullMicros(activity), fromNullMicros(pushed)
		out = append(out, c)
	}
	return out, rows.Err()
}

// repoIn is the condition "(host, repo) is one of repos", with its
// arguments numbered from $from; prefix qualifies the columns.
func repoIn(prefix string, repos []RepoKey, from int) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 2*len(repos))
	b.WriteString("(")
	for i, r := range repos {
		if i > 0 {
			b.WriteString(" OR ")
		}
		fmt.Fprintf(&b, "(%shost = $%d AND %srepo = $%d)", prefix, from+2*i, prefix, from+2*i+1)
		args = append(args, r.Host, r.Repo)
	}
	b.WriteString(")")
	return b.String(), args
}

// repoNameIn is the condition "repo is one of the names of repos", with
// its arguments numbered from $from: it lets the database use an index on
// repo; the caller checks the host.
func repoNameIn(repos []RepoKey, from int) (string, []any) {
	seen := map[string]bool{}
	var args []any
	for _, r := range repos {
		if !seen[r.Repo] {
			seen[r.Repo] = true
			args = append(args, r.Repo)
		}
	}
	return "repo IN (" + params(from, len(args)) + ")", args
}

// EvaluationRecord is a stored evaluation, read back.
type EvaluationRecord struct {
	ID int64
	Evaluation
}

// EvaluationsOf returns up to limit evaluations of a change, newest first.
func (s *Store) EvaluationsOf(ctx context.Context, host policies.Host, repo string, number, limit int) ([]EvaluationRecord, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, host, repo, number, head_sha, policy_revision, inputs_digest, conclusion, verdict, at
FROM evaluations WHERE host = $1 AND repo = $2 AND number = $3 ORDER BY id DESC LIMIT $4`, host, repo, number, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the evaluations of %s#%d: %w", repo, number, err)
	}
	defer rows.Close()
	var out []EvaluationRecord
	for rows.Next() {
		var e EvaluationRecord
		var at int64
		if err := rows.Scan(&e.ID, &e.Host, &e.Repo, &e.Number, &e.HeadSHA, &e.PolicyRevision, &e.InputsDigest, &e.Conclusion, &e.Verdict, &at); err != nil {
			return nil, fmt.Errorf("reading the evaluations of %s#%d: %w", repo, number, err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeploymentsIn returns up to limit deployments of repos in one of states
// (any state when none), most recently updated first.
func (s *Store) DeploymentsIn(ctx context.Context, repos []RepoKey, states []string, limit int) ([]Deployment, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	if len(repos) == 0 || limit <= 0 {
		return nil, nil
	}
	in, args := repoIn("", repos, 1)
	return s.deploymentsWhere(ctx, in, args, states, "", limit)
}

// AuditSearch selects audit events for the dashboard. Repos is required:
// only events of those repositories are read (an empty list reads none).
type AuditSearch struct {
	Repos  []RepoKey
	Actor  string
	Kinds  []string
	Since  time.Time
	Before time.Time
	// Newest reads newest first (a page); otherwise oldest first (an
	// export).
	Newest bool
	// Limit stops after this many events (0: all).
	Limit int
}

// SearchAudit calls fn for each audit event q selects, in pages read by
// keyset (no connection is held while fn runs), and stops at fn's error.
func (s *Store) SearchAudit(ctx context.Context, q AuditSearch, fn func(AuditEvent) error) error {
	if err := s.closed(); err != nil {
		return err
	}
	if len(q.Repos) == 0 {
		return nil
	}
	in, args := repoNameIn(q.Repos, 3)
	allowed := map[RepoKey]bool{}
	for _, r := range q.Repos {
		allowed[r] = true
	}
	cmp, order, cursor := ">", "ASC", []any{int64(-1 << 62), int64(0)}
	if q.Newest {
		cmp, order, cursor = "<", "DESC", []any{int64(1 << 62), int64(1 << 62)}
	}
	query := `SELECT id, at, host, repo, number, kind, actor, subject, outcome, detail, delivery_id FROM audit_events
WHERE (at, id) ` + cmp + ` ($1, $2) AND ` + in
	args = append(cursor, args...)
	if q.Actor != "" {
		args = append(args, q.Actor)
		query += fmt.Sprintf(" AND actor = $%d", len(args))
	}
	if !q.Since.IsZero() {
		args = append(args, micros(q.Since))
		query += fmt.Sprintf(" AND at >= $%d", len(args))
	}
	if !q.Before.IsZero() {
		args = append(args, micros(q.Before))
		query += fmt.Sprintf(" AND at < $%d", len(args))
	}
	if len(q.Kinds) > 0 {
		query += " AND kind IN (" + params(len(args)+1, len(q.Kinds)) + ")"
		args = append(args, stringArgs(q.Kinds)...)
	}
	pageSize := exportPage
	if q.Limit > 0 && q.Limit < pageSize {
		pageSize = q.Limit
	}
	args = append(args, pageSize)
	query += fmt.Sprintf(" ORDER BY at %s, id %s LIMIT $%d", order, order, len(args))
	seen := 0
	page := make([]AuditEvent, 0, pageSize)
	for {
		page = page[:0]
		if err := s.auditPage(ctx, query, args, &page); err != nil {
			return fmt.Errorf("searching audit events: %w", err)
		}
		for _, e := range page {
			if !allowed[RepoKey{Host: e.Host, Repo: e.Repo}] {
				continue // a repository of the same name on another host
			}
			if err := fn(e); err != nil {
				return err
			}
			if seen++; q.Limit > 0 && seen >= q.Limit {
				return nil
			}
		}
		if len(page) < pageSize {
			return nil
		}
		last := page[len(page)-1]
		args[0], args[1] = micros(last.At), last.ID
	}
}
