package actions

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/golden"
)

// releasePolicy is the policy on the default branch (release) and in the
// workspace (version, notes).
const releasePolicy = `version: 1
release_notes:
  none_label: release-note-none
tags:
  branches: [main, "release/*"]
`

// history is the workspace's git history: SHAs by name.
type history map[string]string

// releasedRunner is a run on a workspace with v1.0.0 and v1.1.0 on main
// and three unreleased commits: PR #15's merge (a fix with a release-note
// block), PR #16's (a feature labelled as needing no note) and docs.
func releasedRunner(t *testing.T) (*runner, history) {
	t.Helper()
	r := newRunner(t)
	h := history{}
	g := r.ws
	g.write(".shipgate.yml", releasePolicy)
	g.git("add", ".shipgate.yml")
	h["init"] = g.commit("chore: init")
	g.git("tag", "v1.0.0")
	h["pagination"] = g.commit("feat(api): add pagination (#12)", "Alice <123+alice@users.noreply.github.com>")
	h["empty"] = g.commit("fix: handle empty config files")
	g.git("tag", "-a", "-m", "Release 1.1.0", "v1.1.0")
	h["crash"] = g.commit("fix(cli): crash on --help (#15)")
	h["csv"] = g.commit("feat: export to CSV (#16)", "Bob Builder <bob@example.com>")
	h["docs"] = g.commit("docs: explain releases\n\nLonger text.")
	r.fake.SetFile(testRepo, "main", ".shipgate.yml", releasePolicy)
	r.fake.AddPR(testRepo, fakegithub.PR{Number: 15, Title: "Fix the crash on --help", Author: "carol", Merged: true,
		MergedAt: testNow, MergeCommitSHA: h["crash"], Body: "```release-note\n`--help` no longer crashes\non an empty config.\n```"})
	r.fake.AddPR(testRepo, fakegithub.PR{Number: 16, Title: "CSV export", Author: "bob", Merged: true,
		MergedAt: testNow, MergeCommitSHA: h["csv"], Labels: []string{"release-note-none"}})
	return r, h
}

// repository is the repository object of push payloads.
var repository = map[string]any{"full_name": testRepo, "default_branch": "main"}

// pushBranch sets up a push of main at its head.
func (r *runner) pushBranch(h history) *runner {
	return r.event("push", "refs/heads/main", h["docs"], map[string]any{"ref": "refs/heads/main", "after": h["docs"], "repository": repository})
}

// pushTag tags the commit named at and sets up the push of the tag.
func (r *runner) pushTag(h history, tag, at string) *runner {
	r.ws.git("tag", tag, h[at])
	r.fake.AddTag(testRepo, tag, h[at]) // pushed: GitHub has it too
	return r.event("push", "refs/tags/"+tag, h[at], map[string]any{"ref": "refs/tags/" + tag, "after": h[at], "repository": repository})
}

func TestVersion(t *testing.T) {
	r, h := releasedRunner(t)
	res := r.input("command", "version").pushBranch(h).run()
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	want := map[string]string{"version": "v1.2.0", "previous-version": "v1.1.0", "bump": "minor"}
	if !mapsEqual(res.outputs, want) {
		t.Errorf("outputs = %v, want %v", res.outputs, want)
	}
	golden.Assert(t, "version", []byte(res.summary))
	if n := len(r.fake.Requests()); n != 0 {
		t.Errorf("version made %d API requests, want none", n)
	}
}

func TestVersionWithPrereleaseInput(t *testing.T) {
	r, h := releasedRunner(t)
	r.ws.git("tag", "v1.2.0-rc.1", h["csv"])
	res := r.input("command", "version").input("prerelease", "rc").pushBranch(h).run()
	if res.code != 0 || res.outputs["version"] != "v1.2.0-rc.2" {
		t.Fatalf("exit %d, outputs %v; want version v1.2.0-rc.2\n%s", res.code, res.outputs, res.stdout)
	}
}

