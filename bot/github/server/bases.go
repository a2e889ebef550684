package server

import (
	"context"
	"slices"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/store"
)

// KindBaseChanged is a push that changed YAML files of a branch: the
// open PRs of every repository whose policy extends one of them (or takes
// it as the organisation default) are evaluated again
// (gate.FanOutBase). Key: KeyBranch + ":bases".
const KindBaseChanged = "github.base_changed"

// baseJob is the KindBaseChanged job of a push that changed YAML files
// (or may have: a forced push, more commits than the payload lists).
func (p *hookPayload) baseJob(base Event) (store.Job, bool) {
	if p.Repository != nil {
		base.DefaultBranch = p.Repository.DefaultBranch
	}
	if len(p.Commits) >= 20 || p.Forced {
		base.PathsUnknown = true
	} else {
		var changed []string
		commits := p.Commits
		if p.HeadCommit != nil {
			commits = append(slices.Clip(commits), *p.HeadCommit)
		}
		for _, c := range commits {
			changed = slices.Concat(changed, c.Added, c.Modified, c.Removed)
		}
		if base.Paths = gate.PolicyPaths(changed); len(base.Paths) == 0 {
			return store.Job{}, false
		}
	}
	return store.Job{Kind: KindBaseChanged, Key: KeyBranch(base.Repo, base.Branch) + ":bases", Payload: mustJSON(base)}, true
}

// baseChanged handles KindBaseChanged jobs.
func (s *Server) baseChanged(ctx context.Context, jobs []store.Job) error {
	st, ok := s.cfg.Store.(gate.BaseStore)
	if !ok {
		return nil
	}
	for _, e := range decodeJobs(ctx, jobs) {
		push := gate.BasePush{Repo: e.Repo, Branch: e.Branch, IsDefault: e.Branch == e.DefaultBranch, Paths: e.Paths,
			DeliveryID: e.DeliveryID, Sender: e.Sender}
		if e.PathsUnknown {
			push.Paths = nil
		}
		if _, err := gate.FanOutBase(ctx, s.cfg.App, st, s.cfg.Acceptor, push, s.cfg.Now()); err != nil {
			return err
		}
	}
	return nil
}
