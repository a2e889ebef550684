package deploy

import (
	"context"
	"slices"
)

// Notice events.
const (
	EventStarted           = "started"
	EventStep              = "step"
	EventSucceeded         = "succeeded"
	EventFailed            = "failed"
	EventRolledBack        = "rolled_back"
	EventApprovalRequested = "approval_requested"
	EventOverrideRequested = "override_requested"
	EventDecided           = "decided"
)

// GateView describes a gate that asks for decisions.
type GateView struct {
	Required int
	// From lists the approvers as the policy writes them.
	From string
	// Channel overrides the notify channel for this gate.
	Channel  string
	Override bool
}

// Notice is one thing that happened to a deployment.
type Notice struct {
	Event string
	// State is the deployment after the event; read-only.
	State *State
	// Line is a sentence for the deployment's thread.
	Line string
	// Gate is set for EventApprovalRequested and EventOverrideRequested.
	Gate *GateView
}

// Notifier tells people (Slack). Errors are logged; a notification never
// holds a deployment back.
type Notifier interface {
	// Notify shows n: it creates or edits the one message of the
	// deployment's version and posts n.Line in its thread.
	Notify(ctx context.Context, n Notice) error
	// Refuse tells who, privately, why their action changed nothing.
	Refuse(ctx context.Context, n Notice, who Actor, why string) error
}

// notify sends a notice of the current transition, with the state as it
// is now, once the transition is saved.
func (o *Orchestrator) notify(ctx context.Context, st *State, n Notice) {
	if o.cfg.Notifier == nil {
		return
	}
	snap := *st
	snap.Steps = slices.Clone(st.Steps)
	snap.effects = nil
	n.State = &snap
	log := o.log(ctx, st)
	st.effects = append(st.effects, func(ctx context.Context) {
		if err := o.cfg.Notifier.Notify(ctx, n); err != nil {
			log.Warn().Err(err).Str("event", n.Event).Msg("notifying")
		}
	})
}

func (o *Orchestrator) refuse(ctx context.Context, st *State, who Actor, why string) {
	if o.cfg.Notifier == nil {
		return
	}
	if err := o.cfg.Notifier.Refuse(ctx, Notice{Event: EventDecided, State: st}, who, why); err != nil {
		o.log(ctx, st).Warn().Err(err).Msg("refusing privately")
	}
}
