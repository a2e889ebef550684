package gitlab

import (
	"context"

	"github.com/shipgate/shipgate/bot/gate"
)

// CheckMR evaluates merge request iid of project (its path, e.g.
// "group/sub/proj") the way the bot does, without publishing or recording
// anything (gate.Check): the policy from the target branch, the facts it
// needs from the API. Its errors are gate.Check's: gate.ErrNoPolicy, the
// policy's errors, API errors.
func (a *App) CheckMR(ctx context.Context, project string, iid int) (gate.Checked, error) {
	self, err := a.id.Name(ctx)
	if err != nil {
		return gate.Checked{}, err
	}
	return gate.Check(ctx, a.project(project, 0), iid, a.cfg.Now, gate.CheckOptions{Self: self})
}
