package store

import (
	"context"
	"fmt"

	"github.com/shipgate/shipgate/policies"
)

// KnownRepos lists, in name order, the repositories of host in which
// Shipgate has seen at least one PR: reconciliation lists their open PRs
// through the API to find those whose every webhook was missed.
func (s *Store) KnownRepos(ctx context.Context, host policies.Host) ([]string, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT repo FROM prs WHERE host = $1 ORDER BY repo`, host)
	if err != nil {
		return nil, fmt.Errorf("listing the repositories of %s: %w", host, err)
	}
	defer rows.Close()
	var repos []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("listing the repositories of %s: %w", host, err)
		}
		repos = append(repos, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the repositories of %s: %w", host, err)
	}
	return repos, nil
}
