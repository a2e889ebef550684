package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/shipgate/shipgate/policies"
)

// AddPolicyBases records bases the policy of repo extends (its
// organisation default included), beside those recorded before: the
// policies of repo's branches may extend different bases. A push to one of
// them re-evaluates repo's open changes (PolicyUsers); a base a policy no
// longer extends costs at most a needless evaluation.
func (s *Store) AddPolicyBases(ctx context.Context, host policies.Host, repo string, bases []policies.Source) error {
	if host == "" || repo == "" {
		return fmt.Errorf("recording the bases of a policy: %w: host and repo are required", ErrInvalid)
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		for _, b := range bases {
			if b.Repo == "" {
				continue // a local file: no push names it
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO policy_bases (host, repo, base_repo, base_path, base_ref)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, host, repo, b.Repo, b.Path, b.Ref); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording the bases of the policy of %s: %w", repo, err)
	}
	return nil
}

// PolicyUsers lists, in name order, the repositories whose policy extends
// a file of baseRepo on branch (a base without a ref counts as on the
// default branch when isDefault). paths are the files the push changed;
// nil means unknown (any file may have changed).
func (s *Store) PolicyUsers(ctx context.Context, host policies.Host, baseRepo, branch string, isDefault bool, paths []string) ([]string, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT repo, base_path FROM policy_bases
WHERE host = $1 AND base_repo = $2 AND (base_ref = $3 OR (base_ref = '' AND $4))
ORDER BY repo`, host, baseRepo, branch, isDefault)
	if err != nil {
		return nil, fmt.Errorf("listing the users of the policies of %s: %w", baseRepo, err)
	}
	defer rows.Close()
	var users []string
	for rows.Next() {
		var repo, path string
		if err := rows.Scan(&repo, &path); err != nil {
			return nil, fmt.Errorf("listing the users of the policies of %s: %w", baseRepo, err)
		}
		if (paths == nil || slices.Contains(paths, path)) && !slices.Contains(users, repo) {
			users = append(users, repo)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the users of the policies of %s: %w", baseRepo, err)
	}
	return users, nil
}
