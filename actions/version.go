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

// versionCommand computes the next version from the workspace's git
// history, with the code of `shipgate version next`.
type versionCommand struct{}

func (versionCommand) Name() string { return "version" }

func (versionCommand) Run(ctx context.Context, st *State) error {
	if st.payload.Deleted {
		return skip("the push deleted %s: there is no commit to compute a version at", st.Ref)
	}
	ws, err := st.openWorkspace(ctx, nil)
	if err != nil {
		return err
	}
	plan, _, err := ws.plan(ctx, st)
	if err != nil {
		return err
	}
	return st.setPlanOutputs(plan)
}

// notesCommand writes the release notes of the next version: the code of
// `shipgate notes`, with each merged PR's own release note in place of its
// commit subjects when the API can tell (bot/github, as for releases).
type notesCommand struct{}

func (notesCommand) Name() string { return "notes" }

func (notesCommand) Run(ctx context.Context, st *State) error {
	if st.payload.Deleted {
		return skip("the push deleted %s: there is no commit to write release notes for", st.Ref)
	}
	ws, err := st.openWorkspace(ctx, nil)
	if err != nil {
		return err
	}
	plan, commits, err := ws.plan(ctx, st)
	if err != nil {
		return err
	}
	if err := st.setPlanOutputs(plan); err != nil {
		return err
	}
	fragments, err := ws.fragments(ctx)
	if err != nil {
		return err
	}
	notes, err := st.notes(ctx, ws.policy, plan.NextTag, plan.PreviousTag, commits, fragments, false)
	if err != nil {
		return err
	}
	return st.publishNotes(notes)
}

// fragments reads the workspace's release-note fragments (the policy's
// release_notes.fragments, default .changes/*.md).
func (ws *workspace) fragments(ctx context.Context) ([]release.Fragment, error) {
	if ws.settings.Component != nil {
		return nil, nil // fragments are the repository's notes, not a component's
	}
	fragments, err := ws.repo.Fragments(ctx, release.FragmentsOf(ws.policy))
	if err != nil {
		return nil, fmt.Errorf("reading the release-note fragments: %w", err)
	}
	return fragments, nil
}

// workspace is the checked-out repository with its policy.
type workspace struct {
	repo *githistory.Repo
	// policy is the workspace's policy; nil when it has none.
	policy   *policies.Policy
	settings policies.ReleaseSettings
}

// openWorkspace opens GITHUB_WORKSPACE's history (a shallow clone is an
// error that says to fetch it all) and loads the policy input's file: from
// the default branch through rel when it is not nil, else from the
// workspace; the defaults when there is none.
func (st *State) openWorkspace(ctx context.Context, rel *github.Releases) (*workspace, error) {
	repo, err := githistory.Open(ctx, st.Workspace)
	if errors.Is(err, githistory.ErrShallow) {
		return nil, fmt.Errorf("the workspace %s is a shallow clone, so its tags and history are cut: check it out with actions/checkout and `fetch-depth: 0`", st.Workspace)
	}
	if err != nil {
		return nil, fmt.Errorf("the workspace holds no git repository (check it out first with actions/checkout and `fetch-depth: 0`): %w", err)
	}
	ws := &workspace{repo: repo, settings: policies.DefaultReleaseSettings()}
	file := st.input(inPolicy)
	var p *policies.Policy
	var found bool
	if rel != nil {
		p, found, err = rel.Policy(ctx, file, "")
	} else {
		p, found, err = githistory.LoadPolicy(st.workspacePath(file))
	}
	if err != nil {
		return nil, st.invalidPolicy(file, err)
	}
	if found {
		ws.policy, ws.settings = p, p.Release
	}
	if err := st.forComponent(ws, file); err != nil {
		return nil, err
	}
	return ws, nil
}

// invalidPolicy annotates the errors of a policy that did not load and
// returns what ends the command.
func (st *State) invalidPolicy(file string, err error) error {
	errs := policies.FieldErrors(err)
	if len(errs) == 0 {
		return err
	}
	st.annotatePolicy(file, errs)
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return fmt.Errorf("the policy %s is invalid:\n%s", file, strings.Join(lines, "\n"))
}

