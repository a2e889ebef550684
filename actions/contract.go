package actions

import (
	"fmt"
	"strings"
)

// Param is one input or output of the Action, as action.yml declares it.
type Param struct {
	// Name is the input's or output's name (`fail-on-pending`).
	Name string
	// Description is action.yml's description.
	Description string
	// Default is the input's default in action.yml ("" when none). A
	// ${{ … }} expression is evaluated by the runner only.
	Default string
}

// Input and output names: the only names the code reads and writes, each
// declared in Inputs or Outputs.
const (
	inCommand       = "command"
	inPolicy        = "policy"
	inToken         = "token"
	inPrerelease    = "prerelease"
	inFailOnPending = "fail-on-pending"
	inCreateTag     = "create-tag"
	inNotesFile     = "notes-file"
	inChangelog     = "changelog"
	inComponent     = "component"

	outConclusion      = "conclusion"
	outBump            = "bump"
	outVersion         = "version"
	outPreviousVersion = "previous-version"
	outNotes           = "notes"
	outNotesFile       = "notes-file"
	outChangeRecords   = "change-records"
	outReleaseURL      = "release-url"
	outChangelogCommit = "changelog-commit"
)

// Inputs is the Action's input table; action.yml declares exactly these,
// with these defaults (a test holds the two in step).
func Inputs() []Param {
	return []Param{
		{inCommand, "What to do: check (judge the pull request or the merge group of the run, and write the verdict as the commit status shipgate: <base>), version (compute the next version), notes (write the release notes of the next version) or release (validate a pushed tag and create its GitHub release; on a branch push with create-tag, tag and release the next version).", "check"},
		{inPolicy, "Path of the policy file in the repository. check reads it at the pull request's base commit, release on the default branch, version and notes in the workspace.", ".shipgate.yml"},
		{inToken, "Token for the GitHub API: reading the pull request, its reviews and the policy, writing the commit status shipgate: <base> (check), finding the pull requests of commits, creating tags and releases.", "${{ github.token }}"},
		{inPrerelease, "Pre-release identifier for version, notes and release with create-tag, e.g. rc: the next version becomes v1.3.0-rc.1, then v1.3.0-rc.2.", ""},
		{inFailOnPending, "check: fail the step when the policy is still waiting (pending), not only when it fails.", "true"},
		{inCreateTag, "release on a branch push: create the next version's tag and its release (nothing when no commit needs a release).", "false"},
		{inNotesFile, "Where to write the release notes (a path in the workspace); default a file in the runner's temporary folder.", ""},
		{inChangelog, "release: a Keep a Changelog file (e.g. CHANGELOG.md) to add the released version's section to, committed with the deletion of the release-note fragments it used, as one commit on the released branch (the default branch for a pushed tag) through the API; empty: no commit.", ""},
		{inComponent, "version, notes and release: the component of a monorepo (policy key components), e.g. api, whose version line to compute, note and release: its tags (api/v1.4.0) and its own commits. release on a tag push releases a tag of this component only (a pushed tag picks its line by its prefix); empty: the repository's own line.", ""},
	}
}

// Outputs is the Action's output table; action.yml declares exactly these.
func Outputs() []Param {
	return []Param{
		{outConclusion, "check: success, failure, pending or neutral (no policy on the base branch); release: success or failure of the tag's validation.", ""},
		{outBump, "The bump: major, minor, patch or none (check: what the pull request declares; version, notes and release: what the commits require).", ""},
		{outVersion, "The version: the next version's tag (version, notes), or the tag released (release).", ""},
		{outPreviousVersion, "The version tag the next version follows; empty for a first release.", ""},
		{outNotes, "The release notes in Markdown (notes, release); check: the pull request's release note.", ""},
		{outNotesFile, "The file the release notes were written to.", ""},
		{outChangeRecords, "check: the change-record IDs the pull request names, comma-separated.", ""},
		{outReleaseURL, "release: the web address of the release created or updated.", ""},
		{outChangelogCommit, "release with changelog: the commit that updated the changelog and removed the fragments; empty when there was nothing to change.", ""},
	}
}

// param finds a declared name in a table.
func param(table []Param, name string) (Param, bool) {
	for _, p := range table {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// inputEnv is the variable the runner sets for an input: INPUT_ and the
// name upper-cased with spaces made underscores (hyphens stay).
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// parseBool reads a boolean input the way YAML 1.2 writes booleans.
func parseBool(name, v string) (bool, error) {
	switch v {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("input %s is %q: want true or false", name, v)
}