func TestShallowCloneSaysToFetchTheWholeHistory(t *testing.T) {
	for _, command := range []string{"version", "notes", "release"} {
		t.Run(command, func(t *testing.T) {
			r, h := releasedRunner(t)
			shallow := filepath.Join(r.root, "shallow")
			if out, err := exec.Command("git", "clone", "-q", "--depth", "1", "file://"+r.ws.dir, shallow).CombinedOutput(); err != nil {
				t.Fatalf("git clone: %v\n%s", err, out)
			}
			r.env["GITHUB_WORKSPACE"] = shallow
			res := r.input("command", command).input("create-tag", "true").pushBranch(h).run()
			want := "::error::the workspace " + shallow + " is a shallow clone, so its tags and history are cut: check it out with actions/checkout and `fetch-depth: 0`"
			if res.code != 2 || !slices.Contains(annotations(res.stdout), want) {
				t.Fatalf("exit %d, log:\n%s\nwant exit 2 and %q", res.code, res.stdout, want)
			}
			if !strings.Contains(res.summary, "fetch-depth: 0") {
				t.Errorf("summary does not say how to fix it:\n%s", res.summary)
			}
		})
	}
}

func TestNotes(t *testing.T) {
	r, h := releasedRunner(t)
	res := r.input("command", "notes").pushBranch(h).run()
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	notes := r.scrub(res.outputs["notes"])
	golden.Assert(t, "notes.md", []byte(notes))
	if !strings.Contains(notes, "`--help` no longer crashes on an empty config. ([#15](https://github.example/acme/widgets/pull/15)) by [@carol](https://github.example/carol)") {
		t.Errorf("PR #15's own note, linked, is missing:\n%s", notes)
	}
	if strings.Contains(notes, "CSV") {
		t.Errorf("PR #16 needs no note, but the notes list it:\n%s", notes)
	}
	file := res.outputs["notes-file"]
	if content, err := os.ReadFile(file); err != nil || string(content) != res.outputs["notes"] {
		t.Errorf("notes-file %q holds %q (%v), want the notes output", file, content, err)
	}
	golden.Assert(t, "notes_summary", []byte(r.scrub(res.summary)))
}

func TestNotesWithoutTokenFallBackToCommitSubjects(t *testing.T) {
	r, h := releasedRunner(t)
	res := r.input("command", "notes").input("token", "").input("notes-file", "out/NOTES.md").pushBranch(h).run()
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	if !strings.Contains(res.stdout, "::warning::release notes from commit subjects only") {
		t.Errorf("no warning:\n%s", res.stdout)
	}
	if !strings.Contains(res.outputs["notes"], "- **cli:** crash on --help ([#15]") {
		t.Errorf("notes lack the commit subject:\n%s", res.outputs["notes"])
	}
	if want := filepath.Join(r.ws.dir, "out", "NOTES.md"); res.outputs["notes-file"] != want {
		t.Errorf("notes-file = %q, want %q", res.outputs["notes-file"], want)
	}
}

func TestReleaseOfAPushedTag(t *testing.T) {
	r, h := releasedRunner(t)
	res := r.input("command", "release").pushTag(h, "v1.2.0", "docs").run()
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	rels := r.fake.Releases()
	if len(rels) != 1 || rels[0].TagName != "v1.2.0" || rels[0].Prerelease || rels[0].Name != "v1.2.0" {
		t.Fatalf("releases = %+v, want one of v1.2.0, not a pre-release", rels)
	}
	golden.Assert(t, "release_body.md", []byte(r.scrub(rels[0].Body)))
	wantOut := map[string]string{
		"conclusion": "success", "version": "v1.2.0", "previous-version": "v1.1.0", "bump": "minor",
		"notes": rels[0].Body, "notes-file": filepath.Join(r.root, "temp", "shipgate-release-notes.md"),
		"release-url": r.webURL() + "/acme/widgets/releases/tag/v1.2.0",
	}
	if !mapsEqual(res.outputs, wantOut) {
		t.Errorf("outputs = %v\nwant %v", res.outputs, wantOut)
	}
	golden.Assert(t, "release_tag_summary", []byte(r.scrub(res.summary)))
	if refs := r.fake.RefsCreated(); len(refs) != 0 {
		t.Errorf("refs created = %q, want none (the tag was pushed)", refs)
	}

	// A re-run repairs the release instead of failing.
	again := r.run()
	if again.code != 0 || len(r.fake.Releases()) != 1 || !strings.Contains(again.summary, "Updated the release") {
		t.Errorf("re-run: exit %d, %d releases, summary:\n%s", again.code, len(r.fake.Releases()), again.summary)
	}
}

