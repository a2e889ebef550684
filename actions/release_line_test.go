package actions

import (
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
)

// lineRunner is releasedRunner with main released as v1.2.0 and
// release/1.1, cut at v1.1.0, holding one more commit with message (SHA
// "line"): the workspace as actions/checkout leaves it on a push to
// release/1.1.
func lineRunner(t *testing.T, message string) (*runner, history) {
	t.Helper()
	r, h := releasedRunner(t)
	r.ws.git("tag", "v1.2.0", h["docs"])
	r.fake.AddTag(testRepo, "v1.2.0", h["docs"])
	r.ws.git("switch", "-q", "-c", "release/1.1", "v1.1.0")
	h["line"] = r.ws.commit(message)
	return r, h
}

// pushLine sets up a push of release/1.1 at its head.
func (r *runner) pushLine(h history) *runner {
	return r.event("push", "refs/heads/release/1.1", h["line"], map[string]any{"ref": "refs/heads/release/1.1", "after": h["line"], "repository": repository})
}

// capLine caps features on release lines at a patch.
const capLine = releasePolicy + "semver:\n  release_line_features: patch\n"

// refusal is the reason a feature on release/1.1 is refused.
const refusal = "release/1.1 is release line 1.1, which takes patches only, but the commits since v1.1.0 need a minor release"

func TestVersionOnAReleaseLine(t *testing.T) {
	r, h := lineRunner(t, "fix: backport a crash")
	res := r.input("command", "version").pushLine(h).run()
	want := map[string]string{"version": "v1.1.1", "previous-version": "v1.1.0", "bump": "patch"}
	if res.code != 0 || !mapsEqual(res.outputs, want) {
		t.Fatalf("exit %d, outputs %v; want 0 and %v\n%s", res.code, res.outputs, want, res.stdout)
	}
	golden.Assert(t, "version_release_line", []byte(res.summary))
}

func TestVersionOfAFeatureOnAReleaseLine(t *testing.T) {
	r, h := lineRunner(t, "feat: search (#21)")
	res := r.input("command", "version").pushLine(h).run()
	if res.code != 1 || len(res.outputs) != 0 {
		t.Fatalf("exit %d, outputs %v; want 1 and none\n%s", res.code, res.outputs, res.stdout)
	}
	want := "::error title=Not releasable on release line 1.1::" + refusal
	if !slices.ContainsFunc(annotations(res.stdout), func(a string) bool { return strings.HasPrefix(a, want) }) {
		t.Errorf("no annotation starting %q:\n%s", want, res.stdout)
	}
	golden.Assert(t, "version_release_line_feature", []byte(res.summary))
}

func TestVersionOfAFeatureOnAReleaseLineCappedByThePolicy(t *testing.T) {
	r, h := lineRunner(t, "feat: search (#21)")
	r.ws.write(".shipgate.yml", capLine)
	res := r.input("command", "version").pushLine(h).run()
	want := map[string]string{"version": "v1.1.1", "previous-version": "v1.1.0", "bump": "patch"}
	if res.code != 0 || !mapsEqual(res.outputs, want) {
		t.Fatalf("exit %d, outputs %v; want 0 and %v\n%s", res.code, res.outputs, want, res.stdout)
	}
	if !strings.Contains(res.summary, "where semver.release_line_features caps the minor bump the commits need") {
		t.Errorf("the summary does not say the bump was capped:\n%s", res.summary)
	}
}

func TestNotesOnAReleaseLine(t *testing.T) {
	r, h := lineRunner(t, "fix: backport a crash")
	res := r.input("command", "notes").pushLine(h).run()
	notes := res.outputs["notes"]
	if res.code != 0 || !strings.HasPrefix(notes, "## v1.1.1 (2026-11-22)\n") || res.outputs["previous-version"] != "v1.1.0" {
		t.Fatalf("exit %d, previous %q, notes:\n%s\nwant v1.1.1 after v1.1.0\n%s", res.code, res.outputs["previous-version"], notes, res.stdout)
	}
	if !strings.Contains(notes, "backport a crash") || strings.Contains(notes, "CSV") || strings.Contains(notes, "--help") {
		t.Errorf("the notes should hold the backport only, none of main's changes:\n%s", notes)
	}
}