// target is the commit the run is about: GITHUB_SHA, else HEAD.
func (st *State) target() string {
	if st.SHA != "" {
		return st.SHA
	}
	return "HEAD"
}

// releaseTarget is where the run releases from: its commit, the branch
// it pushed (else the workspace tells) and the repository's default
// branch from the event (else the workspace tells).
func (st *State) releaseTarget() githistory.Target {
	t := githistory.Target{Ref: st.target(), Default: st.defaultBranch()}
	t.Branch, _ = strings.CutPrefix(st.Ref, "refs/heads/")
	return t
}

// defaultBranch is the repository's default branch as the event tells,
// "" when it does not (the workspace tells then).
func (st *State) defaultBranch() string {
	if st.payload.Repository == nil {
		return ""
	}
	return st.payload.Repository.DefaultBranch
}

// plan computes the next version at the run's commit with the prerelease
// input: githistory's Plan, as `shipgate version next` does. Commits that
// the release line does not take end the command unsatisfied, with the
// reason annotated.
func (ws *workspace) plan(ctx context.Context, st *State) (release.Plan, []policies.Commit, error) {
	plan, commits, err := ws.repo.Plan(ctx, ws.settings, st.releaseTarget(), st.input(inPrerelease))
	var lineErr *release.LineError
	switch {
	case errors.As(err, &lineErr):
		st.gha.WithFieldsMap(map[string]string{"title": "Not releasable on " + lineErr.Line.String()}).Errorf("%s", err)
		st.report.Refused = err.Error()
		return release.Plan{}, nil, &reported{code: ExitUnsatisfied, why: err.Error()}
	case errors.Is(err, release.ErrReleaseAs):
		// A footer that would take the version back, or is not one.
		st.gha.WithFieldsMap(map[string]string{"title": "Release-As cannot be followed"}).Errorf("%s", err)
		st.report.Refused = err.Error()
		return release.Plan{}, nil, &reported{code: ExitUnsatisfied, why: err.Error()}
	case errors.Is(err, githistory.ErrUnknownRef):
		return release.Plan{}, nil, fmt.Errorf("the run's commit %s is not in the workspace %s: check the repository out first (actions/checkout with `fetch-depth: 0`)", st.target(), st.Workspace)
	case err != nil:
		return release.Plan{}, nil, fmt.Errorf("computing the next version: %w", err)
	}
	st.report.Plan = &plan
	return plan, commits, nil
}

// setPlanOutputs sets the version outputs of a plan.
func (st *State) setPlanOutputs(p release.Plan) error {
	return st.setOutputs(outVersion, p.NextTag, outPreviousVersion, p.PreviousTag, outBump, string(p.Bump))
}

// notes builds and renders the release notes of version from its commits
// (newest first). The merged PRs' own notes come through the API; when
// required is false (the notes command) an API failure leaves a warning
// and the commit subjects, as publishing nothing depends on it.
func (st *State) notes(ctx context.Context, p *policies.Policy, version, previous string, commits []policies.Commit, fragments []release.Fragment, required bool) (string, error) {
	date := st.now().UTC()
	var n release.Notes
	rel, err := st.releases(ctx)
	if err == nil {
		n, err = rel.Notes(ctx, p, version, previous, commits, date)
	}
	if err != nil {
		if required {
			return "", err
		}
		st.gha.Warningf("release notes from commit subjects only: the pull requests' own notes could not be read: %s", err)
		n = release.BuildNotes(version, previous, date, commits)
		n.Link(st.ServerURL, st.Repo)
	}
	n.AddFragments(fragments)
	n.Hide(p.NotesHideOf(version)) // a component's tag: its notes key
	return templates.String(templates.Notes, any(n))
}

// publishNotes puts rendered notes in the outputs, the notes file and the
// report.
func (st *State) publishNotes(notes string) error {
	st.report.Notes = notes
	path, err := st.writeNotesFile(notes)
	if err != nil {
		return err
	}
	return st.setOutputs(outNotes, notes, outNotesFile, path)
}
