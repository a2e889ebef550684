package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// release cuts the release `/release [VERSION]` asks for on a merged
// change: it computes the next version at the head of the change's base
// branch (or takes VERSION), validates it as a pushed tag would be
// validated, creates the tag and the release with notes, reports it like a
// pushed tag (commit status TagStatus and the audit log), and starts its
// deployments. refusal says why nothing was released; err is a failure of
// the host.
func (w *work) release(ctx context.Context, e Event, version string) (refusal string, err error) {
	p := w.policy.Policy
	if p == nil {
		return fmt.Sprintf("the base branch %s has no valid %s, so there is no release policy to follow", w.snap.Base, review.PolicyFile), nil
	}
	r, branch := w.repo.(Releaser), w.snap.Base
	head, err := branchHead(ctx, r, branch)
	if err != nil || head == "" {
		return fmt.Sprintf("the branch %s is gone: nothing to release", branch), err
	}
	defaultBranch, err := r.DefaultBranch(ctx)
	if err != nil {
		return "", err
	}
	st, version := releaseLine(p, version) // `/release api` cuts a component's release
	tag, refusal, err := releaseTag(ctx, r, st, version, head, branch, defaultBranch)
	if tag == "" || err != nil {
		return refusal, err
	}
	by := releasedBy{actor: e.Comment.Author, event: "release_command", deliveryID: e.DeliveryID}
	return w.g.releaseAt(ctx, w.repo, r, p, tag, head, branch, defaultBranch, by)
}

// releasedBy says who cut a release, and through which event.
type releasedBy struct {
	actor, event, deliveryID string
}

// releaseAt cuts tag at head, the head of branch: it validates the tag as
// a pushed tag would be validated, creates it and its release with notes,
// announces and reports it like a pushed tag (commit status TagStatus and
// the audit log), and starts its deployments, started by by.actor (who may
// then not approve them). refusal says why nothing was released; err is a
// failure of the host.
func (g *Gate) releaseAt(ctx context.Context, repo Repo, r Releaser, p *policies.Policy, tag, head, branch, defaultBranch string, by releasedBy) (refusal string, err error) {
	st := p.ReleaseOf(tag) // a component's tag is cut on its own line
	check, prev, hasPrev, err := refs{r}.tagCheck(ctx, st, tag, head, defaultBranch, branch)
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
	if refusal, err := g.releaseRefusal(ctx, r, p, st, repo.Name(), check); err != nil || refusal != "" {
		return fmt.Sprintf("%s at %.7s (head of %s) would be refused: %s", tag, head, branch, refusal), err
	}
	if err := r.CreateTag(ctx, tag, head); err != nil {
		return "", err
	}
	v, _ := release.ParseTag(st.TagPrefix, tag) // validated above
	rel := Release{Tag: tag, SHA: head, Prerelease: v.IsPrerelease(), Commits: check.Commits}
	if hasPrev {
		rel.Previous = prev.Name
	}
	url, err := r.PublishRelease(ctx, p, rel)
	if err != nil {
		return "", err
	}
	t := TagPush{Host: g.host, Event: by.event, DeliveryID: by.deliveryID, Repo: repo.Name(), Tag: tag, Sender: by.actor}
	rep := review.TagReport{Tag: tag, SHA: head, ReleaseURL: url, Released: true}
	rep.Previous, rep.Notes = contents(tag, prev, hasPrev, check.Commits, g.cfg.Now())
	if err := g.announceTag(ctx, p, t.Repo, rep, rel, by.actor); err != nil {
		return "", err
	}
	if err := g.reportTag(ctx, r, t, rep); err != nil {
		return "", err
	}
	if d := g.cfg.Deployer; d != nil {
		// The tag's own push webhook finds it reported and starts nothing:
		// the release's deployments start here.
		if err := d.Release(ctx, g.host, repo.Name(), tag, head, deploy.Actor{Login: by.actor}); err != nil {
			return "", fmt.Errorf("starting the deployments of %s on %s: %w", tag, repo.Name(), err)
		}
	}
	return "", nil
}

// branchHead is the commit branch points at, "" when there is none.
func branchHead(ctx context.Context, r Releaser, branch string) (string, error) {
	heads, err := r.Refs(ctx, "heads")
	if err != nil {
		return "", err
	}
	for _, h := range heads {
		if h.Name == branch {
			return h.SHA, nil
		}
	}
	return "", nil
}

// releaseTag is the tag `/release [VERSION]` cuts at head: VERSION with
// the policy's prefix, else the next version of the branch. tag is ""
// with the refusal when there is nothing to release.
func releaseTag(ctx context.Context, r Releaser, st policies.ReleaseSettings, version, head, branch, defaultBranch string) (tag, refusal string, err error) {
	tag = strings.TrimSpace(version)
	if tag != "" && !strings.HasPrefix(tag, st.TagPrefix) {
		if _, err := release.ParseVersion(tag); err == nil {
			tag = st.TagPrefix + tag // "/release 1.3.0" means v1.3.0
		}
	}
	if tag != "" {
		return tag, "", nil
	}
	plan, err := refs{r}.plan(ctx, st, head, branch, defaultBranch)
	switch {
	case isLineError(err), errors.Is(err, release.ErrReleaseAs):
		return "", fmt.Sprintf("nothing released from %s: %v", branch, err), nil
	case err != nil:
		return "", "", err
	case plan.PreviousTag != "" && plan.Bump == policies.BumpNone:
		return "", fmt.Sprintf("nothing to release: the commits on %s since %s bump nothing", branch, plan.PreviousTag), nil
	}
	return plan.NextTag, "", nil
}