func TestReleaseOfAPrereleaseTagIsMarkedSo(t *testing.T) {
	r, h := releasedRunner(t)
	res := r.input("command", "release").pushTag(h, "v1.2.0-rc.1", "docs").run()
	rels := r.fake.Releases()
	if res.code != 0 || len(rels) != 1 || !rels[0].Prerelease || rels[0].TagName != "v1.2.0-rc.1" {
		t.Fatalf("exit %d, releases %+v; want a pre-release v1.2.0-rc.1\n%s", res.code, rels, res.stdout)
	}
}

func TestReleaseRefusesInvalidTags(t *testing.T) {
	tests := []struct {
		name, tag, at string
		setup         func(r *runner, h history)
		wantKinds     []string
	}{
		{name: "a name that is no version", tag: "latest", at: "docs", wantKinds: []string{"semver"}},
		{name: "a version below the highest tag", tag: "v1.0.5", at: "docs", wantKinds: []string{"order"}},
		{name: "a version that skips one", tag: "v1.4.0", at: "docs", wantKinds: []string{"skip"}},
		{name: "a patch where a feature landed", tag: "v1.1.1", at: "docs", wantKinds: []string{"bump"}},
		{name: "a commit on no allowed branch", tag: "v1.2.0", at: "unmerged", wantKinds: []string{"branch"},
			setup: func(r *runner, h history) {
				r.ws.git("switch", "-q", "-c", "feature/x")
				h["unmerged"] = r.ws.commit("feat: unmerged work")
				r.ws.git("switch", "-q", "main")
			}},
		{name: "a pre-release numbered below an existing one", tag: "v1.2.0-rc.1", at: "docs", wantKinds: []string{"order"},
			setup: func(r *runner, h history) { r.ws.git("tag", "v1.2.0-rc.2", h["csv"]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, h := releasedRunner(t)
			if tt.setup != nil {
				tt.setup(r, h)
			}
			res := r.input("command", "release").pushTag(h, tt.tag, tt.at).run()
			if res.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", res.code, res.stdout)
			}
			var kinds []string
			for _, a := range annotations(res.stdout) {
				_, rest, ok := strings.Cut(a, "title=Invalid version tag "+tt.tag+" (")
				if ok {
					kind, _, _ := strings.Cut(rest, ")")
					kinds = append(kinds, kind)
				}
			}
			if !slices.Equal(kinds, tt.wantKinds) {
				t.Errorf("problems %q, want %q\n%s", kinds, tt.wantKinds, res.stdout)
			}
			if res.outputs["conclusion"] != "failure" || res.outputs["version"] != tt.tag {
				t.Errorf("outputs = %v, want conclusion failure and version %s", res.outputs, tt.tag)
			}
			if rels := r.fake.Releases(); len(rels) != 0 {
				t.Errorf("releases = %+v, want none", rels)
			}
			if !strings.Contains(res.summary, "is not a valid version tag:") {
				t.Errorf("summary does not say why:\n%s", res.summary)
			}
		})
	}
}

func TestReleaseSummaryOfAnInvalidTag(t *testing.T) {
	r, h := releasedRunner(t)
	res := r.input("command", "release").pushTag(h, "v1.1.1", "docs").run()
	if res.code != 1 {
		t.Fatalf("exit %d", res.code)
	}
	golden.Assert(t, "release_invalid_tag_summary", []byte(res.summary))
}

