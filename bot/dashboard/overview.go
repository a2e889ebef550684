package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Overview limits: the page stays small and fast however large the store.
const (
	overviewChanges     = 50
	overviewDeployments = 200
	// freezeHorizon is how far ahead the overview lists freeze windows.
	freezeHorizon = 14 * 24 * time.Hour
)

// repoRow is one repository's line of the overview.
type repoRow struct {
	RepoRef
	Open, Success, Failure, Pending, Unevaluated int
}

// deploymentRow is a deployment as the pages show it.
type deploymentRow struct {
	RepoRef
	ID, Environment, Version, Status string
	// Step is the current step's name, Message its last word.
	Step, Message string
	// Waiting tells that the current step is an approval gate.
	Waiting bool
	// Since is when the current step (or the deployment) started.
	Since, Updated time.Time
}

// freezeRow is one freeze window occurrence of a repository.
type freezeRow struct {
	RepoRef
	Name       string
	Start, End time.Time
	Active     bool
}

type overviewData struct {
	Repos        []repoRow
	Changes      []store.ChangeSummary
	Running      []deploymentRow
	Waiting      []deploymentRow
	Freezes      []freezeRow
	PolicyErrors []string
}

// overview shows where everything stands in the repositories the viewer
// can read.
func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	repos, err := d.readableRepos(ctx)
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	data := overviewData{}
	if data.Repos, err = d.repoRows(ctx, repos); err != nil {
		d.storeError(w, r, err)
		return
	}
	if data.Changes, err = d.cfg.Store.RecentOpenChanges(ctx, storeKeys(repos), overviewChanges); err != nil {
		d.storeError(w, r, err)
		return
	}
	deps, err := d.cfg.Store.DeploymentsIn(ctx, storeKeys(repos), []string{deploy.StatusRunning}, overviewDeployments)
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	for _, dep := range deps {
		row := deploymentRowOf(dep)
		if row.Waiting {
			data.Waiting = append(data.Waiting, row)
		} else {
			data.Running = append(data.Running, row)
		}
	}
	data.Freezes, data.PolicyErrors = d.freezes(ctx, repos, d.now(), d.now().Add(freezeHorizon))
	d.render(w, r, "overview.html", data)
}

// readableRepos lists the repositories the store knows that the viewer
// can read.
func (d *Dashboard) readableRepos(ctx context.Context) ([]RepoRef, error) {
	keys, err := d.cfg.Store.Repos(ctx)
	if err != nil {
		return nil, err
	}
	refs := make([]RepoRef, len(keys))
	for i, k := range keys {
		refs[i] = RepoRef{Host: k.Host, Repo: k.Repo}
	}
	return d.Readable(ctx, refs), nil
}

func storeKeys(repos []RepoRef) []store.RepoKey {
	out := make([]store.RepoKey, len(repos))
	for i, r := range repos {
		out[i] = store.RepoKey{Host: r.Host, Repo: r.Repo}
	}
	return out
}

// repoRows counts the open changes of repos by verdict.
func (d *Dashboard) repoRows(ctx context.Context, repos []RepoRef) ([]repoRow, error) {
	counts, err := d.cfg.Store.OpenCounts(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]repoRow, len(repos))
	at := map[RepoRef]*repoRow{}
	for i, r := range repos {
		rows[i].RepoRef = r
		at[r] = &rows[i]
	}
	for _, c := range counts {
		row := at[RepoRef{Host: c.Host, Repo: c.Repo}]
		if row == nil {
			continue // not readable
		}
		row.Open += c.Count
		switch policies.Conclusion(c.Conclusion) {
		case policies.Success:
			row.Success += c.Count
		case policies.Failure:
			row.Failure += c.Count
		case policies.Pending:
			row.Pending += c.Count
		default:
			row.Unevaluated += c.Count
		}
	}
	return rows, nil
}

// deploymentRowOf reads what the pages show of a stored deployment.
func deploymentRowOf(dep store.Deployment) deploymentRow {
	row := deploymentRow{RepoRef: RepoRef{Host: dep.Host, Repo: dep.Repo}, ID: dep.ID, Environment: dep.Environment,
		Version: dep.Version, Status: dep.State, Since: dep.CreatedAt, Updated: dep.UpdatedAt}
	var st deploy.State
	if err := json.Unmarshal(dep.Data, &st); err != nil {
		row.Message = "the deployment's state could not be read"
		return row
	}
	row.Message = st.Message
	if cur := st.Current(); cur != nil && st.Status == deploy.StatusRunning {
		row.Step, row.Waiting = cur.Name, cur.Name == "approval"
		if cur.Message != "" {
			row.Message = cur.Message
		}
		if !cur.StartedAt.IsZero() {
			row.Since = cur.StartedAt
		}
	}
	return row
}

// freezes lists the freeze windows of repos that overlap [from, to),
// active ones first; problems name the repositories whose policy could
// not be read.
func (d *Dashboard) freezes(ctx context.Context, repos []RepoRef, from, to time.Time) (rows []freezeRow, problems []string) {
	for _, rp := range d.policiesOf(ctx, repos) {
		if rp.Err != nil {
			problems = append(problems, rp.Repo+": "+policyProblem(rp.Err))
			continue
		}
		if rp.Policy == nil || rp.Policy.Freeze == nil {
			continue
		}
		for _, s := range rp.Policy.Freeze.Occurrences(from, to, "") {
			active := !s.Start.After(from) && (s.End.IsZero() || s.End.After(from))
			rows = append(rows, freezeRow{RepoRef: rp.RepoRef, Name: s.Window.Name, Start: s.Start, End: s.End, Active: active})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Active != rows[j].Active {
			return rows[i].Active
		}
		return rows[i].Start.Before(rows[j].Start)
	})
	return rows, problems
}

// policyProblem says briefly why a policy could not be read.
func policyProblem(err error) string {
	if err == errNoHost {
		return "the server has no credentials for its host"
	}
	if fe := policies.FieldErrors(err); len(fe) > 0 {
		return "its policy is invalid (" + fe[0].Error() + ")"
	}
	return "its policy could not be read"
}

// storeError answers a store failure without its details.
func (d *Dashboard) storeError(w http.ResponseWriter, r *http.Request, err error) {
	d.log.Error().Err(err).Str("path", r.URL.Path).Msg("dashboard: reading the store")
	d.renderError(w, r, http.StatusInternalServerError, "The store could not be read; the server's log says why. Try again shortly.")
}
