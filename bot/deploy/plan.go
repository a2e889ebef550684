package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// Step is one step of a deployment's plan.
type Step interface {
	// Name names the step in messages and the audit log ("wait 15m").
	Name() string
	// Run does the step's next bit of work and says where it stands. It
	// may change st (its StepState, through st.Current()); the orchestrator
	// saves st after it returns. An error is a fault of the infrastructure
	// (the store, a host's API): the job is retried and Run called again,
	// so Run must be idempotent for one attempt.
	Run(ctx context.Context, st *State) (Result, error)
}

// Outcome is where a step stands after Run.
type Outcome int

// Outcomes of Run.
const (
	// Done: the plan moves to the next step.
	Done Outcome = iota
	// Waiting: the step waits for RecheckAt (a durable timer) or for an
	// event (a workflow_run webhook, an approval) when RecheckAt is zero.
	Waiting
	// Failed: the deployment fails with Message; a deployment then rolls
	// back.
	Failed
	// Skipped: the step does not apply (no freeze window is active); the
	// plan moves on.
	Skipped
)

// Result is what Run reports.
type Result struct {
	Outcome   Outcome
	RecheckAt time.Time
	Message   string
}

func done(format string, args ...any) (Result, error) {
	return Result{Outcome: Done, Message: fmt.Sprintf(format, args...)}, nil
}

func skipped(format string, args ...any) (Result, error) {
	return Result{Outcome: Skipped, Message: fmt.Sprintf(format, args...)}, nil
}

func failed(format string, args ...any) (Result, error) {
	return Result{Outcome: Failed, Message: fmt.Sprintf(format, args...)}, nil
}

func waiting(at time.Time, format string, args ...any) (Result, error) {
	return Result{Outcome: Waiting, RecheckAt: at, Message: fmt.Sprintf(format, args...)}, nil
}

// approvalStep is a step that takes decisions (an approval gate, a freeze
// override).
type approvalStep interface {
	Step
	// approvers returns who may decide, how many approvals are needed, and
	// whether the step asks for them now (a freeze that ended does not).
	approvers(st *State) (from []policies.Principal, required int, asking bool)
}

// plan is the ordered list of steps of a deployment. It is rebuilt from the
// policy at every run (steps are values; their progress is in st.Steps).
func (o *Orchestrator) plan(host policies.Host, p *policies.Policy, env *policies.Environment, kind string) []Step {
	var steps []Step
	switch kind {
	case KindRollback:
		// A rollback repairs: it is held by no freeze and no gate, and
		// runs the environment's rollback steps.
		for _, s := range env.Rollback {
			steps = append(steps, o.step(host, s))
		}
	case KindProtection:
		// 1. A freeze window rejects at once without an override, else asks
		//    the override approvers.
		steps = append(steps, &freezeStep{freeze: p.Freeze, o: o, reject: true})
		// 2. The environment's gate, answered from Slack or comments.
		if env.Approval != nil {
			steps = append(steps, &gateStep{o: o, gate: *env.Approval, label: "approval"})
		}
	default:
		// 1. A freeze window holds the deployment until it ends, unless the
		//    override approvers let it go.
		steps = append(steps, &freezeStep{freeze: p.Freeze, o: o})
		// 2. The change request, opened and, if asked, approved in the
		//    change system (changerequest.go).
		if env.ChangeRequest != nil {
			steps = append(steps, &changeStep{o: o, cr: env.ChangeRequest, p: p})
		}
		// 3. The environment's approval gate.
		if env.Approval != nil {
			steps = append(steps, &gateStep{o: o, gate: *env.Approval, label: "approval"})
		}
		// 4. The change request moves to Implement as the steps start.
		if env.ChangeRequest != nil {
			steps = append(steps, &implementStep{o: o})
		}
		// 5. The environment's steps, in the policy's order.
		for _, s := range env.Steps {
			steps = append(steps, o.step(host, s))
		}
	}
	return steps
}

// step turns one policy step into its runner.
func (o *Orchestrator) step(host policies.Host, s policies.Step) Step {
	switch s.Kind {
	case policies.StepGitHubWorkflow:
		return &ciStep{o: o, r: workflowRunner{w: o.on(host).Workflows, wf: s.GitHubWorkflow}, timeout: s.GitHubWorkflow.Timeout, stage: s.Stage}
	case policies.StepGitLabPipeline:
		return &ciStep{o: o, r: pipelineRunner{p: o.on(host).Pipelines, ps: s.GitLabPipeline}, timeout: s.GitLabPipeline.Timeout, stage: s.Stage}
	case policies.StepWebhook:
		return &webhookStep{o: o, call: s.Webhook}
	case policies.StepHealthCheck:
		return &healthStep{o: o, hc: s.HealthCheck}
	case policies.StepWait:
		return waitStep{d: s.Wait, stage: s.Stage}
	case policies.StepApproval:
		return &gateStep{o: o, gate: *s.Approval, label: staged(s.Stage, "approval")}
	case policies.StepMetricCheck:
		return &metricStep{o: o, mc: s.MetricCheck, stage: s.Stage}
	}
	return unsupportedStep{kind: s.Kind}
}

// unsupportedStep fails: the policy names a step Shipgate cannot run.
type unsupportedStep struct{ kind policies.StepKind }

func (s unsupportedStep) Name() string { return string(s.kind) }

func (s unsupportedStep) Run(ctx context.Context, st *State) (Result, error) {
	return failed("%s steps cannot run on %s", s.kind, st.Host)
}

// waitStep soaks: it ends Wait after it started, counted from the first
// run and never restarted.
type waitStep struct {
	d     time.Duration
	stage string
}

