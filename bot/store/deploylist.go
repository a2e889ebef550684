package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// Caps of the dashboard's lists.
const (
	defaultListLimit = 50
	maxListLimit     = 500
)

// DeploymentFilter selects deployments for ListDeployments.
type DeploymentFilter struct {
	// Host keeps the deployments of one host.
	Host policies.Host
	// Repos keeps the deployments of these repositories: the ones the
	// viewer may read. None selects nothing, never everything.
	Repos []string
	// States keeps these states (store.Deployment.State); none keeps all.
	States []string
	// Version keeps one version (a release's deployments).
	Version string
	// Limit caps the answer: 50 by default, at most 500.
	Limit int
}

// ListDeployments returns the deployments f selects, the most recently
// updated first.
func (s *Store) ListDeployments(ctx context.Context, f DeploymentFilter) ([]Deployment, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	if len(f.Repos) == 0 {
		return nil, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	where := `host = $1 AND repo IN (` + params(2, len(f.Repos)) + `)`
	return s.deploymentsWhere(ctx, where, append([]any{f.Host}, stringArgs(f.Repos)...), f.States, f.Version, min(limit, maxListLimit))
}

// deploymentsWhere returns up to limit deployments that match where (with
// its args) and are in one of states (any when none) and of version (any
// when ""), the most recently updated first: the dashboard's lists share it.
func (s *Store) deploymentsWhere(ctx context.Context, where string, args []any, states []string, version string, limit int) ([]Deployment, error) {
	q := `SELECT ` + deploymentColumns + ` FROM deployments WHERE ` + where
	if len(states) > 0 {
		q += ` AND state IN (` + params(len(args)+1, len(states)) + `)`
		args = append(args, stringArgs(states)...)
	}
	if version != "" {
		args = append(args, version)
		q += fmt.Sprintf(` AND version = $%d`, len(args))
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY updated_at DESC, id DESC LIMIT $%d`, len(args))
	return s.queryDeployments(ctx, q, args...)
}

// queryDeployments runs a query of deploymentColumns and scans its rows.
func (s *Store) queryDeployments(ctx context.Context, q string, args ...any) ([]Deployment, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing deployments: %w", err)
	}
	defer rows.Close()
	var out []Deployment
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("listing deployments: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing deployments: %w", err)
	}
	return out, nil
}

// SubjectAudit selects the audit events of one subject for AuditAbout.
type SubjectAudit struct {
	Host policies.Host
	Repo string
	// Kinds keeps events of these kinds; none keeps all.
	Kinds []string
	// Subject keeps events whose subject is this, or starts with it when
	// Prefix is set ("production@v1.2.0: " names a deployment's events).
	Subject string
	Prefix  bool
	// Since keeps events at or after this time.
	Since time.Time
	// Limit caps the answer: 50 by default, at most 500.
	Limit int
}

// AuditAbout returns the newest audit events of a subject, newest first.
func (s *Store) AuditAbout(ctx context.Context, f SubjectAudit) ([]AuditEvent, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	q := `SELECT id, at, host, repo, number, kind, actor, subject, outcome, detail, delivery_id FROM audit_events
WHERE repo = $1 AND host = $2 AND at >= $3`
	args := []any{f.Repo, f.Host, micros(f.Since)}
	if f.Since.IsZero() {
		args[2] = int64(0)
	}
	if len(f.Kinds) > 0 {
		q += ` AND kind IN (` + params(len(args)+1, len(f.Kinds)) + `)`
		args = append(args, stringArgs(f.Kinds)...)
	}
	args = append(args, f.Subject)
	if f.Prefix {
		// substr, not LIKE: a subject holds user text that may carry % or _.
		q += fmt.Sprintf(` AND substr(subject, 1, %d) = $%d`, len([]rune(f.Subject)), len(args))
	} else {
		q += fmt.Sprintf(` AND subject = $%d`, len(args))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	args = append(args, min(limit, maxListLimit))
	q += fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT $%d`, len(args))
	var page []AuditEvent
	if err := s.auditPage(ctx, q, args, &page); err != nil {
		return nil, fmt.Errorf("reading the audit events of %s %s: %w", f.Repo, f.Subject, err)
	}
	return page, nil
}

// LatestAudit returns the newest audit event of kind about subject in
// repo; ErrNotFound when there is none.
func (s *Store) LatestAudit(ctx context.Context, host policies.Host, repo, kind, subject string) (AuditEvent, error) {
	events, err := s.AuditAbout(ctx, SubjectAudit{Host: host, Repo: repo, Kinds: []string{kind}, Subject: subject, Limit: 1})
	if err != nil {
		return AuditEvent{}, err
	}
	if len(events) == 0 {
		return AuditEvent{}, fmt.Errorf("reading the %s event of %s %s: %w", kind, repo, subject, ErrNotFound)
	}
	return events[0], nil
}

// maxChanges caps the changes LatestEvaluations reads at once.
const maxChanges = 500

// LatestEvaluations returns the newest evaluation of each of the changes
// numbers of repo that has one (the first 500 numbers), by number.
func (s *Store) LatestEvaluations(ctx context.Context, host policies.Host, repo string, numbers []int) (map[int]Evaluation, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	out := map[int]Evaluation{}
	numbers = numbers[:min(len(numbers), maxChanges)]
	if len(numbers) == 0 {
		return out, nil
	}
	args := []any{host, repo}
	for _, n := range numbers {
		args = append(args, n)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT e.number, e.head_sha, e.policy_revision, e.conclusion, e.verdict, e.at FROM evaluations e
WHERE e.host = $1 AND e.repo = $2 AND e.number IN (`+params(3, len(numbers))+`)
AND e.id = (SELECT MAX(l.id) FROM evaluations l WHERE l.host = e.host AND l.repo = e.repo AND l.number = e.number)`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the evaluations of %s: %w", repo, err)
	}
	defer rows.Close()
	for rows.Next() {
		e := Evaluation{Host: host, Repo: repo}
		var at int64
		if err := rows.Scan(&e.Number, &e.HeadSHA, &e.PolicyRevision, &e.Conclusion, &e.Verdict, &at); err != nil {
			return nil, fmt.Errorf("reading the evaluations of %s: %w", repo, err)
		}
		e.At = fromMicros(at)
		out[e.Number] = e
	}
	return out, rows.Err()
}
