package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Kinds implements bot.Processor: the adapter's own jobs. A merge
// request's jobs are the gate's (gate.Gate on the App).
func (a *App) Kinds() []string { return []string{KindPolicyChanged, KindBaseChanged} }

// Process implements bot.Processor: a batch holds the jobs of one branch
// whose policy changed, oldest first.
func (a *App) Process(ctx context.Context, b store.Batch) error {
	events := make([]Event, 0, len(b.Jobs))
	for _, j := range b.Jobs {
		var e Event
		if err := json.Unmarshal(j.Payload, &e); err != nil {
			return bot.Permanent(fmt.Errorf("decoding job %d: %w", j.ID, err))
		}
		events = append(events, e)
	}
	last := events[len(events)-1]
	log := zerolog.Ctx(ctx).With().Str(bot.FieldHost, string(policies.GitLab)).Str(bot.FieldRepo, last.Repo).Str(bot.FieldKey, b.Key).Logger()
	ctx = log.WithContext(ctx)
	switch b.Jobs[0].Kind {
	case KindPolicyChanged:
		p := a.project(last.Repo, last.ProjectID)
		n, err := gate.FanOut(ctx, p, a.cfg.Acceptor, last.ProjectID, last.Branch, last.DeliveryID, last.Sender, a.cfg.Now())
		if err == nil {
			log.Info().Int("mrs", n).Str("branch", last.Branch).Msg("policy changed: MRs queued")
		}
		return a.Classify(err)
	case KindBaseChanged:
		return a.Classify(a.baseChanged(ctx, events))
	}
	return bot.Permanent(fmt.Errorf("unknown job kind %q", b.Jobs[0].Kind))
}

// DecodeLegacy reads a merge request job queued before payloads had a
// version (the adapter's Event).
func (a *App) DecodeLegacy(payload []byte) (gate.Event, error) {
	var l Event
	if err := json.Unmarshal(payload, &l); err != nil {
		return gate.Event{}, err
	}
	e := gate.Event{
		Kind: mrKind(l.Kind, l.Action), Action: mrActionName(l.Action), DeliveryID: l.DeliveryID, Host: policies.GitLab, Scope: l.ProjectID,
		Repo: l.Repo, Number: l.IID, HeadSHA: l.HeadSHA, Sender: l.Sender, At: l.At,
	}
	if e.Kind == gate.KindRecheck {
		e.Action = l.Kind // policy_changed, withdrawn, freeze, …
	}
	if n := l.Note; n != nil {
		e.Comment = &gate.Comment{ID: n.ID, Author: n.Author, Body: n.Body, CreatedAt: n.CreatedAt, Edited: n.Edited}
	}
	return e, nil
}

// mrKind is the gate's kind of a merge request's or note's event; the
// adapter's own are rechecks.
func mrKind(kind, action string) string {
	switch {
	case kind == "note":
		return gate.KindComment
	case kind == "merge_request" && (action == "approved" || action == "unapproved" || action == "approval" || action == "unapproval"):
		return gate.KindReview
	case kind == "merge_request":
		return gate.KindChange
	}
	return gate.KindRecheck
}

// mrActionName names GitLab's MR actions as the gate does: "open" is
// gate.ActionOpened.
func mrActionName(action string) string {
	if action == "open" {
		return gate.ActionOpened
	}
	return action
}

// reconciler is the gate's reconciliation of GitLab's merge requests.
func (a *App) reconciler() gate.Reconciler {
	return gate.Reconciler{Host: policies.GitLab, Store: a.cfg.Store, Acceptor: a.cfg.Acceptor, Spacing: time.Second, Now: a.cfg.Now}
}

// Reconcile queues a new evaluation of up to limit open merge requests
// whose status is missing or older than their latest activity
// (gate.Reconciler).
func (a *App) Reconcile(ctx context.Context, limit int) (int, error) {
	return a.reconciler().Reconcile(ctx, limit)
}

// ReconcileRepo queues a new evaluation of up to limit open merge requests
// of a project (its path; scope is its ID, 0 when unknown) whose status is
// missing or older than their head or their last update: those whose every
// webhook was missed.
func (a *App) ReconcileRepo(ctx context.Context, scope int64, repo string, limit int) (int, error) {
	return a.reconciler().ReconcileRepo(ctx, a.project(repo, scope), scope, limit)
}
