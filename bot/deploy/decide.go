package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// judgement is judge's answer: the decider as Shipgate knows them, and why
// the decision is refused ("" when it may be applied). byWho is true when
// the refusal is about who decides, which the audit log records.
type judgement struct {
	actor Actor
	why   string
	byWho bool
}

// judge tells whether d may be applied to the current step, without
// changing anything: the step must wait for decisions; the decider must be
// one of its approvers, not the starter, and not someone who decided
// already; an approval must not come from an identity Shipgate cannot tell
// apart from the starter or an earlier approver; a rejection and a freeze
// override need a reason.
func (o *Orchestrator) judge(ctx context.Context, p *policies.Policy, st *State, plan []Step, d decisionEvent) judgement {
	notWaiting := judgement{actor: d.Actor, why: "the " + st.String() + " is not waiting for a decision"}
	if st.Step >= len(plan) {
		return notWaiting
	}
	gate, ok := plan[st.Step].(approvalStep)
	cur := st.Current()
	if !ok || cur.Status != stepRunning {
		return notWaiting
	}
	from, _, asking := gate.approvers(st)
	if !asking {
		return notWaiting
	}
	starter := o.link(ctx, p, st, st.StartedBy, nil)
	actor := o.link(ctx, p, st, d.Actor, candidates(st, cur, from))
	if why := o.authorize(ctx, st, from, actor, starter, d.Approve); why != "" {
		return judgement{actor: actor, why: why, byWho: true}
	}
	for _, prev := range cur.Decisions {
		switch compare(actor, prev.decider()) {
		case samePerson:
			return judgement{actor: actor, why: "you decided already"}
		case unknownPeople:
			if d.Approve {
				return judgement{actor: actor, why: cannotTell(actor, prev.decider(), "who approved already", st.Environment), byWho: true}
			}
		}
	}
	_, freeze := gate.(*freezeStep)
	switch {
	case !d.Approve && strings.TrimSpace(d.Reason) == "":
		return judgement{actor: actor, why: "a rejection needs a reason"}
	case freeze && d.Approve && strings.TrimSpace(d.Reason) == "":
		// Overriding a freeze is loud: it says why (DESIGN, issue 5).
		return judgement{actor: actor, why: "overriding a freeze needs a reason: the Override button asks for one, or comment `/approve-deploy " + st.Environment + " REASON`"}
	}
	return judgement{actor: actor}
}

// candidates are the logins a Slack decider may turn out to be, by
// e-mail: the starter, the gate's approvers named by login, and those who
// decided already.
func candidates(st *State, cur *StepState, from []policies.Principal) []string {
	out := []string{st.StartedBy.Login}
	for _, pr := range from {
		out = append(out, pr.Login)
	}
	for _, d := range cur.Decisions {
		out = append(out, d.decider().Login)
	}
	return out
}

// authorize says why actor may not decide on a gate of from, "" when it
// may: the starter may not, nor (for an approval) an identity that may be
// the starter's; others must be one of from.
func (o *Orchestrator) authorize(ctx context.Context, st *State, from []policies.Principal, a, starter Actor, approve bool) string {
	same := compare(a, starter)
	if same == samePerson {
		verb := "approve"
		if !approve {
			verb = "decide on"
		}
		return fmt.Sprintf("%s started this deployment and cannot %s it", a, verb)
	}
	if !o.isApprover(ctx, st.Host, from, a) {
		return fmt.Sprintf("%s is not an approver of this gate; approvers: %s", a, mentions(from))
	}
	if same == unknownPeople && approve {
		return cannotTell(a, starter, "who started this deployment", st.Environment)
	}
	return ""
}

// isApprover reports whether a is one of from.
func (o *Orchestrator) isApprover(ctx context.Context, host policies.Host, from []policies.Principal, a Actor) bool {
	teams := o.on(host).Teams
	for _, pr := range from {
		switch {
		case pr.Login != "" && a.Login != "" && policies.SameLogin(pr.Login, a.Login):
			return true
		case pr.SlackUser != "" && a.SlackUser == pr.SlackUser:
			return true
		case pr.Team != "" && a.Login != "" && teams != nil:
			if in, err := teams.IsTeamMember(ctx, pr.Team, a.Login); err == nil && in {
				return true
			}
		case pr.SlackGroup != "" && a.SlackUser != "" && o.cfg.Groups != nil:
			if in, err := o.cfg.Groups.InSlackGroup(ctx, pr.SlackGroup, a.SlackUser); err == nil && in {
				return true
			}
		}
	}
	return false
}

// cannotTell explains a refusal for want of a link between a and other,
// and what would work.
func cannotTell(a, other Actor, role, env string) string {
	slack, login := a, other
	if a.SlackUser == "" {
		slack, login = other, a
	}
	return fmt.Sprintf("Shipgate cannot tell %s apart from %s, %s: slack:%s is linked to no GitHub login and %s to no Slack user, so they may be one person. "+
		"Map them in notify.slack.users of .shipgate.yml (`%s: U…` with %s's Slack user, or `LOGIN: %s` with the GitHub login of slack:%s), "+
		"or give the Slack profiles the e-mail addresses GitHub shows for the logins; a GitHub approver can also comment `/approve-deploy %s`",
		a, other, role, slack.SlackUser, login.Login, login.Login, login.Login, slack.SlackUser, slack.SlackUser, env)
}

// decide applies a decision to the current step; it reports whether the
// state changed. A refusal is told to the decider, and audited when it is
// about who decides.
func (o *Orchestrator) decide(ctx context.Context, p *policies.Policy, st *State, plan []Step, d decisionEvent) bool {
	j := o.judge(ctx, p, st, plan, d)
	if j.why != "" {
		if j.byWho {
			o.audit(ctx, st, "deploy.decision", j.actor, st.Current().Name, "refused: "+j.why)
		}
		o.refuse(ctx, st, j.actor, j.why)
		return false
	}
	cur := st.Current()
	cur.Decisions = append(cur.Decisions, Decision{Person: personOf(j.actor), Login: j.actor.Login, SlackUser: j.actor.SlackUser,
		Approve: d.Approve, Reason: d.Reason, At: st.now, Via: d.Via})
	outcome := "approved"
	switch {
	case !d.Approve:
		outcome = "rejected: " + d.Reason
	case d.Reason != "":
		outcome = "approved: " + d.Reason
	}
	kind := "deploy.decision"
	if _, freeze := plan[st.Step].(*freezeStep); freeze {
		kind = "deploy.freeze_override"
	}
	o.audit(ctx, st, kind, j.actor, cur.Name, outcome)
	o.notify(ctx, st, Notice{Event: EventDecided, Line: fmt.Sprintf("%s %s by %s", cur.Name, outcome, j.actor)})
	return true
}