func TestReleaseCreatesTheTagOfABranchPush(t *testing.T) {
	r, h := releasedRunner(t)
	res := r.input("command", "release").input("create-tag", "true").pushBranch(h).run()
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	if got, want := r.fake.RefsCreated(), []string{testRepo + ":refs/tags/v1.2.0@" + h["docs"]}; !slices.Equal(got, want) {
		t.Errorf("refs created = %q, want %q", got, want)
	}
	rels := r.fake.Releases()
	if len(rels) != 1 || rels[0].TagName != "v1.2.0" || rels[0].Prerelease || !strings.Contains(rels[0].Body, "no longer crashes") {
		t.Fatalf("releases = %+v", rels)
	}
	if res.outputs["version"] != "v1.2.0" || res.outputs["release-url"] == "" || res.outputs["conclusion"] != "success" {
		t.Errorf("outputs = %v", res.outputs)
	}
	golden.Assert(t, "release_branch_summary", []byte(r.scrub(res.summary)))
}

func TestReleaseCreatesAPrereleaseTagWithThePrereleaseInput(t *testing.T) {
	r, h := releasedRunner(t)
	res := r.input("command", "release").input("create-tag", "true").input("prerelease", "rc").pushBranch(h).run()
	rels := r.fake.Releases()
	if res.code != 0 || len(rels) != 1 || rels[0].TagName != "v1.2.0-rc.1" || !rels[0].Prerelease {
		t.Fatalf("exit %d, releases %+v; want pre-release v1.2.0-rc.1\n%s", res.code, rels, res.stdout)
	}
}

func TestReleaseOfABranchWithNothingToReleaseCreatesNothing(t *testing.T) {
	r, h := releasedRunner(t)
	r.ws.git("tag", "v1.2.0", h["csv"]) // only docs since
	res := r.input("command", "release").input("create-tag", "true").pushBranch(h).run()
	if res.code != 0 || len(r.fake.RefsCreated()) != 0 || len(r.fake.Releases()) != 0 {
		t.Fatalf("exit %d, refs %q, releases %+v; want 0 and nothing created\n%s", res.code, r.fake.RefsCreated(), r.fake.Releases(), res.stdout)
	}
	if res.outputs["bump"] != "none" || res.outputs["version"] != "v1.2.0" {
		t.Errorf("outputs = %v, want bump none and version v1.2.0", res.outputs)
	}
	if !strings.Contains(res.summary, "Nothing to do: the 1 commits since v1.2.0 need no release") {
		t.Errorf("summary:\n%s", res.summary)
	}
}

func TestReleaseOfABranchWithoutCreateTagDoesNothing(t *testing.T) {
	r, h := releasedRunner(t)
	res := r.input("command", "release").pushBranch(h).run()
	if res.code != 0 || len(r.fake.Requests()) != 0 {
		t.Fatalf("exit %d, %d requests; want 0 and none\n%s", res.code, len(r.fake.Requests()), res.stdout)
	}
	if !strings.Contains(res.stdout, "::notice::nothing to do: on a branch push the release command tags and releases only with `create-tag: true`") {
		t.Errorf("log:\n%s", res.stdout)
	}
}

func TestReleaseReadsThePolicyOfTheDefaultBranch(t *testing.T) {
	r, h := releasedRunner(t)
	// The default branch allows tags on release/* only; the workspace's
	// policy (the tagged commit's) would allow main.
	r.fake.SetFile(testRepo, "main", ".shipgate.yml", "version: 1\ntags:\n  branches: [\"release/*\"]\n")
	res := r.input("command", "release").pushTag(h, "v1.2.0", "docs").run()
	if res.code != 1 || !strings.Contains(res.stdout, "title=Invalid version tag v1.2.0 (branch)") {
		t.Fatalf("exit %d, want 1 with a branch problem\n%s", res.code, res.stdout)
	}
}

func TestReleaseWithAnInvalidPolicyOnTheDefaultBranch(t *testing.T) {
	r, h := releasedRunner(t)
	r.fake.SetFile(testRepo, "main", ".shipgate.yml", "version: 1\ntags:\n  prefix: 7\n  brnches: [main]\n")
	res := r.input("command", "release").pushTag(h, "v1.2.0", "docs").run()
	if res.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.stdout)
	}
	if !strings.Contains(res.stdout, "::error col=3,file=.shipgate.yml,line=4,title=Invalid Shipgate policy::tags.brnches: ") {
		t.Errorf("no annotation on line 4:\n%s", res.stdout)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
