package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Deployments is what the deployment and approval pages ask of the
// orchestrator; *deploy.Orchestrator implements it. Without it the pages
// show deployments and decide nothing.
type Deployments interface {
	// WaitingGate returns the gate d waits on and whether actor (a login
	// of host) may approve it, changing nothing.
	WaitingGate(ctx context.Context, d store.Deployment, host policies.Host, actor deploy.Actor) (deploy.Gate, bool, error)
	// Request judges a decision at once and queues it when accepted: the
	// decision path of Slack and `/approve-deploy`.
	Request(ctx context.Context, r deploy.DecisionRequest) (refused string, err error)
}

var _ Deployments = (*deploy.Orchestrator)(nil)

// Caps of the deployment lists.
const (
	listRunning  = 200
	listFinished = 50
)

// readableDeployments lists the deployments in states (all when none)
// of the repositories the viewer may read, newest first.
func (d *Dashboard) readableDeployments(ctx context.Context, limit int, states ...string) ([]store.Deployment, error) {
	repos, err := d.readableRepos(ctx)
	if err != nil {
		return nil, err
	}
	return d.cfg.Store.DeploymentsIn(ctx, storeKeys(repos), states, limit)
}

// deploymentsData is the Deployments page.
type deploymentsData struct {
	Title                      string
	Waiting, Running, Finished []deploymentView
}

// deploymentsPage lists the deployments of the repositories the viewer
// may read: waiting on a gate, running, and the latest finished.
func (d *Dashboard) deploymentsPage(w http.ResponseWriter, r *http.Request) {
	now := d.now()
	repos, err := d.readableRepos(r.Context())
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	keys := storeKeys(repos)
	running, err := d.cfg.Store.DeploymentsIn(r.Context(), keys, []string{deploy.StatusRunning}, listRunning)
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	finished, err := d.cfg.Store.DeploymentsIn(r.Context(), keys, []string{deploy.StatusSucceeded, deploy.StatusFailed}, listFinished)
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	data := deploymentsData{Title: "Deployments"}
	for _, dep := range running {
		dv := viewOf(dep, now)
		if dv.Waiting {
			data.Waiting = append(data.Waiting, dv)
		} else {
			data.Running = append(data.Running, dv)
		}
	}
	for _, dep := range finished {
		data.Finished = append(data.Finished, viewOf(dep, now))
	}
	d.render(w, r, "deployments.html", data)
}

// deploymentView is a deployment as the pages show it.
type deploymentView struct {
	ID, Path, EventsPath, ReleasePath string
	Host                              policies.Host
	Repo, Environment, Version        string
	Kind, Status, Message, Trigger    string
	StartedBy, PreviousVersion        string
	RolledBack                        string
	Created, Ended                    time.Time
	Duration                          time.Duration
	// Seconds is Duration for a <meter>, the scale of the steps' own.
	Seconds  float64
	Revision int64
	// Waiting is true while the current step is a gate; Current names
	// the current step.
	Waiting bool
	Current string
	Steps   []stepView
	// Unreadable is set when the stored state could not be decoded.
	Unreadable bool
}

// stepView is one step of a deployment.
type stepView struct {
	Name, Status, Message, URL string
	RunID                      int64
	RunStatus, Conclusion      string
	Tries                      int
	Started, Ended, Until      time.Time
	Duration                   time.Duration
	Seconds                    float64
	Current                    bool
	Decisions                  []deploy.Decision
}

// Gate steps' names (deploy's plan): a running one waits for people.
var gateSteps = map[string]bool{"approval": true, "freeze": true}

// viewOf turns a stored deployment into its view at now.
func viewOf(dep store.Deployment, now time.Time) deploymentView {
	dv := deploymentView{ID: dep.ID, Host: dep.Host, Repo: dep.Repo, Environment: dep.Environment, Version: dep.Version,
		Status: dep.State, Created: dep.CreatedAt, Revision: dep.Revision,
		Path:        deploymentPath(dep),
		EventsPath:  repoPath(dep.Host, dep.Repo, "deployment-events", url.PathEscape(instanceOf(dep))),
		ReleasePath: ReleasePath(dep.Host, dep.Repo, dep.Version)}
	var st deploy.State
	if err := json.Unmarshal(dep.Data, &st); err != nil {
		dv.Unreadable = true
		return dv
	}
	dv.Kind, dv.Message, dv.Trigger, dv.StartedBy = st.Kind, st.Message, st.Trigger, st.StartedBy.String()
	dv.PreviousVersion, dv.RolledBack, dv.Ended = st.PreviousVersion, st.RolledBack, st.EndedAt
	end := st.EndedAt
	if end.IsZero() {
		end = now
	}
	dv.Duration = end.Sub(st.CreatedAt)
	dv.Seconds = dv.Duration.Seconds()
	for i, s := range st.Steps {
		sv := stepView{Name: s.Name, Status: s.Status, Message: s.Message, URL: safeURL(s.URL), RunID: s.RunID, RunStatus: s.RunStatus,
			Conclusion: s.Conclusion, Tries: s.Tries, Started: s.StartedAt, Ended: s.EndedAt, Until: s.Until, Decisions: s.Decisions,
			Current: i == st.Step && !st.Done()}
		if sv.Status == "" {
			sv.Status = "pending"
		}
		if !s.StartedAt.IsZero() {
			stop := s.EndedAt
			if stop.IsZero() {
				stop = now
			}
			sv.Duration = stop.Sub(s.StartedAt)
			sv.Seconds = sv.Duration.Seconds()
		}
		if sv.Current {
			dv.Current = s.Name
			dv.Waiting = gateSteps[s.Name] && s.Status == "running"
		}
		dv.Steps = append(dv.Steps, sv)
	}
	if dv.Waiting {
		dv.Status = "waiting"
	}
	return dv
}

