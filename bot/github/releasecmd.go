package github

import (
	"context"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// cutRelease carries out an accepted `/release [VERSION]` on a merged PR:
// it computes the next version at the head of the PR's base branch (or
// takes VERSION), validates it as a tag would be validated, creates the
// tag and the release with notes, and reports it like a pushed tag
// (commit status TagContext and the audit log). It runs once per command:
// the caller records the command first, so that a retried job never cuts
// a second release from a base branch that moved.
//
// refusal says, for the commenter, why nothing was released ("" when the
// release was cut); err is for failures worth a retry of the whole job.
func (w *prWork) cutRelease(ctx context.Context, ev Event, version string) (refusal string, err error) {
	s := w.s
	switch {
	case !w.pr.GetMerged():
		return "only a merged pull request can cut a release: merge it first", nil
	case w.policy.Policy == nil:
		return fmt.Sprintf("the base branch %s has no valid %s, so there is no release policy to follow", w.pr.GetBase().GetRef(), PolicyFile), nil
	}
	branch := w.pr.GetBase().GetRef()
	ref, _, err := s.gh.Git.GetRef(ctx, s.owner, s.name, "heads/"+branch)
	if err != nil {
		return "", s.wrap(err, "reading the head of %s in %s", branch, s.repo)
	}
	head := ref.GetObject().GetSHA()
	st := w.policy.Policy.Release

	tag := strings.TrimSpace(version)
	if tag != "" && !strings.HasPrefix(tag, st.TagPrefix) {
		if _, err := release.ParseVersion(tag); err == nil {
			tag = st.TagPrefix + tag // "/release 1.3.0" means v1.3.0
		}
	}
	if tag == "" {
		plan, _, err := s.plan(ctx, st, head)
		if err != nil {
			return "", err
		}
		if plan.PreviousTag != "" && plan.Bump == policies.BumpNone {
			return fmt.Sprintf("nothing to release: the commits on %s since %s bump nothing", branch, plan.PreviousTag), nil
		}
		tag = plan.NextTag
	}
	check, prev, hasPrev, err := s.tagCheck(ctx, st, tag, head, branch)
	if err != nil {
		return "", err
	}
	if problems := release.ValidateTag(st, check); len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Message
		}
		return fmt.Sprintf("%s at %.7s (head of %s) would not be a valid version tag: %s", tag, head, branch, strings.Join(msgs, "; ")), nil
	}
	r := &Releases{s: s}
	if err := r.CreateTag(ctx, tag, head); err != nil {
		return "", err
	}
	v, _ := release.ParseTag(st.TagPrefix, tag) // validated above
	previous := ""
	if hasPrev {
		previous = prev.Name
	}
	pub, err := r.publish(ctx, w.policy.Policy, tag, previous, head, v.IsPrerelease(), check.Commits)
	if err != nil {
		return "", err
	}
	e := TagEvent{Event: "release_command", DeliveryID: ev.DeliveryID, Repo: s.repo, Tag: tag, DefaultBranch: branch, Sender: ev.Comment.Author}
	return "", w.a.reportTag(ctx, s, e, review.TagReport{Tag: tag, SHA: head, ReleaseURL: pub.URL, Released: true})
}
