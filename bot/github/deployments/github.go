package deployments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/policies"
)

// GitHub is the orchestrator's GitHub, on the App's client: the
// deployments mirror, workflows, protection-rule answers, team membership,
// releases, e-mail addresses and the deploy policy.
type GitHub struct {
	app *github.App
}

// New returns GitHub's deployment integrations on app.
func New(app *github.App) *GitHub { return &GitHub{app: app} }

var (
	_ deploy.Mirror          = (*GitHub)(nil)
	_ deploy.Workflows       = (*GitHub)(nil)
	_ deploy.ProtectionRules = (*GitHub)(nil)
	_ deploy.Teams           = (*GitHub)(nil)
	_ deploy.Policies        = (*GitHub)(nil)
	_ deploy.Releases        = (*GitHub)(nil)
	_ deploy.Emails          = (*GitHub)(nil)
)

// Integrations are the orchestrator's GitHub integrations (Config.Hosts).
func (g *GitHub) Integrations() deploy.HostIntegrations {
	return deploy.HostIntegrations{Policies: g, Mirror: g, Workflows: g, Protection: g, Teams: g, Emails: g, Releases: g, Notes: g}
}

// Self implements deploy.Workflows: the login Shipgate's API calls act
// as, which every workflow run it dispatches names as its actor.
func (g *GitHub) Self(ctx context.Context) (string, error) { return g.app.Identify(ctx) }

// DeployPolicy reads the policy of repo's default branch. A missing or
// invalid policy is an error: nothing deploys without a valid policy.
func (g *GitHub) DeployPolicy(ctx context.Context, host policies.Host, repo string) (*policies.Policy, error) {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return nil, err
	}
	lp, err := gate.LoadPolicy(ctx, s, github.PolicyFile, "")
	switch {
	case err != nil:
		return nil, err
	case lp.Missing:
		return nil, fmt.Errorf("%s has no %s on its default branch", repo, github.PolicyFile)
	case lp.Invalid != nil:
		return nil, fmt.Errorf("the policy of %s is invalid: %w", repo, lp.Invalid)
	}
	return lp.Policy, nil
}

// CreateDeployment creates a deployment of ref to environment:
// POST /repos/{owner}/{repo}/deployments (auto_merge off, no required
// contexts: the tag was validated already).
func (g *GitHub) CreateDeployment(ctx context.Context, repo, ref, environment, description string) (int64, error) {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return 0, err
	}
	d, _, err := s.API().Repositories.CreateDeployment(ctx, s.Owner(), s.Short(), &gh.DeploymentRequest{
		Ref: gh.String(ref), Environment: gh.String(environment), Description: gh.String(description),
		AutoMerge: gh.Bool(false), RequiredContexts: &[]string{}, ProductionEnvironment: gh.Bool(strings.EqualFold(environment, "production")),
	})
	if err != nil {
		return 0, s.Wrap(err, "creating the deployment of %s to %s on %s", ref, environment, repo)
	}
	return d.GetID(), nil
}

// SetDeploymentStatus adds a status to a deployment:
// POST /repos/{owner}/{repo}/deployments/{id}/statuses.
func (g *GitHub) SetDeploymentStatus(ctx context.Context, repo string, id int64, state, description string) error {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return err
	}
	_, _, err = s.API().Repositories.CreateDeploymentStatus(ctx, s.Owner(), s.Short(), id, &gh.DeploymentStatusRequest{
		State: gh.String(state), Description: gh.String(description), AutoInactive: gh.Bool(true),
	})
	if err != nil {
		return s.Wrap(err, "setting deployment %d of %s to %s", id, repo, state)
	}
	return nil
}

// DispatchWorkflow runs a workflow:
// POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches.
func (g *GitHub) DispatchWorkflow(ctx context.Context, repo, workflow, ref string, inputs map[string]string) error {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return err
	}
	in := make(map[string]any, len(inputs))
	for k, v := range inputs {
		in[k] = v
	}
	if _, err := s.API().Actions.CreateWorkflowDispatchEventByFileName(ctx, s.Owner(), s.Short(), workflow, gh.CreateWorkflowDispatchEventRequest{Ref: ref, Inputs: in}); err != nil {
		return s.Wrap(err, "dispatching %s at %s on %s", workflow, ref, repo)
	}
	return nil
}

// ListWorkflowRuns returns the newest workflow_dispatch runs of workflow:
// GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs?event=workflow_dispatch.
// go-github's WorkflowRun has no path, so the answer is decoded here.
func (g *GitHub) ListWorkflowRuns(ctx context.Context, repo, workflow string) ([]deploy.WorkflowRun, error) {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return nil, err
	}
	u := fmt.Sprintf("repos/%s/%s/actions/workflows/%s/runs?event=workflow_dispatch&per_page=50", url.PathEscape(s.Owner()), url.PathEscape(s.Short()), url.PathEscape(workflow))
	req, err := s.API().NewRequest("GET", u, nil)
	if err != nil {
		return nil, fmt.Errorf("listing the runs of %s on %s: %w", workflow, repo, err)
	}
	var page struct {
		WorkflowRuns []*workflowRun `json:"workflow_runs"`
	}
	if _, err := s.API().Do(ctx, req, &page); err != nil {
		return nil, s.Wrap(err, "listing the runs of %s on %s", workflow, repo)
	}
	out := make([]deploy.WorkflowRun, 0, len(page.WorkflowRuns))
	for _, r := range page.WorkflowRuns {
		out = append(out, r.run())
	}
	return out, nil
}

