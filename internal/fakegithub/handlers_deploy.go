package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/google/go-github/v62/github"
)

func (c *call) deployment(r *repoState, d *Deployment) *github.Deployment {
	return &github.Deployment{
		ID:            ptr(d.ID),
		NodeID:        ptr(fmt.Sprintf("DE_%d", d.ID)),
		SHA:           ptr(d.SHA),
		Ref:           ptr(d.Ref),
		Task:          ptr(d.Task),
		Payload:       d.Payload,
		Environment:   ptr(d.Environment),
		Description:   optional(d.Description),
		Creator:       c.user(d.Creator),
		CreatedAt:     stamp(d.CreatedAt),
		UpdatedAt:     stamp(d.CreatedAt),
		URL:           ptr(c.apiURL("repos/%s/deployments/%d", r.FullName, d.ID)),
		StatusesURL:   ptr(c.apiURL("repos/%s/deployments/%d/statuses", r.FullName, d.ID)),
		RepositoryURL: ptr(c.apiURL("repos/%s", r.FullName)),
	}
}

// createDeployment creates a deployment of a ref that must exist. It does
// not check commit statuses (required_contexts) nor merge (auto_merge).
func createDeployment(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Ref                   string          `json:"ref"`
		Task                  *string         `json:"task"`
		Payload               json.RawMessage `json:"payload"`
		Environment           *string         `json:"environment"`
		Description           string          `json:"description"`
		TransientEnvironment  bool            `json:"transient_environment"`
		ProductionEnvironment *bool           `json:"production_environment"`
	}
	if !c.decode(&in) {
		return
	}
	sha := r.resolve(in.Ref)
	if sha == "" {
		c.fail(http.StatusUnprocessableEntity, "No ref found for: "+in.Ref)
		return
	}
	d := &Deployment{
		ID: c.s.st.id(), Repo: r.FullName, Ref: in.Ref, SHA: sha, Task: "deploy", Environment: "production",
		Description: in.Description, TransientEnvironment: in.TransientEnvironment,
		Creator: c.s.bot, CreatedAt: c.s.clock(),
	}
	if in.Task != nil {
		d.Task = *in.Task
	}
	if in.Environment != nil {
		d.Environment = *in.Environment
	}
	d.ProductionEnvironment = d.Environment == "production"
	if in.ProductionEnvironment != nil {
		d.ProductionEnvironment = *in.ProductionEnvironment
	}
	d.Payload = in.Payload
	if len(d.Payload) == 0 || string(d.Payload) == "null" {
		d.Payload = json.RawMessage(`{}`)
	}
	r.deployments = append(r.deployments, d)
	c.json(http.StatusCreated, c.deployment(r, d))
}

// listDeployments filters by sha, ref, task and environment, newest first.
func listDeployments(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var list []*Deployment
	for i := len(r.deployments) - 1; i >= 0; i-- {
		d := r.deployments[i]
		if !matches(c, "sha", d.SHA) || !matches(c, "ref", d.Ref) || !matches(c, "task", d.Task) || !matches(c, "environment", d.Environment) {
			continue
		}
		list = append(list, d)
	}
	out := make([]*github.Deployment, 0, len(list))
	for _, d := range paginate(c, list) {
		out = append(out, c.deployment(r, d))
	}
	c.json(http.StatusOK, out)
}

// findByID returns the item whose ID is the path parameter param, or
// answers 404 (or 400 for a malformed ID) and returns nil.
func findByID[T any](c *call, param string, items []*T, id func(*T) int64) *T {
	want, ok := c.number(param)
	if !ok {
		return nil
	}
	for _, it := range items {
		if id(it) == want {
			return it
		}
	}
	c.notFound()
	return nil
}

// matches is true when the query does not filter on name or its value is v.
func matches(c *call, name, v string) bool {
	q := c.query.Get(name)
	return q == "" || q == v
}

func (c *call) findDeployment(r *repoState) *Deployment {
	return findByID(c, "deployment_id", r.deployments, func(x *Deployment) int64 { return x.ID })
}

func getDeployment(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if d := c.findDeployment(r); d != nil {
		c.json(http.StatusOK, c.deployment(r, d))
	}
}

