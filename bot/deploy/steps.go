package deploy

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/template"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// WorkflowRun is a GitHub Actions run as the orchestrator follows it.
type WorkflowRun struct {
	ID int64
	// Status is queued, in_progress or completed; Conclusion is set once
	// completed (success, failure, cancelled, …).
	Status     string
	Conclusion string
	URL        string
}

// ErrNoRun is returned by Workflows.FindWorkflowRun when no run carries the
// marker yet.
var ErrNoRun = errors.New("no workflow run found")

// Workflows dispatches and reads GitHub Actions workflow runs.
type Workflows interface {
	// DispatchWorkflow creates a workflow_dispatch event (POST
	// /repos/{repo}/actions/workflows/{workflow}/dispatches).
	DispatchWorkflow(ctx context.Context, repo, workflow, ref string, inputs map[string]string) error
	// FindWorkflowRun returns the newest run of workflow whose name or
	// display title contains marker (the shipgate_id input); ErrNoRun when
	// there is none.
	FindWorkflowRun(ctx context.Context, repo, workflow, marker string) (WorkflowRun, error)
	// GetWorkflowRun reads a run by ID.
	GetWorkflowRun(ctx context.Context, repo string, id int64) (WorkflowRun, error)
}

// pollRuns is how often a followed run is read through the API, in case its
// workflow_run webhook is lost.
const pollRuns = time.Minute

// workflowStep dispatches a workflow once per attempt and follows its run
// through workflow_run events, with the API as a fallback.
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
		if cur.Conclusion == "success" {
			return done("workflow %s succeeded", s.wf.Workflow)
		}
		return failed("workflow %s concluded %s", s.wf.Workflow, cur.Conclusion)
	}
	if cur.Key == "" {
		cur.Key = stepKey(st)
		first, err := s.o.cfg.Store.ClaimStepKey(ctx, cur.Key, st.ID)
		if err != nil {
			return Result{}, err
		}
		if !first {
			// Claimed before, by a process that died before saving: its
			// dispatch may never have reached GitHub.
			cur.Unconfirmed = true
		} else if res, ok, err := s.dispatch(ctx, st, ""); !ok {
			return res, err
		}
	}
	timeout := s.wf.Timeout
	if timeout <= 0 {
		timeout = time.Hour
	}
	if !st.now.Before(cur.StartedAt.Add(timeout)) {
		return failed("workflow %s did not finish within %s", s.wf.Workflow, timeout)
	}
	var run WorkflowRun
	var err error
	if cur.RunID == 0 {
		run, err = s.o.cfg.Workflows.FindWorkflowRun(ctx, st.Repo, s.wf.Workflow, cur.Key)
	} else {
		run, err = s.o.cfg.Workflows.GetWorkflowRun(ctx, st.Repo, cur.RunID)
	}
	switch {
	case errors.Is(err, ErrNoRun):
		// No run under the marker long after an unconfirmed dispatch: that
		// dispatch never happened. Dispatch once more under the same
		// marker, so that either run is the step's.
		if cur.Unconfirmed && !cur.Redispatched && !st.now.Before(cur.StartedAt.Add(redispatchAfter)) {
			cur.Redispatched = true
			if res, ok, err := s.dispatch(ctx, st, " (again: no run followed an unconfirmed dispatch)"); !ok {
				return res, err
			}
		}
	case err != nil:
		return Result{}, fmt.Errorf("following %s for %s: %w", s.wf.Workflow, st, err)
	default:
		applyRun(cur, run)
		if cur.Conclusion != "" {
			return s.Run(ctx, st)
		}
	}
	return waiting(st.now.Add(pollRuns), "workflow %s is %s", s.wf.Workflow, orDefault(cur.RunStatus, "queued"))
}

// redispatchAfter is how long a step waits for the run of an unconfirmed
// dispatch before dispatching again: GitHub lists a run seconds after its
// dispatch.
const redispatchAfter = 3 * time.Minute

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

// stepKey is the idempotency key of the current step's attempt; it is the
// shipgate_id a workflow run carries, so it stays short and plain.
func stepKey(st *State) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", st.ID, st.Step, st.Attempt))
	return "sg-" + hex.EncodeToString(sum[:10])
}

