package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// ReleaseReport is the report that closes a release (bot/report), one per
// version of a repository.
type ReleaseReport struct {
	Host    policies.Host
	Repo    string
	Version string
	// Status is how the release ended: "succeeded", "failed", "rolled back".
	Status string
	// Data is the report as JSON, stored as given.
	Data []byte
	// ClosedAt defaults to the store's clock.
	ClosedAt time.Time
}

// PutReleaseReport writes r, replacing the version's earlier report: a
// release closed again (rolled back after it succeeded) says so.
func (s *Store) PutReleaseReport(ctx context.Context, r ReleaseReport) error {
	if err := s.closed(); err != nil {
		return err
	}
	if r.Host == "" || r.Repo == "" || r.Version == "" || r.Status == "" {
		return fmt.Errorf("writing a release report: %w: host, repo, version and status are required", ErrInvalid)
	}
	at := r.ClosedAt
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.exec(ctx, `INSERT INTO release_reports (host, repo, version, status, data, closed_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (host, repo, version) DO UPDATE SET status = excluded.status, data = excluded.data, closed_at = excluded.closed_at`,
		r.Host, r.Repo, r.Version, r.Status, nonNil(r.Data), micros(at))
	if err != nil {
		return fmt.Errorf("writing the release report of %s %s: %w", r.Repo, r.Version, err)
	}
	return nil
}

// ReleaseReports returns the reports of version, of every repository and
// host when repo is "" (ErrNotFound when there is none), oldest first.
func (s *Store) ReleaseReports(ctx context.Context, repo, version string) ([]ReleaseReport, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	q := `SELECT host, repo, version, status, data, closed_at FROM release_reports WHERE version = $1`
	args := []any{version}
	if repo != "" {
		q += ` AND repo = $2`
		args = append(args, repo)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY closed_at, host, repo`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the release reports of %s: %w", version, err)
	}
	defer rows.Close()
	var out []ReleaseReport
	for rows.Next() {
		var r ReleaseReport
		var at int64
		if err := rows.Scan(&r.Host, &r.Repo, &r.Version, &r.Status, &r.Data, &at); err != nil {
			return nil, fmt.Errorf("reading the release reports of %s: %w", version, err)
		}
		r.ClosedAt = fromMicros(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the release reports of %s: %w", version, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading the release report of %s: %w", version, ErrNotFound)
	}
	return out, nil
}

// HistoryFilter selects deployments for DeploymentHistory; zero fields
// select all.
type HistoryFilter struct {
	Host policies.Host
	Repo string
	// Since keeps deployments created at or after it.
	Since time.Time
}

// DeploymentHistory returns the deployments f selects, oldest first and
// uncapped: the history that release reports and delivery metrics are
// computed from (the dashboard's lists use ListDeployments).
func (s *Store) DeploymentHistory(ctx context.Context, f HistoryFilter) ([]Deployment, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	q := `SELECT ` + deploymentColumns + ` FROM deployments WHERE created_at >= $1`
	args := []any{micros(f.Since)}
	if f.Since.IsZero() {
		args[0] = int64(0)
	}
	if f.Host != "" {
		args = append(args, f.Host)
		q += fmt.Sprintf(` AND host = $%d`, len(args))
	}
	if f.Repo != "" {
		args = append(args, f.Repo)
		q += fmt.Sprintf(` AND repo = $%d`, len(args))
	}
	return s.queryDeployments(ctx, q+` ORDER BY created_at, id`, args...)
}

// LatestVerdict returns the verdict (JSON) of a PR's newest evaluation;
// ErrNotFound when it was never evaluated.
func (s *Store) LatestVerdict(ctx context.Context, host policies.Host, repo string, number int) ([]byte, error) {
	return s.verdict(ctx, host, repo, number, "")
}

// VerdictAt returns the verdict (JSON) of a PR's newest evaluation at head
// sha; ErrNotFound when it was not evaluated there (or sha is "").
func (s *Store) VerdictAt(ctx context.Context, host policies.Host, repo string, number int, sha string) ([]byte, error) {
	if sha == "" {
		return nil, fmt.Errorf("reading the verdict of %s#%d at an unknown head: %w", repo, number, ErrNotFound)
	}
	return s.verdict(ctx, host, repo, number, sha)
}

// verdict is the newest evaluation's verdict, at head sha unless "".
func (s *Store) verdict(ctx context.Context, host policies.Host, repo string, number int, sha string) ([]byte, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	q, args := `SELECT verdict FROM evaluations WHERE host = $1 AND repo = $2 AND number = $3`, []any{host, repo, number}
	if sha != "" {
		q, args = q+` AND head_sha = $4`, append(args, sha)
	}
	var v []byte
	err := s.r.QueryRowContext(ctx, q+` ORDER BY id DESC LIMIT 1`, args...).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading the verdict of %s#%d: %w", repo, number, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the verdict of %s#%d: %w", repo, number, err)
	}
	return v, nil
}
