package deploy

import (
	"context"
	"fmt"
	"slices"
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

// pollRuns is how often a followed run is read through the API, in case its
// workflow_run webhooks are lost; the webhooks move the step at once.
const pollRuns = time.Minute

// redispatchAfter is how long a step waits for the run of an unconfirmed
// dispatch before dispatching again: GitHub lists a run seconds after its
// dispatch.
const redispatchAfter = 3 * time.Minute

// maxIgnored bounds the runs a step remembers having ignored.
const maxIgnored = 100

// workflowStep dispatches a workflow once per attempt and follows its run
// through workflow_run webhooks, with the API as a fallback. A run counts
// only if it carries the step's random key and Shipgate's own dispatch
// made it (see mismatch).
type workflowStep struct {
	o  *Orchestrator
	wf *policies.WorkflowStep
}

func (s *workflowStep) Name() string { return "workflow " + s.wf.Workflow }

func (s *workflowStep) Run(ctx context.Context, st *State) (Result, error) {
	if s.o.cfg.Workflows == nil {
		return failed("github_workflow steps need the GitHub App")
	}
	cur := st.Current()
	if cur.Conclusion != "" {
		return s.concluded(cur)
	}
	if cur.Key == "" {
		ref, _, err := s.inputs(st)
		if err != nil {
			return failed("%v", err)
		}
		// Saved before the key is claimed and the workflow dispatched, so
		// that a crash after the dispatch finds the key, and the run, again.
		cur.Key, cur.Dispatch = newKey(), &Dispatch{Workflow: s.wf.Workflow, Ref: ref, At: st.now}
		if err := s.o.save(ctx, st); err != nil {
			return Result{}, err
		}
	}
	s.ensureDispatch(st, cur)
	if !cur.Claimed {
		return s.claim(ctx, st, cur)
	}
	timeout := s.wf.Timeout
	if timeout <= 0 {
		timeout = time.Hour
	}
	if !st.now.Before(cur.StartedAt.Add(timeout)) {
		return failed("workflow %s did not finish within %s", s.wf.Workflow, timeout)
	}
	if st.now.Before(cur.CheckAt) {
		// An event before the check is due (a webhook of the run) asks
		// the API nothing.
		return waiting(cur.CheckAt, "workflow %s is %s", s.wf.Workflow, orDefault(cur.RunStatus, "queued"))
	}
	found, err := s.follow(ctx, st, cur)
	if err != nil {
		return Result{}, err
	}
	if cur.Conclusion != "" {
		return s.concluded(cur)
	}
	if !found && cur.Unconfirmed && !cur.Redispatched && !st.now.Before(cur.Dispatch.At.Add(redispatchAfter)) {
		// No run long after an unconfirmed dispatch: that dispatch never
		// happened. Dispatch once more under the same key, so that either
		// run is the step's.
		cur.Redispatched = true
		if res, ok, err := s.dispatch(ctx, st, " (again: no run followed an unconfirmed dispatch)"); !ok {
			return res, err
		}
	}
	cur.CheckAt = st.now.Add(pollRuns)
	return waiting(cur.CheckAt, "workflow %s is %s", s.wf.Workflow, orDefault(cur.RunStatus, "queued"))
}

func (s *workflowStep) concluded(cur *StepState) (Result, error) {
	if cur.Conclusion == "success" {
		return done("workflow %s succeeded", s.wf.Workflow)
	}
	return failed("workflow %s concluded %s", s.wf.Workflow, cur.Conclusion)
}

// claim claims the step's key in the store and dispatches; a key claimed
// before was claimed by a process that died before it saved, whose
// dispatch may never have reached GitHub.
func (s *workflowStep) claim(ctx context.Context, st *State, cur *StepState) (Result, error) {
	first, err := s.o.cfg.Store.ClaimStepKey(ctx, cur.Key, st.ID)
	if err != nil {
		return Result{}, err
	}
	cur.Claimed = true
	if !first {
		cur.Unconfirmed = true
	} else if res, ok, err := s.dispatch(ctx, st, ""); !ok {
		return res, err
	}
	cur.CheckAt = st.now.Add(pollRuns)
	return waiting(cur.CheckAt, "workflow %s dispatched; waiting for its run", s.wf.Workflow)
}

// ensureDispatch records, for a step that dispatched before Shipgate kept
// it, what the step dispatched: the policy's workflow and ref, no earlier
// than the step's start.
func (s *workflowStep) ensureDispatch(st *State, cur *StepState) {
	if cur.Dispatch != nil || cur.Key == "" {
		return
	}
	ref, _, err := s.inputs(st)
	if err != nil {
		ref = st.Version
	}
	cur.Dispatch, cur.Claimed = &Dispatch{Workflow: s.wf.Workflow, Ref: ref, At: cur.StartedAt}, true
}

// follow reads the step's run through the API: the one it follows, or the
// newest that carries its key and is Shipgate's dispatch. found is false
// when there is none yet.
func (s *workflowStep) follow(ctx context.Context, st *State, cur *StepState) (found bool, err error) {
	if cur.RunID != 0 {
		run, err := s.o.cfg.Workflows.GetWorkflowRun(ctx, st.Repo, cur.RunID)
		if err != nil {
			return false, fmt.Errorf("following %s for %s: %w", s.wf.Workflow, st, err)
		}
		applyRun(cur, run)
		return true, nil
	}
	runs, err := s.o.cfg.Workflows.ListWorkflowRuns(ctx, st.Repo, s.wf.Workflow)
	if err != nil {
		return false, fmt.Errorf("listing the runs of %s for %s: %w", s.wf.Workflow, st, err)
	}
	for _, run := range runs {
		if !slices.Contains(IDsOf(run), cur.Key) {
			continue
		}
		if ok, err := s.o.adopt(ctx, st, cur, run); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// dispatch starts the workflow under the step's key and audits it at once
// (the dispatch happened whether or not the next state is saved), its
// outcome the key and note. ok false ends the step's try with res and err.
func (s *workflowStep) dispatch(ctx context.Context, st *State, note string) (res Result, ok bool, err error) {
	ref, inputs, err := s.inputs(st)
	if err != nil {
		res, err = failed("%v", err)
		return res, false, err
	}
	if err := s.o.cfg.Workflows.DispatchWorkflow(ctx, st.Repo, s.wf.Workflow, ref, inputs); err != nil {
		// The key is spent: the next tries look for the run rather than
		// dispatching twice, and dispatch once more only if none appears.
		st.Current().Unconfirmed = true
		return Result{}, false, fmt.Errorf("dispatching %s for %s: %w", s.wf.Workflow, st, err)
	}
	s.o.auditNow(ctx, st, "deploy.dispatch", s.o.botActor(), s.wf.Workflow, st.Current().Key+note)
	return Result{}, true, nil
}

// adopt follows run for the current step if Shipgate's own dispatch made
// it; a run that carries the step's key without being that dispatch is
// ignored and audited once, as a mismatch.
func (o *Orchestrator) adopt(ctx context.Context, st *State, cur *StepState, run WorkflowRun) (bool, error) {
	self, err := o.cfg.Workflows.Self(ctx)
	if err != nil {
		return false, fmt.Errorf("learning Shipgate's own GitHub login: %w", err)
	}
	why := "the step has no record of its dispatch"
	if cur.Dispatch != nil {
		why = mismatch(run, *cur.Dispatch, self)
	}
	if why == "" {
		applyRun(cur, run)
		return true, nil
	}
	if slices.Contains(cur.Ignored, run.ID) {
		return false, nil
	}
	if len(cur.Ignored) < maxIgnored {
		cur.Ignored = append(cur.Ignored, run.ID)
	}
	o.audit(ctx, st, AuditRunMismatch, Actor{Login: run.Actor}, cur.Name, fmt.Sprintf("ignored run %d of %s: %s", run.ID, orDefault(run.Path, "an unknown workflow"), why))
	return false, nil
}

// AuditRunMismatch is the audit kind of a workflow run that carried a
// step's shipgate_id but was not Shipgate's dispatch, or named no step.
const AuditRunMismatch = "deploy.run_mismatch"

func applyRun(cur *StepState, run WorkflowRun) {
	cur.RunID, cur.RunStatus, cur.URL = run.ID, run.Status, orDefault(run.URL, cur.URL)
	if run.Status == "completed" {
		cur.Conclusion = orDefault(run.Conclusion, "unknown")
	}
}

// inputs renders the ref (default: the version's tag) and inputs, adding
// shipgate_id.
func (s *workflowStep) inputs(st *State) (string, map[string]string, error) {
	data := templateData(st)
	ref := st.Version
	if s.wf.Ref != nil {
		r, err := execute(s.wf.Ref, data)
		if err != nil {
			return "", nil, fmt.Errorf("workflow %s ref: %w", s.wf.Workflow, err)
		}
		ref = r
	}
	inputs := map[string]string{"shipgate_id": st.Current().Key}
	for k, t := range s.wf.Inputs {
		v, err := execute(t, data)
		if err != nil {
			return "", nil, fmt.Errorf("workflow %s input %s: %w", s.wf.Workflow, k, err)
		}
		inputs[k] = v
	}
	return ref, inputs, nil
}