func templateData(st *State) policies.StepTemplateData {
	return policies.StepTemplateData{Version: st.Version, PreviousVersion: st.PreviousVersion, Environment: st.Environment, Repo: st.Repo, SHA: st.SHA}
}

func execute(t *template.Template, data policies.StepTemplateData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// webhookTries bounds the calls of a webhook step answered 5xx.
const webhookTries = 5

// SignatureHeader carries a webhook step's HMAC-SHA256 signature of the
// body, "sha256=<hex>", keyed with the secret named by secret_env.
const SignatureHeader = "X-Shipgate-Signature-256"

// WebhookBody is the JSON a webhook step posts.
type WebhookBody struct {
	Deployment      string `json:"deployment"`
	Kind            string `json:"kind"`
	Repo            string `json:"repo"`
	Environment     string `json:"environment"`
	Version         string `json:"version"`
	PreviousVersion string `json:"previous_version,omitempty"`
	SHA             string `json:"sha,omitempty"`
	Attempt         int    `json:"attempt"`
	// Key is the same on every retry of one attempt: receivers dedupe by
	// it.
	Key string `json:"key"`
}

// webhookStep POSTs the deployment as JSON; 2xx succeeds, 5xx and network
// errors are retried with backoff, anything else fails.
type webhookStep struct {
	o    *Orchestrator
	call *policies.WebhookCall
}

func (s *webhookStep) Name() string { return "webhook" }

func (s *webhookStep) Run(ctx context.Context, st *State) (Result, error) {
	cur := st.Current()
	if cur.Key == "" {
		cur.Key = stepKey(st)
	}
	url, err := execute(s.call.URL, templateData(st))
	if err != nil {
		return failed("webhook url: %v", err)
	}
	body, err := json.Marshal(WebhookBody{Deployment: st.ID, Kind: st.Kind, Repo: st.Repo, Environment: st.Environment, Version: st.Version,
		PreviousVersion: st.PreviousVersion, SHA: st.SHA, Attempt: st.Attempt, Key: cur.Key})
	if err != nil {
		return Result{}, fmt.Errorf("encoding the webhook body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return failed("webhook %s: %v", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", cur.Key)
	if s.call.SecretEnv != "" {
		secret := s.o.cfg.Getenv(s.call.SecretEnv)
		if secret == "" {
			return failed("webhook: the environment variable %s (secret_env) is empty", s.call.SecretEnv)
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	cur.Tries++
	resp, err := s.o.cfg.HTTPClient.Do(req)
	var status int
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		status = resp.StatusCode
	}
	switch {
	case err == nil && status >= 200 && status < 300:
		return done("webhook answered %d", status)
	case err == nil && status < 500:
		return failed("webhook answered %d", status)
	case cur.Tries >= webhookTries:
		return failed("webhook failed %d times; last: %s", cur.Tries, describe(status, err))
	}
	return waiting(st.now.Add(time.Duration(cur.Tries)*5*time.Second), "webhook %s; retrying", describe(status, err))
}

func describe(status int, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("answered %d", status)
}

// healthStep GETs a URL until it answers Expect, every Interval, at most
// Retries times.
type healthStep struct {
	o  *Orchestrator
	hc *policies.HealthCheck
}

func (s *healthStep) Name() string { return "health check" }

func (s *healthStep) Run(ctx context.Context, st *State) (Result, error) {
	cur := st.Current()
	url, err := execute(s.hc.URL, templateData(st))
	if err != nil {
		return failed("health_check url: %v", err)
	}
	cur.Tries++
	cctx, cancel := context.WithTimeout(ctx, s.hc.Timeout)
	defer cancel()
	status, err := get(cctx, s.o.cfg.HTTPClient, url)
	if err == nil && status == s.hc.Expect {
		return done("%s answered %d", url, status)
	}
	if cur.Tries >= max(s.hc.Retries, 1) {
		return failed("%s: %s after %d tries, expected %d", url, describe(status, err), cur.Tries, s.hc.Expect)
	}
	return waiting(st.now.Add(s.hc.Interval), "%s: %s; try %d of %d", url, describe(status, err), cur.Tries, s.hc.Retries)
}

func get(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
