package deploy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"text/template"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// Workflows dispatches and reads GitHub Actions workflow runs.
type Workflows interface {
	// Self returns the login Shipgate's API calls act as ("<slug>[bot]"
	// for an App, the token's user otherwise): the actor of every run
	// Shipgate dispatches. Implementations ask once and cache it.
	Self(ctx context.Context) (string, error)
	// DispatchWorkflow creates a workflow_dispatch event (POST
	// /repos/{repo}/actions/workflows/{workflow}/dispatches).
	DispatchWorkflow(ctx context.Context, repo, workflow, ref string, inputs map[string]string) error
	// ListWorkflowRuns returns the newest workflow_dispatch runs of
	// workflow, newest first: one page of GET
	// /repos/{repo}/actions/workflows/{workflow}/runs.
	ListWorkflowRuns(ctx context.Context, repo, workflow string) ([]WorkflowRun, error)
	// GetWorkflowRun reads a run by ID.
	GetWorkflowRun(ctx context.Context, repo string, id int64) (WorkflowRun, error)
}

// Pipelines creates and reads GitLab pipelines, as WorkflowRuns (event:
// the pipeline's source; head branch: its ref; actor: its user).
type Pipelines interface {
	// Self returns the username Shipgate's token acts as: the user of
	// every pipeline Shipgate creates. Implementations ask once and cache
	// it.
	Self(ctx context.Context) (string, error)
	// CreatePipeline runs the project's pipeline for ref with variables
	// (POST /projects/:id/pipeline) and returns it.
	CreatePipeline(ctx context.Context, repo, ref string, variables map[string]string) (WorkflowRun, error)
	// ListPipelines returns the newest pipelines of ref that Shipgate's
	// user created through the API and that were updated since `since`,
	// newest first, with their Keys (their KeyVariable).
	ListPipelines(ctx context.Context, repo, ref string, since time.Time) ([]WorkflowRun, error)
	// GetPipeline reads a pipeline by ID; its Keys may be left out.
	GetPipeline(ctx context.Context, repo string, id int64) (WorkflowRun, error)
}

// The CI variables Shipgate gives every pipeline of a gitlab_pipeline
// step; a policy's variables cannot replace them.
const (
	// KeyVariable holds the step's random key: the pipeline's
	// shipgate_id, by which its Pipeline Hooks are found.
	KeyVariable         = "SHIPGATE_ID"
	VersionVariable     = "SHIPGATE_VERSION"
	EnvironmentVariable = "SHIPGATE_ENVIRONMENT"
)

// pollRuns is how often a followed run is read through the API, in case its
// webhooks are lost; the webhooks move the step at once.
const pollRuns = time.Minute

// redispatchAfter is how long a step waits for the run of an unconfirmed
// dispatch before dispatching again: the hosts list a run seconds after
// its dispatch.
const redispatchAfter = 3 * time.Minute

// maxIgnored bounds the runs a step remembers having ignored.
const maxIgnored = 100

// runner is how a CI step reaches its host's CI: GitHub Actions workflows
// (workflowRunner) or GitLab pipelines (pipelineRunner).
type runner interface {
	// what names the step's runs ("workflow deploy.yml", "pipeline"), and
	// target what it starts ("deploy.yml", "pipeline"), as audited.
	what() string
	target() string
	// missing says why the host's CI cannot be reached, "" when it can.
	missing() string
	// params renders the ref and the inputs of st's run, with the key.
	params(st *State, key string) (ref string, inputs map[string]string, err error)
	// dispatch is what a start at ref, no earlier than at, records.
	dispatch(ref string, at time.Time) Dispatch
	self(ctx context.Context) (string, error)
	// start starts a run; it returns the run when the host names it at
	// once (GitLab), a zero run when it does not (GitHub).
	start(ctx context.Context, repo, ref string, inputs map[string]string) (WorkflowRun, error)
	// list returns the runs that may be d's, newest first.
	list(ctx context.Context, repo string, d Dispatch) ([]WorkflowRun, error)
	get(ctx context.Context, repo string, id int64) (WorkflowRun, error)
}

