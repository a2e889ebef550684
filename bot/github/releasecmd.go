package github

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// closedCommands runs the comments of a closed PR that give /release (a
// merged PR cuts a release from its base branch); a closed PR is not
// evaluated, and its other comments are not commands any more.
func (w *prWork) closedCommands(ctx context.Context) error {
	loaded := false
	for _, ev := range w.events {
		c := ev.Comment
		if c == nil || c.Edited || c.Deleted || !slices.ContainsFunc(policies.ParseCommands(c.Body), func(cmd policies.Command) bool { return cmd.Name == "release" }) {
			continue
		}
		if !loaded {
			var err error
			if w.policy, err = w.s.loadPolicy(ctx, w.pr.GetBase().GetRef()); err != nil {
				return err
			}
			loaded = true
		}
		if err := w.runCommands(ctx, ev, retried(w.jobs)); err != nil {
			return err
		}
	}
	return nil
}

// decideRelease decides `/release [VERSION]`, which review.Decide leaves
// to the hosts that run it: the commenter needs the role the policy's
// commands table gives it (maintain by default), and the PR must be
// merged. An accepted /release is cut by cutRelease once recorded.
func (w *prWork) decideRelease(p *policies.Policy, change *policies.Change, author policies.Actor, d review.Decision) review.Decision {
	d.Accepted, d.Reason = false, ""
	switch ok, why := p.Authorize(d.Command, author, change); {
	case !ok:
		d.Reason = why
	case !w.pr.GetMerged():
		d.Reason = "only a merged pull request can cut a release: merge it first"
	default:
		d.Accepted = true
	}
	return d
}

// cutRelease carries out an accepted `/release [VERSION]` on a merged PR:
// it computes the next version at the head of the PR's base branch (or
// takes VERSION), validates it as a tag would be validated, creates the
// tag and the release with notes, and reports it like a pushed tag
// (commit status TagContext and the audit log). It runs once per command:
// the caller records the command first, so that a retried job never cuts
// a second release from a base branch that moved; so a failure is not
// retried either, and is told to the commenter with the advice to repeat
// the command.
//
// It returns why nothing was released, "" when the release was cut.
func (w *prWork) cutRelease(ctx context.Context, ev Event, version string) (refusal string) {
	refusal, err := w.release(ctx, ev, version)
	if err != nil {
		id := bot.NewErrorID()
		zerolog.Ctx(ctx).Error().Err(err).Str(bot.FieldErrorID, id).Msg("/release failed")
		return fmt.Sprintf("the release could not be cut: something failed on Shipgate's side (error ID `%s`; Shipgate's log has the details under that ID); comment `/release` again to retry", id)
	}
	return refusal
}

// release is cutRelease's work; err is for API failures.
func (w *prWork) release(ctx context.Context, ev Event, version string) (refusal string, err error) {
	s := w.s
	if w.policy.Policy == nil {
		return fmt.Sprintf("the base branch %s has no valid %s, so there is no release policy to follow", w.pr.GetBase().GetRef(), PolicyFile), nil
	}
	branch := w.pr.GetBase().GetRef()
	ref, _, err := s.gh.Git.GetRef(ctx, s.owner, s.name, "heads/"+branch)
	if err != nil {
		return "", s.wrap(err, "reading the head of %s in %s", branch, s.repo)
	}
	head := ref.GetObject().GetSHA()
	st := w.policy.Policy.Release
	defaultBranch, err := s.defaultBranch(ctx, w.pr.GetBase().GetRepo().GetDefaultBranch())
	if err != nil {
		return "", err
	}

	tag := strings.TrimSpace(version)
	if tag != "" && !strings.HasPrefix(tag, st.TagPrefix) {
		if _, err := release.ParseVersion(tag); err == nil {
			tag = st.TagPrefix + tag // "/release 1.3.0" means v1.3.0
		}
	}
	if tag == "" {
		plan, _, err := s.plan(ctx, st, head, branch, defaultBranch)
		var lineErr *release.LineError
		if errors.As(err, &lineErr) {
			return fmt.Sprintf("nothing released from %s: %v", branch, err), nil
		}
		if err != nil {
			return "", err
		}
		if plan.PreviousTag != "" && plan.Bump == policies.BumpNone {
			return fmt.Sprintf("nothing to release: the commits on %s since %s bump nothing", branch, plan.PreviousTag), nil
		}
		tag = plan.NextTag
	}
	check, prev, hasPrev, err := s.tagCheck(ctx, st, tag, head, defaultBranch, branch)
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
	if err := w.a.reportTag(ctx, s, e, review.TagReport{Tag: tag, SHA: head, ReleaseURL: pub.URL, Released: true}); err != nil {
		return "", err
	}
	if w.a.deployer != nil {
		// The tag's own push webhook finds it reported and starts nothing:
		// the release's deployments start here, started by the commenter,
		// who may then not approve them.
		if err := w.a.deployer.Release(ctx, policies.GitHub, s.repo, tag, head, deploy.Actor{Login: ev.Comment.Author}); err != nil {
			return "", fmt.Errorf("starting the deployments of %s on %s: %w", tag, s.repo, err)
		}
	}
	return "", nil
}