func (c *call) deploymentStatus(r *repoState, d *Deployment, st DeploymentStatus) *github.DeploymentStatus {
	return &github.DeploymentStatus{
		ID:             ptr(st.ID),
		NodeID:         ptr(fmt.Sprintf("DES_%d", st.ID)),
		State:          ptr(st.State),
		Description:    ptr(st.Description),
		Environment:    ptr(st.Environment),
		EnvironmentURL: ptr(st.EnvironmentURL),
		LogURL:         ptr(st.LogURL),
		TargetURL:      ptr(st.LogURL),
		Creator:        c.user(st.Creator),
		CreatedAt:      stamp(st.CreatedAt),
		UpdatedAt:      stamp(st.CreatedAt),
		URL:            ptr(c.apiURL("repos/%s/deployments/%d/statuses/%d", r.FullName, d.ID, st.ID)),
		DeploymentURL:  ptr(c.apiURL("repos/%s/deployments/%d", r.FullName, d.ID)),
		RepositoryURL:  ptr(c.apiURL("repos/%s", r.FullName)),
	}
}

// createDeploymentStatus adds a status. With auto_inactive (the default),
// a success marks the earlier successful deployments of the same
// environment inactive, unless they are transient or production ones, as
// GitHub does.
func createDeploymentStatus(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	d := c.findDeployment(r)
	if d == nil {
		return
	}
	var in struct {
		State          string  `json:"state"`
		TargetURL      string  `json:"target_url"`
		LogURL         string  `json:"log_url"`
		Description    string  `json:"description"`
		Environment    *string `json:"environment"`
		EnvironmentURL string  `json:"environment_url"`
		AutoInactive   *bool   `json:"auto_inactive"`
	}
	if !c.decode(&in) {
		return
	}
	switch in.State {
	case "error", "failure", "inactive", "in_progress", "queued", "pending", "success":
	default:
		c.invalid("DeploymentStatus", "state", "invalid", "state is not included in the list")
		return
	}
	if in.LogURL == "" {
		in.LogURL = in.TargetURL
	}
	if in.Environment != nil && *in.Environment != "" {
		d.Environment = *in.Environment
	}
	st := DeploymentStatus{
		ID: c.s.st.id(), State: in.State, Description: in.Description, LogURL: in.LogURL,
		EnvironmentURL: in.EnvironmentURL, Environment: d.Environment, Creator: c.s.bot, CreatedAt: c.s.clock(),
	}
	d.Statuses = append(d.Statuses, st)
	c.s.effects.deploymentStatuses = append(c.s.effects.deploymentStatuses, fmt.Sprintf("%s:%s@%s:%s", r.FullName, d.Environment, d.Ref, st.State))
	if in.State == "success" && (in.AutoInactive == nil || *in.AutoInactive) {
		for _, other := range r.deployments {
			if other == d || other.Environment != d.Environment || other.TransientEnvironment || other.ProductionEnvironment ||
				len(other.Statuses) == 0 || other.Statuses[len(other.Statuses)-1].State != "success" {
				continue
			}
			other.Statuses = append(other.Statuses, DeploymentStatus{
				ID: c.s.st.id(), State: "inactive", Environment: other.Environment, Creator: c.s.bot,
				CreatedAt: c.s.clock(), Auto: true,
			})
			c.s.effects.deploymentStatuses = append(c.s.effects.deploymentStatuses, fmt.Sprintf("%s:%s@%s:inactive (auto)", r.FullName, other.Environment, other.Ref))
		}
	}
	c.json(http.StatusCreated, c.deploymentStatus(r, d, st))
}

func listDeploymentStatuses(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	d := c.findDeployment(r)
	if d == nil {
		return
	}
	list := make([]DeploymentStatus, 0, len(d.Statuses))
	for i := len(d.Statuses) - 1; i >= 0; i-- {
		list = append(list, d.Statuses[i])
	}
	out := make([]*github.DeploymentStatus, 0, len(list))
	for _, st := range paginate(c, list) {
		out = append(out, c.deploymentStatus(r, d, st))
	}
	c.json(http.StatusOK, out)
}

// workflowID derives a stable numeric ID for a workflow file.
func workflowID(file string) int64 { return userID("workflow:" + file) }