// safeURL keeps http(s) links only: a step's URL comes from a host's API.
func safeURL(s string) string {
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return s
	}
	return ""
}

// instanceOf is what a deployment's ID holds after its host and
// repository: its environment, version and kind.
func instanceOf(dep store.Deployment) string {
	return strings.TrimPrefix(dep.ID, string(dep.Host)+":"+dep.Repo+":")
}

// deploymentPath is the dashboard path of a deployment's page.
func deploymentPath(dep store.Deployment) string {
	return repoPath(dep.Host, dep.Repo, "deployments", url.PathEscape(instanceOf(dep)))
}

// ReleasePath is the dashboard path of a version's release page.
func ReleasePath(host policies.Host, repo, version string) string {
	return repoPath(host, repo, "releases", url.PathEscape(version))
}

// deploymentOf reads the deployment a repository page names, nil when the
// repository has no such deployment.
func (d *Dashboard) deploymentOf(r *http.Request) (*store.Deployment, error) {
	host, repo := policies.Host(r.PathValue("host")), r.PathValue("repo")
	dep, err := d.cfg.Store.GetDeployment(r.Context(), string(host)+":"+repo+":"+r.PathValue("arg"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if dep.Host != host || dep.Repo != repo {
		// An ID is host:repo:instance, but trust the columns.
		return nil, nil
	}
	return &dep, nil
}

// deploymentData is a deployment's page.
type deploymentData struct {
	Title string
	D     deploymentView
	Gate  *gateView
	Audit []store.AuditEvent
}

// deploymentPage shows one deployment: its steps, runs, health checks and
// gate decisions, its audit trail (refusals included), and the gate's
// Approve and Reject forms when the viewer may decide.
func (d *Dashboard) deploymentPage(w http.ResponseWriter, r *http.Request) {
	dep, err := d.deploymentOf(r)
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	if dep == nil {
		d.renderError(w, r, http.StatusNotFound, "There is no such deployment in this repository.")
		return
	}
	dv := viewOf(*dep, d.now())
	data := deploymentData{Title: dv.Version + " to " + dv.Environment, D: dv}
	if dv.Waiting {
		v, _ := ViewerFrom(r.Context())
		if g, ok, err := d.gateOf(r, v, *dep); err != nil {
			d.storeError(w, r, err)
			return
		} else if ok {
			data.Gate = &g
		}
	}
	if data.Audit, err = d.auditOf(r.Context(), *dep); err != nil {
		d.storeError(w, r, err)
		return
	}
	d.render(w, r, "deployment.html", data)
}

// auditOf returns the audit events of one deployment, newest first: those
// of its environment and version since it was created that name it (a
// rollback to the same version is another deployment).
func (d *Dashboard) auditOf(ctx context.Context, dep store.Deployment) ([]store.AuditEvent, error) {
	events, err := d.cfg.Store.AuditAbout(ctx, store.SubjectAudit{Host: dep.Host, Repo: dep.Repo,
		Subject: dep.Environment + "@" + dep.Version + ": ", Prefix: true, Since: dep.CreatedAt, Limit: 200})
	if err != nil {
		return nil, err
	}
	out := events[:0]
	for _, e := range events {
		var detail struct {
			Deployment string `json:"deployment"`
		}
		if json.Unmarshal(e.Detail, &detail) == nil && detail.Deployment == dep.ID {
			out = append(out, e)
		}
	}
	return out, nil
}

// Path is the dashboard path of the overview row's deployment.
func (r deploymentRow) Path() string {
	return repoPath(r.Host, r.Repo, "deployments", url.PathEscape(strings.TrimPrefix(r.ID, string(r.Host)+":"+r.Repo+":")))
}

// ReleasePath is the dashboard path of the overview row's version.
func (r deploymentRow) ReleasePath() string { return ReleasePath(r.Host, r.Repo, r.Version) }