func TestNotesOfAFeatureOnAReleaseLineAreRefused(t *testing.T) {
	r, h := lineRunner(t, "feat: search (#21)")
	res := r.input("command", "notes").pushLine(h).run()
	if res.code != 1 || res.outputs["notes"] != "" || !strings.Contains(res.summary, refusal) {
		t.Fatalf("exit %d, outputs %v, summary:\n%s\nwant 1, no notes and the reason", res.code, res.outputs, res.summary)
	}
}

func TestReleaseTagsTheNextPatchOfAReleaseLine(t *testing.T) {
	r, h := lineRunner(t, "fix: backport a crash")
	res := r.input("command", "release").input("create-tag", "true").pushLine(h).run()
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	if got, want := r.fake.RefsCreated(), []string{testRepo + ":refs/tags/v1.1.1@" + h["line"]}; !slices.Equal(got, want) {
		t.Errorf("refs created = %q, want %q", got, want)
	}
	rels := r.fake.Releases()
	if len(rels) != 1 || rels[0].TagName != "v1.1.1" || !strings.Contains(rels[0].Body, "backport a crash") || strings.Contains(rels[0].Body, "CSV") {
		t.Fatalf("releases = %+v, want v1.1.1 with the backport only", rels)
	}
}

func TestReleaseRefusesToTagAFeatureOnAReleaseLine(t *testing.T) {
	r, h := lineRunner(t, "feat: search (#21)")
	res := r.input("command", "release").input("create-tag", "true").pushLine(h).run()
	if res.code != 1 || len(r.fake.RefsCreated()) != 0 || len(r.fake.Releases()) != 0 {
		t.Fatalf("exit %d, refs %q, releases %+v; want 1 and nothing created\n%s", res.code, r.fake.RefsCreated(), r.fake.Releases(), res.stdout)
	}
	if !strings.Contains(res.summary, refusal) {
		t.Errorf("the summary does not say why:\n%s", res.summary)
	}
}

func TestReleaseOfATagPushedOnAReleaseLine(t *testing.T) {
	tests := []struct {
		name, message, policy, tag string
		wantCode                   int
		wantProblem                string // the annotation's title and the start of its message
	}{
		{name: "the line's next patch after a fix is released", message: "fix: backport a crash", tag: "v1.1.1"},
		{name: "the line's next patch after a feature takes patches only", message: "feat: search (#21)", tag: "v1.1.1", wantCode: 1,
			wantProblem: "title=Invalid version tag v1.1.1 (line)::v1.1.1 is on a release line: " + refusal},
		{name: "the line's next patch after a feature is released when the policy caps it", message: "feat: search (#21)", policy: capLine, tag: "v1.1.1"},
		{name: "a minor on the line is not a version of the line", message: "feat: search (#21)", tag: "v1.3.0", wantCode: 1,
			wantProblem: "title=Invalid version tag v1.3.0 (line)::v1.3.0 is not a version of its release line: release/1.1 is release line 1.1, which takes 1.1.x versions only: tag v1.1.1 instead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, h := lineRunner(t, tt.message)
			if tt.policy != "" {
				r.fake.SetFile(testRepo, "main", ".shipgate.yml", tt.policy) // the default branch's policy decides
			}
			res := r.input("command", "release").pushTag(h, tt.tag, "line").run()
			if res.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s", res.code, tt.wantCode, res.stdout)
			}
			rels := r.fake.Releases()
			if tt.wantCode == 0 {
				if len(rels) != 1 || rels[0].TagName != tt.tag || res.outputs["previous-version"] != "v1.1.0" {
					t.Errorf("releases %+v, outputs %v; want %s released after v1.1.0", rels, res.outputs, tt.tag)
				}
				return
			}
			if len(rels) != 0 || !slices.ContainsFunc(annotations(res.stdout), func(a string) bool { return strings.Contains(a, tt.wantProblem) }) {
				t.Errorf("releases %+v; want none, and an annotation with %q:\n%s", rels, tt.wantProblem, res.stdout)
			}
		})
	}
}