// dispatchWorkflow records the dispatch and creates a queued run of the
// workflow at the ref, which must exist.
func dispatchWorkflow(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Ref    string         `json:"ref"`
		Inputs map[string]any `json:"inputs"`
	}
	if !c.decode(&in) {
		return
	}
	sha := r.resolve(in.Ref)
	if sha == "" {
		c.fail(http.StatusUnprocessableEntity, "No ref found for: "+in.Ref)
		return
	}
	file := c.params["workflow_id"]
	run := &WorkflowRun{
		ID: c.s.st.id(), Workflow: file, Name: workflowName(file), HeadBranch: shortRef(in.Ref), HeadSHA: sha,
		Event: "workflow_dispatch", Status: "queued", Actor: c.s.bot, Inputs: in.Inputs, CreatedAt: c.s.clock(),
	}
	run.DisplayTitle = r.displayTitle(run, in.Ref)
	r.runs = append(r.runs, run)
	names := make([]string, 0, len(in.Inputs))
	for k := range in.Inputs {
		names = append(names, k)
	}
	sort.Strings(names)
	effect := fmt.Sprintf("%s:%s@%s", r.FullName, file, in.Ref)
	for _, k := range names {
		effect += fmt.Sprintf(" %s=%v", k, in.Inputs[k])
	}
	c.s.effects.dispatches = append(c.s.effects.dispatches, effect)
	c.noContent()
}

func (c *call) workflowRun(r *repoState, run *WorkflowRun) runJSON {
	return runJSON{Path: run.path(), WorkflowRun: &github.WorkflowRun{
		ID:              ptr(run.ID),
		NodeID:          ptr(fmt.Sprintf("WFR_%d", run.ID)),
		Name:            ptr(run.Name),
		DisplayTitle:    ptr(run.DisplayTitle),
		HeadBranch:      ptr(run.HeadBranch),
		HeadSHA:         ptr(run.HeadSHA),
		RunNumber:       ptr(int(run.ID % 10000)),
		RunAttempt:      ptr(1),
		Event:           ptr(run.Event),
		Status:          ptr(run.Status),
		Conclusion:      optional(run.Conclusion),
		WorkflowID:      ptr(workflowID(run.Workflow)),
		CreatedAt:       stamp(run.CreatedAt),
		UpdatedAt:       stamp(run.CreatedAt),
		Actor:           c.user(run.Actor),
		TriggeringActor: c.user(run.Actor),
		URL:             ptr(c.apiURL("repos/%s/actions/runs/%d", r.FullName, run.ID)),
		HTMLURL:         ptr(fmt.Sprintf("%s/%s/actions/runs/%d", c.s.srv.URL, r.FullName, run.ID)),
		WorkflowURL:     ptr(c.apiURL("repos/%s/actions/workflows/%d", r.FullName, workflowID(run.Workflow))),
		Repository:      c.repository(r),
	}}
}

// listWorkflowRuns filters by workflow (for the per-workflow route),
// actor, branch, event, status (a status or a conclusion) and head_sha,
// newest first.
func listWorkflowRuns(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	wf := c.params["workflow_id"]
	var list []*WorkflowRun
	for i := len(r.runs) - 1; i >= 0; i-- {
		run := r.runs[i]
		if wf != "" && wf != run.Workflow && wf != strconv.FormatInt(workflowID(run.Workflow), 10) {
			continue
		}
		if !matches(c, "actor", run.Actor) || !matches(c, "branch", run.HeadBranch) ||
			!matches(c, "event", run.Event) || !matches(c, "head_sha", run.HeadSHA) {
			continue
		}
		if st := c.query.Get("status"); st != "" && st != run.Status && st != run.Conclusion {
			continue
		}
		list = append(list, run)
	}
	out := make([]runJSON, 0, len(list))
	for _, run := range paginate(c, list) {
		out = append(out, c.workflowRun(r, run))
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(list), "workflow_runs": out})
}

func (c *call) findRun(r *repoState) *WorkflowRun {
	return findByID(c, "run_id", r.runs, func(x *WorkflowRun) int64 { return x.ID })
}

func getWorkflowRun(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if run := c.findRun(r); run != nil {
		c.json(http.StatusOK, c.workflowRun(r, run))
	}
}

// reviewProtectionRule records a custom deployment protection rule's
// answer for a run waiting on it.
func reviewProtectionRule(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	run := c.findRun(r)
	if run == nil {
		return
	}
	var in struct {
		EnvironmentName string `json:"environment_name"`
		State           string `json:"state"`
		Comment         string `json:"comment"`
	}
	if !c.decode(&in) {
		return
	}
	if in.EnvironmentName == "" || (in.State != "approved" && in.State != "rejected") {
		c.invalid("DeploymentProtectionRule", "state", "invalid", "environment_name and state (approved or rejected) are required")
		return
	}
	c.s.effects.protectionReviews = append(c.s.effects.protectionReviews, fmt.Sprintf("%s:run-%d:%s=%s", r.FullName, run.ID, in.EnvironmentName, in.State))
	c.noContent()
}
