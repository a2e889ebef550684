package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/githistory"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
	"github.com/shipgate/shipgate/templates"
)

// releaseCommand releases a version. On a tag push (or create) it
// validates the tag against the policy's tags and semver keys, then
// creates or updates the tag's GitHub release with generated notes; on a
// branch push with create-tag it computes the next version, creates its
// tag and release through the API (nothing when no commit needs one).
// The policy comes from the default branch through the API, as the bot
// reads it, so that a tag cannot bring a policy of its own; the history
// comes from the workspace.
type releaseCommand struct{}

func (releaseCommand) Name() string { return "release" }

func (releaseCommand) Run(ctx context.Context, st *State) error {
	tag, branch, err := st.pushed()
	if err != nil {
		return err
	}
	createTag, err := st.boolInput(inCreateTag)
	if err != nil {
		return err
	}
	switch {
	case tag != "":
		st.report.Subject = tag
	case branch != "" && createTag:
		st.report.Subject = branch
	case branch != "":
		return skip("on a branch push the release command tags and releases only with `create-tag: true`; run it on tag pushes to release the tags you push")
	}
	rel, err := st.releases(ctx)
	if err != nil {
		return err
	}
	ws, err := st.openWorkspace(ctx, rel)
	if err != nil {
		return err
	}
	if tag != "" {
		return releaseTag(ctx, st, ws, rel, tag)
	}
	return releaseBranch(ctx, st, ws, rel)
}

// pushed returns the tag or the branch the run's event pushed; neither is
// a *NotApplicable.
func (st *State) pushed() (tag, branch string, err error) {
	switch st.Event {
	case "push":
		if st.payload.Deleted {
			return "", "", skip("the push deleted %s", st.Ref)
		}
		if t, ok := strings.CutPrefix(st.Ref, "refs/tags/"); ok {
			return t, "", nil
		}
		if b, ok := strings.CutPrefix(st.Ref, "refs/heads/"); ok {
			return "", b, nil
		}
		return "", "", skip("the push of %q is neither a tag nor a branch", st.Ref)
	case "create":
		if st.payload.RefType == "tag" && st.payload.Ref != "" {
			return st.payload.Ref, "", nil
		}
		return "", "", skip("the create event made a %s, not a tag", st.payload.RefType)
	}
	return "", "", skip("a %s run pushes no tag; run the release command on push (tags, or a release branch with create-tag) or create", eventName(st.Event))
}

// releaseTag validates a pushed tag and releases it.
func releaseTag(ctx context.Context, st *State, ws *workspace, rel *github.Releases, tag string) error {
	sha, err := ws.repo.Resolve(ctx, "refs/tags/"+tag)
	if errors.Is(err, githistory.ErrUnknownRef) && st.SHA != "" {
		sha, err = st.SHA, nil // a checkout without the tag: the run's commit is the tagged one
	}
	if err != nil {
		return fmt.Errorf("finding the commit of the tag %s: %w", tag, err)
	}
	if err := st.forTag(ws, tag); err != nil {
		return err
	}
	check, prev, hasPrev, err := ws.repo.TagCheck(ctx, ws.settings, tag, sha, st.defaultBranch())
	if err != nil {
		return fmt.Errorf("checking the tag %s: %w", tag, err)
	}
	if err := validate(st, ws.settings, check); err != nil {
		return err
	}
	commits := check.Commits
	if !hasPrev { // a first release: the whole history
		if commits, err = ws.repo.CommitsFor(ctx, ws.settings, "", sha); err != nil {
			return err
		}
		commits = ws.settings.Own(commits)
	}
	branch := st.defaultBranch()
	if branch == "" {
		if branch, err = ws.repo.DefaultBranch(ctx); err != nil {
			return err
		}
	}
	return publish(ctx, st, ws, rel, branch, tag, prev, hasPrev, sha, commits)
}