// ciStep starts a CI run once per attempt and follows it through the
// host's webhooks, with the API as a fallback. A run counts only if it
// carries the step's random key and Shipgate's own start made it (see
// mismatch).
type ciStep struct {
	o       *Orchestrator
	r       runner
	timeout time.Duration
	// stage names the canary stage the run belongs to.
	stage string
}

func (s *ciStep) Name() string { return staged(s.stage, s.r.what()) }

func (s *ciStep) Run(ctx context.Context, st *State) (Result, error) {
	if why := s.r.missing(); why != "" {
		return failed("%s", why)
	}
	cur := st.Current()
	if cur.Conclusion != "" {
		return s.concluded(cur)
	}
	if cur.Key == "" {
		key := newKey()
		ref, _, err := s.r.params(st, key)
		if err != nil {
			return failed("%v", err)
		}
		// Saved before the key is claimed and the run started, so that a
		// crash after the start finds the key, and the run, again.
		cur.Key, cur.Dispatch = key, new(s.r.dispatch(ref, st.now))
		if err := s.o.save(ctx, st); err != nil {
			return Result{}, err
		}
	}
	s.ensureDispatch(st, cur)
	if !cur.Claimed {
		return s.claim(ctx, st, cur)
	}
	timeout := s.timeout
	if timeout <= 0 {
		timeout = time.Hour
	}
	if !st.now.Before(cur.StartedAt.Add(timeout)) {
		return failed("%s did not finish within %s", s.r.what(), timeout)
	}
	if st.now.Before(cur.CheckAt) {
		// An event before the check is due (a webhook of the run) asks
		// the API nothing.
		return waiting(cur.CheckAt, "%s is %s", s.r.what(), orDefault(cur.RunStatus, "queued"))
	}
	found, err := s.follow(ctx, st, cur)
	if err != nil {
		return Result{}, err
	}
	if cur.Conclusion != "" {
		return s.concluded(cur)
	}
	if !found && cur.Unconfirmed && !cur.Redispatched && !st.now.Before(cur.Dispatch.At.Add(redispatchAfter)) {
		// No run long after an unconfirmed start: that start never
		// happened. Start once more under the same key, so that either
		// run is the step's.
		cur.Redispatched = true
		if res, ok, err := s.start(ctx, st, " (again: no run followed an unconfirmed dispatch)"); !ok {
			return res, err
		}
	}
	cur.CheckAt = st.now.Add(pollRuns)
	return waiting(cur.CheckAt, "%s is %s", s.r.what(), orDefault(cur.RunStatus, "queued"))
}

func (s *ciStep) concluded(cur *StepState) (Result, error) {
	if cur.Conclusion == "success" {
		return done("%s succeeded", s.r.what())
	}
	return failed("%s concluded %s", s.r.what(), cur.Conclusion)
}

// claim claims the step's key in the store and starts the run; a key
// claimed before was claimed by a process that died before it saved, whose
// start may never have reached the host.
func (s *ciStep) claim(ctx context.Context, st *State, cur *StepState) (Result, error) {
	first, err := s.o.cfg.Store.ClaimStepKey(ctx, cur.Key, st.ID)
	if err != nil {
		return Result{}, err
	}
	cur.Claimed = true
	if !first {
		cur.Unconfirmed = true
	} else if res, ok, err := s.start(ctx, st, ""); !ok {
		return res, err
	}
	cur.CheckAt = st.now.Add(pollRuns)
	return waiting(cur.CheckAt, "%s started; waiting for its run", s.r.what())
}

// ensureDispatch records, for a step that dispatched before Shipgate kept
// it, what the step dispatched: the policy's workflow and ref, no earlier
// than the step's start.
func (s *ciStep) ensureDispatch(st *State, cur *StepState) {
	if cur.Dispatch != nil || cur.Key == "" {
		return
	}
	ref, _, err := s.r.params(st, cur.Key)
	if err != nil {
		ref = st.Version
	}
	cur.Dispatch, cur.Claimed = new(s.r.dispatch(ref, cur.StartedAt)), true
}

