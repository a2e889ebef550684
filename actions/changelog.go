package actions

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/policies/changelog"
	"github.com/shipgate/shipgate/policies/release"
)

// commitChangelog adds version's section to the changelog input's file on
// branch and deletes the fragments the notes used that the branch still
// has, as one commit through the API (the workspace is a checkout of the
// tag, not of the branch's head, and may not be pushed from). Nothing is
// committed when the file has the section already and no fragment is
// left; other notes for the version fail the step, as `shipgate notes
// --changelog` does without --force.
func commitChangelog(ctx context.Context, st *State, rel *github.Releases, branch, version, notes string, fragments []release.Fragment) error {
	path := st.input(inChangelog)
	if branch == "" {
		return errors.New("the changelog input needs the branch to commit to: the event names no default branch")
	}
	existing, found, err := rel.ReadFile(ctx, path, branch)
	if err != nil {
		return err
	}
	if !found {
		existing = nil // created with the standard header
	}
	out, changed, err := changelog.Insert(existing, version, changelog.Section(version, st.now(), notes), false)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", path, branch, err)
	}
	var changes []github.FileChange
	if changed {
		changes = append(changes, github.FileChange{Path: path, Content: out})
	}
	for _, f := range fragments {
		_, present, err := rel.ReadFile(ctx, f.Path, branch)
		if err != nil {
			return err
		}
		if present {
			changes = append(changes, github.FileChange{Path: f.Path, Delete: true})
		}
	}
	if len(changes) == 0 {
		st.gha.Infof("%s on %s has %s already and no fragment is left: nothing to commit", path, branch, version)
		return nil
	}
	sha, err := rel.CommitFiles(ctx, branch, fmt.Sprintf("chore(release): changelog of %s", version), changes)
	if err != nil {
		return err
	}
	st.gha.Infof("committed %s (%d files) to %s: %s", path, len(changes), branch, sha)
	return st.setOutput(outChangelogCommit, sha)
}
