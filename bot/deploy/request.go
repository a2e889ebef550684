package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Ways a decision reaches a gate (Decision.Via).
const (
	ViaSlack   = "slack"
	ViaComment = "comment"
	ViaWeb     = "web"
)

// DecisionRequest is a decision on a deployment's current gate asked for
// where the asker waits for the answer: a PR comment, a dashboard form.
// (A Slack click must be answered within 3 seconds, so it is queued at
// once through Decide and judged in its job only.)
type DecisionRequest struct {
	// Host is the host whose login Actor.Login is. A deployment of another
	// host is refused: a GitHub login and a GitLab username of one name
	// may be two people.
	Host policies.Host
	// ID is the deployment.
	ID      string
	Actor   Actor
	Approve bool
	// Reason is required to reject and to override a freeze.
	Reason string
	// Via is ViaComment or ViaWeb.
	Via string
	// Dedupe identifies the request (a comment and its index, a form's
	// nonce), so that a replay has no second effect.
	Dedupe string
}

// Request judges r now, as the job that applies it will judge it again
// (nothing is trusted between the two): a refusal is returned as text the
// asker can act on, audited when it is about who decides, and nothing is
// queued; an accepted decision is queued through Decide. err is a failure
// of the store or the host, never a refusal.
func (o *Orchestrator) Request(ctx context.Context, r DecisionRequest) (refused string, err error) {
	st, err := o.load(ctx, r.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "there is no such deployment", nil
	}
	if err != nil {
		return "", err
	}
	if why := hostMismatch(r.Host, st); why != "" {
		return why, nil
	}
	if st.Done() {
		return fmt.Sprintf("the %s has ended (%s); nothing to decide", st, st.Status), nil
	}
	p, err := o.policy(ctx, st.Host, st.Repo)
	if err != nil {
		return "", err
	}
	env := environment(p, st.Environment)
	if env == nil {
		return fmt.Sprintf("the policy has no environment %s any more", st.Environment), nil
	}
	d := decisionEvent{Actor: r.Actor, Approve: r.Approve, Reason: r.Reason, Via: r.Via}
	return o.request(ctx, p, env, st, d, r.Dedupe)
}

// request judges d on st under p and queues it when it may be applied;
// the comment commands and Request share it.
func (o *Orchestrator) request(ctx context.Context, p *policies.Policy, env *policies.Environment, st *State, d decisionEvent, dedupe string) (string, error) {
	if j := o.judge(ctx, p, st, o.plan(st.Host, p, env, st.Kind), d); j.why != "" {
		if j.byWho {
			o.auditNow(ctx, st, "deploy.decision", j.actor, st.Current().Name, "refused: "+j.why)
		}
		return j.why, nil
	}
	return "", o.Decide(ctx, st.ID, d.Actor, d.Approve, d.Reason, d.Via, dedupe)
}

func hostMismatch(host policies.Host, st *State) string {
	if host == st.Host {
		return ""
	}
	return fmt.Sprintf("the %s runs on %s and you signed in on %s: sign in with %s to decide on it", st, st.Host, host, st.Host)
}

// Gate is the gate a running deployment waits on, as a person sees it.
type Gate struct {
	// Step names the step ("approval", "freeze"); Override is true for a
	// freeze override, which needs a reason to approve.
	Step     string
	Override bool
	// Required approvals, from whom (as the policy writes them), and the
	// decisions given so far.
	Required  int
	From      string
	Decisions []Decision
	// Until is when the gate expires (a freeze: when it may end).
	Until time.Time
	// Refused says why the viewer may not approve, "" when they may.
	Refused string
}

// WaitingGate returns the gate the deployment d waits on, and whether the
// actor of host may approve it (judged as Request would, without a
// reason, and without changing or auditing anything); ok is false when
// d waits on no gate.
func (o *Orchestrator) WaitingGate(ctx context.Context, d store.Deployment, host policies.Host, actor Actor) (g Gate, ok bool, err error) {
	var st State
	if err := json.Unmarshal(d.Data, &st); err != nil {
		return Gate{}, false, fmt.Errorf("decoding deployment %s: %w", d.ID, err)
	}
	st.revision, st.now = d.Revision, o.cfg.Now()
	cur := st.Current()
	if st.Done() || cur == nil || cur.Status != stepRunning {
		return Gate{}, false, nil
	}
	p, err := o.policy(ctx, st.Host, st.Repo)
	if err != nil {
		return Gate{}, false, err
	}
	env := environment(p, st.Environment)
	if env == nil {
		return Gate{}, false, nil
	}
	plan := o.plan(st.Host, p, env, st.Kind)
	if st.Step >= len(plan) {
		return Gate{}, false, nil
	}
	step, isGate := plan[st.Step].(approvalStep)
	if !isGate {
		return Gate{}, false, nil
	}
	from, required, asking := step.approvers(&st)
	if !asking {
		return Gate{}, false, nil
	}
	_, freeze := step.(*freezeStep)
	g = Gate{Step: cur.Name, Override: freeze, Required: required, From: mentions(from), Decisions: cur.Decisions, Until: cur.Until}
	if g.Refused = hostMismatch(host, &st); g.Refused == "" {
		// The reason is checked when the form is sent; here only who.
		g.Refused = o.judge(ctx, p, &st, plan, decisionEvent{Actor: actor, Approve: true, Reason: "-", Via: ViaWeb}).why
	}
	return g, true, nil
}
