package gitlab

import (
	"context"

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