// follow reads the step's run through the API: the one it follows, or the
// newest that carries its key and is Shipgate's own. found is false when
// there is none yet.
func (s *ciStep) follow(ctx context.Context, st *State, cur *StepState) (found bool, err error) {
	if cur.RunID != 0 {
		run, err := s.r.get(ctx, st.Repo, cur.RunID)
		if err != nil {
			return false, fmt.Errorf("following %s for %s: %w", s.r.what(), st, err)
		}
		applyRun(cur, run)
		return true, nil
	}
	runs, err := s.r.list(ctx, st.Repo, *cur.Dispatch)
	if err != nil {
		return false, fmt.Errorf("listing the runs of %s for %s: %w", s.r.what(), st, err)
	}
	for _, run := range runs {
		if !slices.Contains(IDsOf(run), cur.Key) {
			continue
		}
		if ok, err := s.adopt(ctx, st, cur, located(run, st.Host, st.Repo)); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// start starts the run under the step's key and audits it at once (the
// start happened whether or not the next state is saved), its outcome the
// key and note. A run the host names at once is adopted, as its webhook
// would be. ok false ends the step's try with res and err.
func (s *ciStep) start(ctx context.Context, st *State, note string) (res Result, ok bool, err error) {
	cur := st.Current()
	ref, inputs, err := s.r.params(st, cur.Key)
	if err != nil {
		res, err = failed("%v", err)
		return res, false, err
	}
	run, err := s.r.start(ctx, st.Repo, ref, inputs)
	if err != nil {
		// The key is spent: the next tries look for the run rather than
		// starting twice, and start once more only if none appears.
		cur.Unconfirmed = true
		return Result{}, false, fmt.Errorf("starting %s for %s: %w", s.r.what(), st, err)
	}
	s.o.auditNow(ctx, st, "deploy.dispatch", s.o.botActor(), s.r.target(), cur.Key+note)
	if run.ID != 0 {
		if _, err := s.adopt(ctx, st, cur, located(run, st.Host, st.Repo)); err != nil {
			return Result{}, false, err
		}
	}
	return Result{}, true, nil
}

// adopt follows run for the current step if Shipgate's own start made it;
// a run that carries the step's key without being that start is ignored
// and audited once, as a mismatch.
func (s *ciStep) adopt(ctx context.Context, st *State, cur *StepState, run WorkflowRun) (bool, error) {
	self, err := s.r.self(ctx)
	if err != nil {
		return false, fmt.Errorf("learning Shipgate's own %s login: %w", st.Host, err)
	}
	why := "the step has no record of its dispatch"
	if cur.Dispatch != nil {
		why = mismatch(run, *cur.Dispatch, self, st.Host, st.Repo)
	}
	if why == "" {
		if cur.RunID == 0 && (cur.Unconfirmed || !cur.Claimed) {
			// The start was never heard of (a crash, a lost answer): its
			// audit is its run, found.
			s.o.audit(ctx, st, "deploy.dispatch", s.o.botActor(), s.r.target(), fmt.Sprintf("%s (run %d, found after a start that was not confirmed)", cur.Key, run.ID))
		}
		applyRun(cur, run)
		return true, nil
	}
	if slices.Contains(cur.Ignored, run.ID) {
		return false, nil
	}
	if len(cur.Ignored) < maxIgnored {
		cur.Ignored = append(cur.Ignored, run.ID)
	}
	s.o.audit(ctx, st, AuditRunMismatch, Actor{Login: run.Actor}, cur.Name, fmt.Sprintf("ignored run %d of %s: %s", run.ID, orDefault(run.Path, orDefault(run.Repo, "an unknown workflow")), why))
	return false, nil
}

// located is run with its host and repository filled in where the host
// left them out (an API answer about repo is about repo).
func located(run WorkflowRun, host policies.Host, repo string) WorkflowRun {
	if run.Host == "" {
		run.Host = host
	}
	if run.Repo == "" {
		run.Repo = repo
	}
	return run
}

// AuditRunMismatch is the audit kind of a CI run that carried a step's
// key but was not Shipgate's start, or named no step.
const AuditRunMismatch = "deploy.run_mismatch"

func applyRun(cur *StepState, run WorkflowRun) {
	cur.RunID, cur.RunStatus, cur.URL = run.ID, run.Status, orDefault(run.URL, cur.URL)
	if run.Status == "completed" {
		cur.Conclusion = orDefault(run.Conclusion, "unknown")
	}
}

// params renders a step's ref (default: the version's tag) and inputs,
// and sets the fixed ones (the key among them) over the policy's.
func params(st *State, what string, refT *template.Template, inputsT map[string]*template.Template, fixed map[string]string) (string, map[string]string, error) {
	data := templateData(st)
	ref := st.Version
	if refT != nil {
		r, err := execute(refT, data)
		if err != nil {
			return "", nil, fmt.Errorf("%s ref: %w", what, err)
		}
		ref = r
	}
	inputs := make(map[string]string, len(inputsT)+len(fixed))
	for k, t := range inputsT {
		v, err := execute(t, data)
		if err != nil {
			return "", nil, fmt.Errorf("%s input %s: %w", what, k, err)
		}
		inputs[k] = v
	}
	maps.Copy(inputs, fixed)
	return ref, inputs, nil
}

// workflowRunner dispatches a GitHub Actions workflow with the key as its
// shipgate_id input.
type workflowRunner struct {
	w  Workflows
	wf *policies.WorkflowStep
}

func (r workflowRunner) what() string   { return "workflow " + r.wf.Workflow }
func (r workflowRunner) target() string { return r.wf.Workflow }

func (r workflowRunner) missing() string {
	if r.w == nil {
		return "github_workflow steps need the GitHub App (or token) settings"
	}
	return ""
}

func (r workflowRunner) params(st *State, key string) (string, map[string]string, error) {
	return params(st, "workflow "+r.wf.Workflow, r.wf.Ref, r.wf.Inputs, map[string]string{"shipgate_id": key})
}

func (r workflowRunner) dispatch(ref string, at time.Time) Dispatch {
	return Dispatch{Workflow: r.wf.Workflow, Ref: ref, At: at, Event: EventWorkflowDispatch}
}

func (r workflowRunner) self(ctx context.Context) (string, error) { return r.w.Self(ctx) }

func (r workflowRunner) start(ctx context.Context, repo, ref string, inputs map[string]string) (WorkflowRun, error) {
	return WorkflowRun{}, r.w.DispatchWorkflow(ctx, repo, r.wf.Workflow, ref, inputs)
}

func (r workflowRunner) list(ctx context.Context, repo string, _ Dispatch) ([]WorkflowRun, error) {
	return r.w.ListWorkflowRuns(ctx, repo, r.wf.Workflow)
}

func (r workflowRunner) get(ctx context.Context, repo string, id int64) (WorkflowRun, error) {
	return r.w.GetWorkflowRun(ctx, repo, id)
}

// pipelineRunner creates GitLab pipelines with the key as their
// KeyVariable, beside the version and the environment.
type pipelineRunner struct {
	p  Pipelines
	ps *policies.PipelineStep
}

func (r pipelineRunner) what() string   { return "pipeline" }
func (r pipelineRunner) target() string { return "pipeline" }

func (r pipelineRunner) missing() string {
	if r.p == nil {
		return "gitlab_pipeline steps need the GitLab settings"
	}
	return ""
}

func (r pipelineRunner) params(st *State, key string) (string, map[string]string, error) {
	return params(st, "pipeline", r.ps.Ref, r.ps.Variables,
		map[string]string{KeyVariable: key, VersionVariable: st.Version, EnvironmentVariable: st.Environment})
}

func (r pipelineRunner) dispatch(ref string, at time.Time) Dispatch {
	return Dispatch{Ref: ref, At: at, Event: EventAPI}
}

func (r pipelineRunner) self(ctx context.Context) (string, error) { return r.p.Self(ctx) }

func (r pipelineRunner) start(ctx context.Context, repo, ref string, vars map[string]string) (WorkflowRun, error) {
	return r.p.CreatePipeline(ctx, repo, ref, vars)
}

func (r pipelineRunner) list(ctx context.Context, repo string, d Dispatch) ([]WorkflowRun, error) {
	return r.p.ListPipelines(ctx, repo, shortRef(d.Ref), d.At.Add(-clockSkew))
}

func (r pipelineRunner) get(ctx context.Context, repo string, id int64) (WorkflowRun, error) {
	return r.p.GetPipeline(ctx, repo, id)
}
