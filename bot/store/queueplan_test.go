package store

import (
	"strings"
	"testing"
)

// TestRefreshingAKeyAsksTheLeasedJobsIndex holds refreshKeys to an index
// probe for "is another job of this key leased?": scanning the key's live
// jobs instead (hundreds of them under a backlog, for every completion)
// kept the key's row locked against the deliveries queueing jobs for it.
func TestRefreshingAKeyAsksTheLeasedJobsIndex(t *testing.T) {
	s := openStore(t, sqliteBackend.newURL(t), nil)
	rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN
SELECT 1 FROM jobs WHERE jobs.ordering_key = 'github:acme/widgets#1' AND jobs.state = 'leased'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "jobs_leased_by_key") {
		t.Errorf("query plan = %q, want a search of jobs_leased_by_key", got)
	}
}
