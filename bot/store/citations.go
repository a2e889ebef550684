package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/shipgate/shipgate/policies"
)

// Citation is an open change that cites a change record.
type Citation struct {
	Host   policies.Host
	Repo   string
	Number int
}

// CiteRecords records that change number of repo cites records, replacing
// what it cited before (none: it cites nothing now).
func (s *Store) CiteRecords(ctx context.Context, host policies.Host, repo string, number int, records []string) error {
	if err := s.closed(); err != nil {
		return err
	}
	if host == "" || repo == "" || number <= 0 {
		return fmt.Errorf("recording cited records: %w: host, repo and a positive number are required", ErrInvalid)
	}
	records = slices.Compact(slices.Sorted(slices.Values(records)))
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM record_citations WHERE host = $1 AND repo = $2 AND number = $3`, host, repo, number); err != nil {
			return fmt.Errorf("recording the records %s#%d cites: %w", repo, number, err)
		}
		for _, r := range records {
			if r == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO record_citations (host, repo, number, record) VALUES ($1, $2, $3, $4)`,
				host, repo, number, r); err != nil {
				return fmt.Errorf("recording the records %s#%d cites: %w", repo, number, err)
			}
		}
		return nil
	})
}

// ChangesCiting returns the open changes that cite record, by host, repo
// and number.
func (s *Store) ChangesCiting(ctx context.Context, record string) ([]Citation, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.host, c.repo, c.number FROM record_citations c
JOIN prs p ON p.host = c.host AND p.repo = c.repo AND p.number = c.number
WHERE c.record = $1 AND p.state = 'open'
ORDER BY c.host, c.repo, c.number`, record)
	if err != nil {
		return nil, fmt.Errorf("listing the changes that cite %s: %w", record, err)
	}
	defer rows.Close()
	var out []Citation
	for rows.Next() {
		var c Citation
		if err := rows.Scan(&c.Host, &c.Repo, &c.Number); err != nil {
			return nil, fmt.Errorf("listing the changes that cite %s: %w", record, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the changes that cite %s: %w", record, err)
	}
	return out, nil
}
