package github

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

var _ gate.Releaser = (*session)(nil)

// CutRelease carries out an accepted `/release [VERSION]` on a merged pull
// request: it computes the next version at the head of the PR's base
// branch (or takes VERSION), validates it as a tag would be validated,
// creates the tag and the release with notes, and reports it like a pushed
// tag (commit status TagContext and the audit log). refusal says why
// nothing was released; err is for API failures.
func (s *session) CutRelease(ctx context.Context, pr gate.Snapshot, p *policies.Policy, version, actor, deliveryID string) (refusal, tag, head string, err error) {
	branch := pr.Base
	ref, _, err := s.gh.Git.GetRef(ctx, s.owner, s.name, "heads/"+branch)
	if err != nil {
		return "", "", "", s.wrap(err, "reading the head of %s in %s", branch, s.repo)
	}
	head = ref.GetObject().GetSHA()
	st := p.Release
	defaultBranch, err := s.defaultBranch(ctx, "")
	if err != nil {
		return "", "", "", err
	}
	if tag, refusal, err = s.releaseTag(ctx, st, version, head, branch, defaultBranch); tag == "" || err != nil {
		return refusal, "", "", err
	}
	check, prev, hasPrev, err := s.tagCheck(ctx, st, tag, head, defaultBranch, branch)
	if err != nil {
		return "", "", "", err
	}
	if problems := release.ValidateTag(st, check); len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Message
		}
		return fmt.Sprintf("%s at %.7s (head of %s) would not be a valid version tag: %s", tag, head, branch, strings.Join(msgs, "; ")), "", "", nil
	}
	r := &Releases{s: s}
	if err := r.CreateTag(ctx, tag, head); err != nil {
		return "", "", "", err
	}
	v, _ := release.ParseTag(st.TagPrefix, tag) // validated above
	previous := ""
	if hasPrev {
		previous = prev.Name
	}
	pub, err := r.publish(ctx, p, tag, previous, head, v.IsPrerelease(), check.Commits)
	if err != nil {
		return "", "", "", err
	}
	e := TagEvent{Event: "release_command", DeliveryID: deliveryID, Repo: s.repo, Tag: tag, DefaultBranch: branch, Sender: actor}
	if err := s.a.reportTag(ctx, s, e, review.TagReport{Tag: tag, SHA: head, ReleaseURL: pub.URL, Released: true}); err != nil {
		return "", "", "", err
	}
	return "", tag, head, nil
}

// releaseTag is the tag `/release [VERSION]` cuts at head: VERSION with
// the policy's prefix, else the next version of the branch. tag is ""
// with the refusal when there is nothing to release.
func (s *session) releaseTag(ctx context.Context, st policies.ReleaseSettings, version, head, branch, defaultBranch string) (tag, refusal string, err error) {
	tag = strings.TrimSpace(version)
	if tag != "" && !strings.HasPrefix(tag, st.TagPrefix) {
		if _, err := release.ParseVersion(tag); err == nil {
			tag = st.TagPrefix + tag // "/release 1.3.0" means v1.3.0
		}
	}
	if tag != "" {
		return tag, "", nil
	}
	plan, _, err := s.plan(ctx, st, head, branch, defaultBranch)
	var lineErr *release.LineError
	switch {
	case errors.As(err, &lineErr):
		return "", fmt.Sprintf("nothing released from %s: %v", branch, err), nil
	case err != nil:
		return "", "", err
	case plan.PreviousTag != "" && plan.Bump == policies.BumpNone:
		return "", fmt.Sprintf("nothing to release: the commits on %s since %s bump nothing", branch, plan.PreviousTag), nil
	}
	return plan.NextTag, "", nil
}