func (s waitStep) Name() string { return staged(s.stage, "wait "+s.d.String()) }

// staged names a step of a canary stage ("canary 10%: workflow
// deploy.yml"); outside a canary the name is the step's own.
func staged(stage, name string) string {
	if stage == "" {
		return name
	}
	return stage + ": " + name
}

func (s waitStep) Run(ctx context.Context, st *State) (Result, error) {
	cur := st.Current()
	if cur.Until.IsZero() {
		cur.Until = st.now.Add(s.d)
	}
	if st.now.Before(cur.Until) {
		return waiting(cur.Until, "soaking until %s", cur.Until.UTC().Format(time.RFC3339))
	}
	return done("soaked %s", s.d)
}

// gateStep waits for Required distinct approvers, fails on a rejection or
// when it expires.
type gateStep struct {
	o     *Orchestrator
	gate  policies.Gate
	label string
}

func (s *gateStep) Name() string { return s.label }

func (s *gateStep) approvers(st *State) ([]policies.Principal, int, bool) {
	return s.gate.From, max(s.gate.Required, 1), true
}

func (s *gateStep) Run(ctx context.Context, st *State) (Result, error) {
	cur := st.Current()
	if cur.Until.IsZero() {
		exp := s.gate.Expires
		if exp <= 0 {
			exp = 24 * time.Hour
		}
		cur.Until = st.now.Add(exp)
	}
	if r, ok := decided(cur, max(s.gate.Required, 1)); ok {
		return r, nil
	}
	if !st.now.Before(cur.Until) {
		return failed("the approval expired after %s and was rejected automatically", s.gate.Expires)
	}
	if !cur.Requested {
		cur.Requested = true
		s.o.notify(ctx, st, Notice{Event: EventApprovalRequested, Line: fmt.Sprintf("Approval requested: %d of %s", max(s.gate.Required, 1), mentions(s.gate.From)),
			Gate: &GateView{Required: max(s.gate.Required, 1), From: mentions(s.gate.From), Channel: s.gate.SlackChannel}})
	}
	return waiting(cur.Until, "waiting for %d %s from %s until %s", max(s.gate.Required, 1), plural(s.gate.Required, "approval"), mentions(s.gate.From), cur.Until.UTC().Format(time.RFC3339))
}

// decided reports the outcome of the decisions so far, if there is one.
func decided(cur *StepState, required int) (Result, bool) {
	var approvers []string
	for _, d := range cur.Decisions {
		if !d.Approve {
			r, _ := failed("rejected by %s: %s", d.Person, d.Reason)
			return r, true
		}
		approvers = append(approvers, d.Person)
	}
	if len(approvers) >= required {
		r, _ := done("approved by %s", strings.Join(approvers, ", "))
		return r, true
	}
	return Result{}, false
}

// freezeStep holds a deployment while a freeze window is active. With an
// override in the policy the override approvers may let it go; reject
// (protection rules) fails at once when there is no override.
type freezeStep struct {
	o      *Orchestrator
	freeze *policies.FreezeRule
	reject bool
}

func (s *freezeStep) Name() string { return "freeze" }

// active returns the first window active at now that freezes env (a
// window that names environments freezes only those), and its end.
func (s *freezeStep) active(now time.Time, env string) (string, time.Time, bool) {
	if s.freeze == nil {
		return "", time.Time{}, false
	}
	for _, w := range s.freeze.Windows {
		if !w.AppliesTo(env) {
			continue
		}
		if on, until := w.Active(now); on {
			return w.Name, until, true
		}
	}
	return "", time.Time{}, false
}

func (s *freezeStep) approvers(st *State) ([]policies.Principal, int, bool) {
	if s.freeze == nil || s.freeze.Override == nil {
		return nil, 0, false
	}
	_, _, frozen := s.active(st.now, st.Environment)
	return s.freeze.Override.From, max(s.freeze.Override.Approvals, 1), frozen
}

func (s *freezeStep) Run(ctx context.Context, st *State) (Result, error) {
	cur := st.Current()
	name, until, frozen := s.active(st.now, st.Environment)
	if !frozen {
		if cur.Requested {
			return done("the freeze ended")
		}
		return skipped("no freeze window is active")
	}
	ov := s.freeze.Override
	if ov == nil {
		if s.reject {
			return failed("frozen by the %s window until %s, and the policy allows no override", name, until.UTC().Format(time.RFC3339))
		}
		return waiting(until, "frozen by the %s window until %s", name, until.UTC().Format(time.RFC3339))
	}
	if r, ok := decided(cur, max(ov.Approvals, 1)); ok {
		if r.Outcome == Done {
			r.Message = "freeze " + name + " overridden: " + r.Message
		}
		return r, nil
	}
	if !cur.Requested {
		cur.Requested = true
		s.o.notify(ctx, st, Notice{Event: EventOverrideRequested,
			Line: fmt.Sprintf("Frozen by the %s window until %s: %d freeze override %s needed from %s", name, until.UTC().Format(time.RFC3339), max(ov.Approvals, 1), plural(ov.Approvals, "approval"), mentions(ov.From)),
			Gate: &GateView{Required: max(ov.Approvals, 1), From: mentions(ov.From), Override: true}})
	}
	return waiting(until, "frozen by the %s window until %s; waiting for a freeze override from %s", name, until.UTC().Format(time.RFC3339), mentions(ov.From))
}

func mentions(ps []policies.Principal) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}

func plural(n int, word string) string {
	if n == 1 || n == 0 {
		return word
	}
	return word + "s"
}
