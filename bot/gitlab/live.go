package gitlab

import (
	"context"
	"fmt"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/policies"
)

// Checked is what CheckMR read and decided.
type Checked struct {
	Verdict policies.Verdict
	// Change is nil when the target branch has no policy or an invalid one.
	Change *policies.Change
	// PolicyMissing and PolicyError say why there is no Change.
	PolicyMissing bool
	PolicyError   error
}

// CheckMR evaluates merge request iid of project (its path, e.g.
// "group/sub/proj", or its numeric ID) the way the bot does, without
// publishing or recording anything: the policy from the target branch, the
// facts it needs from the API.
func (a *App) CheckMR(ctx context.Context, project string, iid int) (Checked, error) {
	w := &mrWork{a: a, repo: project, pid: project, iid: iid}
	mr, _, err := a.gl.MergeRequests.GetMergeRequest(project, int64(iid), nil, gl.WithContext(ctx))
	if err != nil {
		return Checked{}, fmt.Errorf("reading %s!%d: %w", project, iid, err)
	}
	w.mr, w.labels = mr, append([]string(nil), mr.Labels...)
	if w.policy, err = a.loadPolicy(ctx, project, project, mr.TargetBranch); err != nil {
		return Checked{}, err
	}
	switch {
	case w.policy.Missing:
		return Checked{PolicyMissing: true}, nil
	case w.policy.Invalid != nil:
		return Checked{PolicyError: w.policy.Invalid}, nil
	}
	c, err := w.change(ctx)
	if err != nil {
		return Checked{}, err
	}
	return Checked{Verdict: policies.Evaluate(w.policy.Policy, c, a.cfg.Now()), Change: c}, nil
}