// releaseBranch tags the next version at the run's commit and releases it.
func releaseBranch(ctx context.Context, st *State, ws *workspace, rel *github.Releases) error {
	plan, commits, err := ws.plan(ctx, st)
	if err != nil {
		return err
	}
	if err := st.setPlanOutputs(plan); err != nil {
		return err
	}
	if plan.PreviousTag != "" && plan.Bump == policies.BumpNone {
		return skip("the %d commits since %s need no release (bump none): no tag created", plan.Commits, plan.PreviousTag)
	}
	sha, err := ws.repo.Resolve(ctx, st.target())
	if err != nil {
		return err
	}
	check, prev, hasPrev, err := ws.repo.TagCheck(ctx, ws.settings, plan.NextTag, sha, st.defaultBranch())
	if err != nil {
		return fmt.Errorf("checking the tag %s: %w", plan.NextTag, err)
	}
	if err := validate(st, ws.settings, check); err != nil {
		return err
	}
	if err := rel.CreateTag(ctx, plan.NextTag, sha); err != nil {
		return err
	}
	st.report.TagCreated = plan.NextTag
	branch, _ := strings.CutPrefix(st.Ref, "refs/heads/")
	return publish(ctx, st, ws, rel, branch, plan.NextTag, prev, hasPrev, sha, commits)
}

// validate reports a tag's validation; an invalid tag ends the command
// with ExitUnsatisfied and one error annotation per problem.
func validate(st *State, s policies.ReleaseSettings, check release.TagCheck) error {
	problems := release.ValidateTag(s, check)
	st.report.Tag = &templates.TagReport{Name: check.Name, SHA: check.Commit, Problems: problems}
	conclusion := policies.Success
	if len(problems) > 0 {
		conclusion = policies.Failure
	}
	if err := st.setOutputs(outConclusion, string(conclusion), outVersion, check.Name); err != nil {
		return err
	}
	if len(problems) == 0 {
		return nil
	}
	for _, p := range problems {
		st.gha.WithFieldsMap(map[string]string{"title": "Invalid version tag " + check.Name + " (" + string(p.Kind) + ")"}).Errorf("%s", p.Message)
	}
	return &reported{code: ExitUnsatisfied, why: fmt.Sprintf("%s is not a valid version tag (%d problems)", check.Name, len(problems))}
}

// publish writes the notes of a valid tag, creates or updates its
// release (a pre-release for a pre-release version), and commits the
// changelog input's file to branch.
func publish(ctx context.Context, st *State, ws *workspace, rel *github.Releases, branch, tag string, prev release.Tag, hasPrev bool, sha string, commits []policies.Commit) error {
	v, err := release.ParseTag(ws.settings.TagPrefix, tag)
	if err != nil {
		return err // validated before: cannot happen
	}
	previous := ""
	base, _ := release.ParseVersion(ws.settings.Initial)
	if hasPrev {
		previous = prev.Name
		base, _ = release.ParseTag(ws.settings.TagPrefix, prev.Name)
	}
	if err := st.setOutputs(outPreviousVersion, previous, outBump, string(release.Required(ws.settings, base, commits))); err != nil {
		return err
	}
	fragments, err := ws.fragments(ctx)
	if err != nil {
		return err
	}
	notes, err := st.notes(ctx, ws.policy, tag, previous, commits, fragments, true)
	if err != nil {
		return err
	}
	if err := st.publishNotes(notes); err != nil {
		return err
	}
	pub, err := rel.PublishRelease(ctx, github.Release{Tag: tag, Target: sha, Body: notes, Prerelease: v.IsPrerelease()})
	if err != nil {
		return err
	}
	st.report.ReleaseURL, st.report.ReleaseCreated = pub.URL, pub.Created
	if err := st.setOutput(outReleaseURL, pub.URL); err != nil {
		return err
	}
	if st.input(inChangelog) == "" {
		return nil
	}
	return commitChangelog(ctx, st, rel, branch, strings.TrimPrefix(tag, ws.settings.TagPrefix), notes, fragments)
}