// GetWorkflowRun reads a run: GET /repos/{owner}/{repo}/actions/runs/{id}.
func (g *GitHub) GetWorkflowRun(ctx context.Context, repo string, id int64) (deploy.WorkflowRun, error) {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return deploy.WorkflowRun{}, err
	}
	req, err := s.API().NewRequest("GET", fmt.Sprintf("repos/%s/%s/actions/runs/%d", url.PathEscape(s.Owner()), url.PathEscape(s.Short()), id), nil)
	if err != nil {
		return deploy.WorkflowRun{}, fmt.Errorf("reading run %d of %s: %w", id, repo, err)
	}
	var r workflowRun
	if _, err := s.API().Do(ctx, req, &r); err != nil {
		return deploy.WorkflowRun{}, s.Wrap(err, "reading run %d of %s", id, repo)
	}
	return r.run(), nil
}

// workflowRun is a run as GitHub sends it: go-github's WorkflowRun and the
// workflow's path, which go-github leaves out.
type workflowRun struct {
	gh.WorkflowRun
	Path string `json:"path"`
}

// run translates a run into the facts the orchestrator checks.
func (r *workflowRun) run() deploy.WorkflowRun {
	return deploy.WorkflowRun{ID: r.GetID(), Status: r.GetStatus(), Conclusion: r.GetConclusion(), URL: r.GetHTMLURL(),
		Name: r.GetName(), DisplayTitle: r.GetDisplayTitle(), Event: r.GetEvent(), Path: r.Path, WorkflowID: r.GetWorkflowID(),
		HeadBranch: r.GetHeadBranch(), Actor: r.GetActor().GetLogin(), CreatedAt: r.GetCreatedAt().Time}
}

// ReviewProtectionRule answers a custom deployment protection rule:
// POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule.
// go-github has no method for it; the request is built by hand.
func (g *GitHub) ReviewProtectionRule(ctx context.Context, repo string, runID int64, environment, state, comment string) error {
	s, err := g.app.Session(ctx, 0, repo)
	if err != nil {
		return err
	}
	u := fmt.Sprintf("repos/%s/%s/actions/runs/%d/deployment_protection_rule", s.Owner(), s.Short(), runID)
	req, err := s.API().NewRequest("POST", u, map[string]string{"environment_name": environment, "state": state, "comment": comment})
	if err != nil {
		return fmt.Errorf("answering the protection rule of run %d on %s: %w", runID, repo, err)
	}
	if _, err := s.API().Do(ctx, req, nil); err != nil {
		return s.Wrap(err, "answering the protection rule of run %d on %s", runID, repo)
	}
	return nil
}

// IsTeamMember reports whether login is an active member of team
// ("org/slug"): GET /orgs/{org}/teams/{slug}/memberships/{login}.
func (g *GitHub) IsTeamMember(ctx context.Context, team, login string) (bool, error) {
	org, slug, ok := strings.Cut(team, "/")
	if !ok {
		return false, fmt.Errorf("%q is not org/team", team)
	}
	s, err := g.app.Session(ctx, 0, org+"/"+slug) // the installation on the organisation
	if err != nil {
		return false, err
	}
	m, _, err := s.API().Teams.GetTeamMembershipBySlug(ctx, org, slug, login)
	if github.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the membership of %s in @%s: %w", login, team, err)
	}
	return m.GetState() == "active", nil
}

// WorkflowRunEvent is the part of a workflow_run webhook the orchestrator
// follows.
type WorkflowRunEvent struct {
	Repo string
	Run  deploy.WorkflowRun
}

// ParseWorkflowRun translates a workflow_run webhook payload, with the
// facts that tell whether Shipgate dispatched the run (event, path, head
// branch, actor, created_at).
func ParseWorkflowRun(payload []byte) (WorkflowRunEvent, error) {
	var e struct {
		WorkflowRun *workflowRun   `json:"workflow_run"`
		Repo        *gh.Repository `json:"repository"`
	}
	if err := json.Unmarshal(payload, &e); err != nil {
		return WorkflowRunEvent{}, fmt.Errorf("decoding a workflow_run event: %w", err)
	}
	if e.WorkflowRun == nil || e.Repo == nil {
		return WorkflowRunEvent{}, errors.New("a workflow_run event without a run or a repository")
	}
	return WorkflowRunEvent{Repo: e.Repo.GetFullName(), Run: e.WorkflowRun.run()}, nil
}

// ProtectionRuleEvent is a deployment_protection_rule webhook, translated.
type ProtectionRuleEvent struct {
	Repo, Environment, Ref, Sender string
	RunID                          int64
}

// ParseProtectionRule translates a deployment_protection_rule payload; the
// run is the number at the end of its deployment_callback_url.
func ParseProtectionRule(payload []byte) (ProtectionRuleEvent, error) {
	var e gh.DeploymentProtectionRuleEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return ProtectionRuleEvent{}, fmt.Errorf("decoding a deployment_protection_rule event: %w", err)
	}
	cb := e.GetDeploymentCallbackURL()
	var runID int64
	if i := strings.Index(cb, "/runs/"); i >= 0 {
		fmt.Sscanf(cb[i+len("/runs/"):], "%d", &runID)
	}
	if runID == 0 || e.Repo == nil {
		return ProtectionRuleEvent{}, fmt.Errorf("a deployment_protection_rule event without a run in its callback URL %q", cb)
	}
	ev := ProtectionRuleEvent{Repo: e.Repo.GetFullName(), Environment: e.GetEnvironment(), RunID: runID, Sender: e.GetSender().GetLogin()}
	if e.Deployment != nil {
		ev.Ref = e.Deployment.GetRef()
	}
	return ev, nil
}
