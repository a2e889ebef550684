package gitlab

import (
	"context"
	"slices"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
)

var _ gate.BaseReader = (*project)(nil)

// OpenRepo opens another project by its path, with the adapter's token:
// a base the token cannot read is missing.
func (p *project) OpenRepo(_ context.Context, repo string) (gate.Repo, error) {
	return p.a.project(repo, 0), nil
}

// DefaultPolicy is Config.DefaultPolicy (SHIPGATE_DEFAULT_POLICY, a
// project path): GitLab has no convention of its own.
func (p *project) DefaultPolicy() (policies.Source, bool, bool) {
	src := p.a.cfg.DefaultPolicy
	return src, true, src.Repo != ""
}

// KindBaseChanged is a push that changed YAML files of a branch: the open
// MRs of every project whose policy extends one of them (or takes it as
// the default policy) are evaluated again (gate.FanOutBase).
const KindBaseChanged = "gitlab.base_changed"

// basesTouched returns the YAML files a push changed (nil: unknown, when
// GitLab left commits out of the payload); touched is false when it
// changed none, or deleted the branch.
func basesTouched(ev *gl.PushEvent) (paths []string, touched bool) {
	if strings.Trim(ev.After, "0") == "" {
		return nil, false
	}
	if ev.TotalCommitsCount > int64(len(ev.Commits)) {
		return nil, true
	}
	var changed []string
	for _, c := range ev.Commits {
		changed = slices.Concat(changed, c.Added, c.Modified, c.Removed)
	}
	paths = gate.PolicyPaths(changed)
	return paths, len(paths) > 0
}

// baseChanged handles KindBaseChanged jobs.
func (a *App) baseChanged(ctx context.Context, events []Event) error {
	st, ok := a.cfg.Store.(gate.BaseStore)
	if !ok {
		return nil
	}
	for _, e := range events {
		push := gate.BasePush{Repo: e.Repo, Branch: e.Branch, IsDefault: e.Branch == e.DefaultBranch, Paths: e.Paths,
			DeliveryID: e.DeliveryID, Sender: e.Sender}
		if _, err := gate.FanOutBase(ctx, a, st, a.cfg.Acceptor, push, a.cfg.Now()); err != nil {
			return err
		}
	}
	return nil
}
