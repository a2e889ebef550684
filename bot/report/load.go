package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Reader is what reading reports and metrics back needs. *store.Store
// implements it.
type Reader interface {
	DeploymentHistory(ctx context.Context, f store.HistoryFilter) ([]store.Deployment, error)
	ReleaseReports(ctx context.Context, repo, version string) ([]store.ReleaseReport, error)
}

var _ Reader = (*store.Store)(nil)

// Load reads the stored reports of version (of every repository when repo
// is ""); store.ErrNotFound when there is none.
func Load(ctx context.Context, r Reader, repo, version string) ([]Report, error) {
	rows, err := r.ReleaseReports(ctx, repo, version)
	if err != nil {
		return nil, err
	}
	out := make([]Report, 0, len(rows))
	for _, row := range rows {
		var rep Report
		if err := json.Unmarshal(row.Data, &rep); err != nil {
			return nil, fmt.Errorf("decoding the report of %s %s: %w", row.Repo, row.Version, err)
		}
		out = append(out, rep)
	}
	return out, nil
}

// Metrics computes the delivery metrics of the deployments created since
// w.Since (of repo only, when set); the lead times come from the release
// reports, read once per version.
func Metrics(ctx context.Context, r Reader, repo string, w Window) ([]Delivery, error) {
	// A deployment ending in the window may have started before it: read
	// a day more, Compute counts by end.
	rows, err := r.DeploymentHistory(ctx, store.HistoryFilter{Repo: repo, Since: w.Since.Add(-24 * time.Hour)})
	if err != nil {
		return nil, err
	}
	deps := make([]deploy.State, 0, len(rows))
	for _, row := range rows {
		var st deploy.State
		if err := json.Unmarshal(row.Data, &st); err != nil {
			return nil, fmt.Errorf("decoding deployment %s: %w", row.ID, err)
		}
		deps = append(deps, st)
	}
	type key struct {
		host          policies.Host
		repo, version string
	}
	first := map[key]time.Time{}
	read := map[key]bool{}
	var lookupErr error
	firstCommit := func(host policies.Host, repo, version string) (time.Time, bool) {
		k := key{host, repo, version}
		if !read[k] && lookupErr == nil {
			read[k] = true
			reports, err := Load(ctx, r, repo, version)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				lookupErr = err
			default:
				for _, rep := range reports {
					if rep.Host == host && !rep.FirstCommitAt.IsZero() {
						first[k] = rep.FirstCommitAt
					}
				}
			}
		}
		t, ok := first[k]
		return t, ok
	}
	out := Compute(deps, firstCommit, w)
	return out, lookupErr
}
