package actions

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/github/mergequeue"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// checkMergeGroup judges the merge group of a merge_group run as the bot
// does (mergequeue.Check: every pull request of the group, now,
// each through CheckPR) and writes the group's verdict as the commit status
// `shipgate: <base>` on the group's commit, which the merge queue requires
// as branch protection requires it of pull requests. The policy is read on
// the base branch: base_sha may be the group commit of a pull request
// ahead, whose own copy of the policy must not judge the group.
func checkMergeGroup(ctx context.Context, st *State) error {
	g := st.payload.MergeGroup
	if g == nil || g.HeadSHA == "" || g.BaseRef == "" {
		return errors.New("the event file has no merge group (merge_group.head_sha and base_ref)")
	}
	app, failOnPending, err := st.startCheck(fmt.Sprintf("%s merge group %.7s into %s", st.Repo, g.HeadSHA, g.Base()))
	if err != nil {
		return err
	}
	rv, err := st.records()
	if err != nil {
		return err
	}
	rep, err := mergequeue.Check(ctx, app, 0, st.Repo, *g, github.CheckOptions{PolicyFile: st.input(inPolicy), Records: rv})
	if err != nil {
		// Fail closed: the group's status says Shipgate could not judge it.
		return errors.Join(err, st.publishVerdict(ctx, g.HeadSHA, g.Base(), policies.Failure, "Shipgate could not judge this merge group: "+err.Error()))
	}
	st.report.Group = &rep
	if err := st.setOutput(outConclusion, rep.Conclusion); err != nil {
		return err
	}
	for _, m := range rep.Members {
		if m.Conclusion == string(review.Failure) {
			st.gha.WithFieldsMap(map[string]string{"title": fmt.Sprintf("Shipgate: #%d", m.Number)}).Errorf("%s", m.Summary)
		}
	}
	if rep.Conclusion == string(review.Neutral) {
		st.gha.Infof("no policy on %s: no commit status written", g.Base())
		return nil
	}
	c := policies.Conclusion(rep.Conclusion)
	if err := st.publishVerdict(ctx, g.HeadSHA, g.Base(), c, rep.Title()); err != nil {
		return err
	}
	return unsatisfied(c, rep.Title(), failOnPending)
}
