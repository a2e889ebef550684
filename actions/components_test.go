package actions

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// monorepoPolicy has two components; the PR rule asks for a bump.
const monorepoPolicy = `version: 1
branches: [main]
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
  conventional_title: true
components:
  - {name: api, paths: ["services/api/**"]}
  - {name: web, paths: ["apps/web/**"]}
`

// TestCheckOfAPRTouchingTwoComponents: the Action's check on a pull
// request that changes two components asks for a bump per component and
// lists each in its annotations and summary.
func TestCheckOfAPRTouchingTwoComponents(t *testing.T) {
	files := []fakegithub.File{{Filename: "services/api/export.go", Status: "added"}, {Filename: "apps/web/export.ts", Status: "added"}}
	run := func(labels ...string) result {
		pr := fakegithub.PR{Title: "feat: export everywhere", Author: "alice", Labels: labels}
		r := prRunner(t, 7, pr, monorepoPolicy)
		r.fake.SetPRFiles(testRepo, 7, files)
		return r.prEvent("pull_request", 7, r.fake.PullRequestEvent(testRepo, 7, "synchronize", "alice")).run()
	}
	res := run("semver:api:minor")
	if res.code != 1 || res.outputs["conclusion"] != "failure" {
		t.Fatalf("with api's label only: exit %d, outputs %v\n%s", res.code, res.outputs, res.stdout)
	}
	want := "::error title=Shipgate%3A semver (web)::this change touches component web but declares no bump for it: add one label of semver:web:major"
	if !slices.ContainsFunc(annotations(res.stdout), func(a string) bool { return strings.HasPrefix(a, want) }) {
		t.Errorf("annotations %q\nlack %q", annotations(res.stdout), want)
	}
	res = run("semver:api:minor", "semver:web:patch")
	if res.code != 0 || res.outputs["conclusion"] != "success" {
		t.Fatalf("with a label per component: exit %d, outputs %v\n%s", res.code, res.outputs, res.stdout)
	}
	for _, row := range []string{"api (api/v…): minor, from label semver:api:minor", "web (web/v…): patch, from label semver:web:patch"} {
		if !strings.Contains(res.summary, row) {
			t.Errorf("the summary does not list %q:\n%s", row, res.summary)
		}
	}
}

// componentRunner is a run on a monorepo workspace: api/v1.0.0 and
// web/v0.1.0 tagged, then a fix of api, a feature of web and a
// feature touching both.
func componentRunner(t *testing.T) (*runner, history) {
	t.Helper()
	r := newRunner(t)
	h := history{}
	g := r.ws
	step := func(name, message string, files ...string) {
		for _, f := range files {
			if err := os.MkdirAll(filepath.Join(g.dir, filepath.Dir(f)), 0o755); err != nil {
				t.Fatal(err)
			}
			g.write(f, message)
		}
		g.git(append([]string{"add", "--"}, files...)...)
		h[name] = g.commit(message)
	}
	g.write(".shipgate.yml", monorepoPolicy)
	g.git("add", ".shipgate.yml")
	step("init", "chore: init", "services/api/main.go", "apps/web/main.ts")
	g.git("tag", "api/v1.0.0")
	g.git("tag", "web/v0.1.0")
	step("nil", "fix(api): nil widget", "services/api/main.go")
	step("page", "feat(web): a page", "apps/web/page.ts")
	step("docs", "feat: shared logging", "services/api/log.go", "apps/web/log.ts")
	r.fake.SetFile(testRepo, "main", ".shipgate.yml", monorepoPolicy)
	return r, h
}

func TestVersionAndNotesOfAComponent(t *testing.T) {
	for _, tc := range []struct{ component, version, previous, bump, has, hasNot string }{
		{"api", "api/v1.1.0", "api/v1.0.0", "minor", "nil widget", "a page"},
		{"web", "web/v0.2.0", "web/v0.1.0", "minor", "a page", "nil widget"},
	} {
		t.Run(tc.component, func(t *testing.T) {
			r, h := componentRunner(t)
			res := r.input("command", "notes").input("component", tc.component).input("token", "").pushBranch(h).run()
			if res.code != 0 {
				t.Fatalf("exit %d\n%s", res.code, res.stdout)
			}
			if res.outputs["version"] != tc.version || res.outputs["previous-version"] != tc.previous || res.outputs["bump"] != tc.bump {
				t.Errorf("outputs %v, want version %s after %s (%s)", res.outputs, tc.version, tc.previous, tc.bump)
			}
			notes := res.outputs["notes"]
			if !strings.Contains(notes, tc.has) || !strings.Contains(notes, "shared logging") || strings.Contains(notes, tc.hasNot) {
				t.Errorf("notes of %s: want %q and the shared commit, not %q:\n%s", tc.component, tc.has, tc.hasNot, notes)
			}
		})
	}
	r, h := componentRunner(t)
	res := r.input("command", "version").input("component", "mobile").pushBranch(h).run()
	if res.code != 2 || !strings.Contains(res.stdout, `input component is "mobile", which .shipgate.yml does not declare; its components: api, web`) {
		t.Errorf("an unknown component: exit %d\n%s", res.code, res.stdout)
	}
}

func TestReleaseOfAComponentsTag(t *testing.T) {
	r, h := componentRunner(t)
	// api's own commits since api/v1.0.0 are a fix and the shared feature.
	res := r.input("command", "release").input("component", "api").pushTag(h, "api/v1.0.1", "docs").run()
	if res.code != 1 || !strings.Contains(res.stdout, "minor") {
		t.Fatalf("api/v1.0.1 after api's feature: exit %d\n%s", res.code, res.stdout)
	}
	r.ws.git("tag", "-d", "api/v1.0.1")
	res = r.pushTag(h, "api/v1.1.0", "docs").run()
	rels := r.fake.Releases()
	if res.code != 0 || len(rels) != 1 || rels[0].TagName != "api/v1.1.0" {
		t.Fatalf("api/v1.1.0: exit %d, releases %+v\n%s", res.code, rels, res.stdout)
	}
	if body := rels[0].Body; !strings.Contains(body, "nil widget") || strings.Contains(body, "a page") {
		t.Errorf("api's release holds other commits than api's:\n%s", body)
	}
	// A run releasing api's tags leaves web's to web's run.
	res = r.pushTag(h, "web/v0.2.0", "docs").run()
	if res.code != 0 || len(r.fake.Releases()) != 1 || !strings.Contains(res.stdout, "the tag web/v0.2.0 belongs to component web, not to component api") {
		t.Errorf("web's tag in api's run: exit %d, %d releases\n%s", res.code, len(r.fake.Releases()), res.stdout)
	}
}
