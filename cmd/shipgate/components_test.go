package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

// monorepoPolicyFile declares three components of one repository: two
// picked by their paths, one by its paths and its conventional scope.
const monorepoPolicyFile = `version: 1
components:
  - name: api
    paths: ["services/api/**"]
    tag_prefix: api/v
  - name: web
    paths: ["apps/web/**"]
  - name: cli
    paths: ["cmd/cli/**"]
    scopes: [cli]
`

// monorepoFixture is a real git repository with three components whose
// commits interleave, each released under its own tag prefix:
//
//	1 chore: init                           README, cmd/cli/main.go   ← cli/v2.3.0
//	2 feat(api): list widgets               services/api/list.go      ← api/v1.0.0
//	3 feat(web): first page                 apps/web/index.ts         ← web/v0.1.0
//	4 fix(api): nil widget                  services/api/list.go
//	5 feat: structured logging              services/api/log.go, apps/web/log.ts
//	6 fix(cli): parse --flag=value          cmd/cli/main.go
//	7 feat(web)!: new router                apps/web/router.ts
//	8 docs: readme                          README.md
//	9 fix(cli): typo in the help page       docs/cli.md (no file of cli's: its scope)
//
// Expected, and what the monorepo modes of semantic-release and
// release-please document for the same history:
//
//   - api: commits 4 and 5 (a fix and a feature) → api/v1.1.0. Commit 3
//     (web's feature, after api/v1.0.0) is not api's.
//     semantic-release-monorepo: "commits are assigned to packages based
//     on the files that a commit touched … A single commit can belong to
//     multiple packages" (https://npmjs.com/package/semantic-release-monorepo):
//     the same commits, the same 1.1.0; its tag would read api-1.1.0
//     ("<package-name>-<version>"). release-please's manifest releaser
//     keeps one version per package path
//     (https://github.com/googleapis/release-please/blob/main/docs/manifest-releaser.md)
//     and, with "tag-separator": "/" and include-component-in-tag, tags
//     api/v1.1.0 as here.
//   - web: commits 5 and 7, a breaking change below 1.0.0 → web/v1.0.0
//     (semver.pre_major_breaking defaults to major). semantic-release
//     gives the same for a 0.x package; release-please too unless its
//     bump-minor-pre-major option is set (then 0.2.0, as
//     pre_major_breaking: minor gives here).
//   - cli: commits 6 and 9, two fixes → cli/v2.3.1. Commit 9 changes no
//     file of cli's: it counts through its scope (scopes: [cli]). Both
//     tools assign commits by files only, so their notes would hold the
//     fix of commit 6 alone (the version is the same, 2.3.1).
//   - The repository's own line (tags v…) has no tag: v0.1.0, as before.
func monorepoFixture(t *testing.T) *gitFixture {
	f := newGitFixture(t)
	step := func(message string, files ...string) {
		t.Helper()
		for _, name := range files {
			if err := os.MkdirAll(filepath.Join(f.dir, filepath.Dir(name)), 0o755); err != nil {
				t.Fatal(err)
			}
			f.write(name, message+"\n")
		}
		f.git(append([]string{"add", "--"}, files...)...)
		f.commit(message)
	}
	step("chore: init", "README.md", "cmd/cli/main.go")
	f.git("tag", "cli/v2.3.0")
	step("feat(api): list widgets", "services/api/list.go")
	f.git("tag", "-a", "-m", "api 1.0.0", "api/v1.0.0")
	step("feat(web): first page", "apps/web/index.ts")
	f.git("tag", "web/v0.1.0")
	step("fix(api): nil widget", "services/api/list.go")
	step("feat: structured logging", "services/api/log.go", "apps/web/log.ts")
	step("fix(cli): parse --flag=value", "cmd/cli/main.go")
	step("feat(web)!: new router", "apps/web/router.ts")
	step("docs: readme", "README.md")
	step("fix(cli): typo in the help page", "docs/cli.md")
	f.write(".shipgate.yml", monorepoPolicyFile)
	return f
}

func TestMonorepoVersionNextPerComponent(t *testing.T) {
	f := monorepoFixture(t)
	for _, tc := range []struct{ component, want string }{
		{"api", `{"previous": "api/v1.0.0", "next": "api/v1.1.0", "bump": "minor", "commits": 2}`},
		{"web", `{"previous": "web/v0.1.0", "next": "web/v1.0.0", "bump": "major", "commits": 2}`},
		{"CLI", `{"previous": "cli/v2.3.0", "next": "cli/v2.3.1", "bump": "patch", "commits": 2}`},
		{"", `{"previous": "", "next": "v0.1.0", "bump": "major", "commits": 9}`},
	} {
		t.Run("component "+tc.component, func(t *testing.T) {
			args := []string{"version", "next", "--repo", f.dir, "--format", "json"}
			if tc.component != "" {
				args = append(args, "--component", tc.component)
			}
			code, stdout, stderr := runCLI(args...)
			if code != 0 || strings.TrimSpace(stdout) != tc.want {
				t.Errorf("shipgate %s: exit %d, stdout %q, stderr %q\nwant %s", strings.Join(args, " "), code, stdout, stderr, tc.want)
			}
		})
	}
	code, _, stderr := runCLI("version", "next", "--repo", f.dir, "--component", "mobile")
	if code != 2 || !strings.Contains(stderr, "--component mobile: no such component in") || !strings.Contains(stderr, "components: api, web, cli") {
		t.Errorf("an unknown component: exit %d, stderr %q", code, stderr)
	}
}

func TestMonorepoNotesPerComponent(t *testing.T) {
	f := monorepoFixture(t)
	notes := func(component string) string {
		t.Helper()
		code, stdout, stderr := runCLI("notes", "--repo", f.dir, "--component", component, "--date", "2026-12-01")
		if code != 0 {
			t.Fatalf("notes --component %s: exit %d, stderr %q", component, code, stderr)
		}
		return stdout
	}
	for component, want := range map[string]struct{ has, hasNot []string }{
		"api": {has: []string{"api/v1.1.0", "nil widget", "structured logging"},
			hasNot: []string{"list widgets", "first page", "new router", "parse --flag", "typo in the help"}},
		"web": {has: []string{"new router", "structured logging", "web/v1.0.0"},
			hasNot: []string{"nil widget", "parse --flag", "first page"}},
		"cli": {has: []string{"cli/v2.3.1", "parse --flag=value", "typo in the help page"},
			hasNot: []string{"nil widget", "new router", "structured logging"}},
	} {
		out := notes(component)
		for _, s := range want.has {
			if !strings.Contains(out, s) {
				t.Errorf("notes of %s lack %q:\n%s", component, s, out)
			}
		}
		for _, s := range want.hasNot {
			if strings.Contains(out, s) {
				t.Errorf("notes of %s hold another component's %q:\n%s", component, s, out)
			}
		}
	}
}

func TestMonorepoTagCheckPerComponent(t *testing.T) {
	f := monorepoFixture(t)
	for _, tc := range []struct {
		name, tag, at string
		wantCode      int
		want          string
	}{
		{"api's next minor is valid", "api/v1.1.0", "HEAD", 0, "ok: api/v1.1.0"},
		{"api's patch where an api feature landed needs a minor", "api/v1.0.1", "HEAD", 1, "minor"},
		{"a patch of api after web's feature alone is valid: web's commit is not api's", "api/v1.0.1", "HEAD~5", 0, "ok: api/v1.0.1"},
		{"web's minor after a breaking change needs a major", "web/v0.2.0", "HEAD", 1, "major"},
		{"cli's patch is valid", "cli/v2.3.1", "HEAD", 0, "ok: cli/v2.3.1"},
		{"a component's version that skips one is refused", "cli/v2.5.0", "HEAD", 1, "skips"},
		{"a component's tag below its latest is refused", "api/v0.9.0", "HEAD", 1, "api/v1.0.0"},
		{"a component's tag that is no version says how to write one", "web/vnext", "HEAD", 1, "web/vMAJOR.MINOR.PATCH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.git("tag", tc.tag, tc.at)
			defer f.git("tag", "-d", tc.tag)
			code, stdout, stderr := runCLI("tag", "check", tc.tag, "--repo", f.dir)
			if code != tc.wantCode || !strings.Contains(stdout, tc.want) {
				t.Errorf("tag check %s at %s: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.tag, tc.at, code, stdout, stderr, tc.wantCode, tc.want)
			}
		})
	}
}

// TestReadmeMonorepoExample holds the README's monorepo policy valid, and
// its commands to flags that exist.
func TestReadmeMonorepoExample(t *testing.T) {
	blocks := sectionBlocks(t, "Monorepo components")
	var policy, commands string
	for _, b := range blocks {
		switch b.lang {
		case "yaml":
			policy = b.text
		case "sh":
			commands = b.text
		}
	}
	p, err := policies.Load("README.md", []byte(policy))
	if err != nil {
		t.Fatalf("the README's monorepo policy: %v", err)
	}
	if got := strings.Join(p.ComponentNames(), ","); got != "api,web,cli" {
		t.Errorf("components %s", got)
	}
	for _, line := range strings.Split(strings.TrimSpace(commands), "\n") {
		cmdline, _, _ := strings.Cut(line, "#")
		args := append(strings.Fields(cmdline)[1:], "--help")
		if code, _, stderr := runCLI(args...); code != 0 {
			t.Errorf("%s: exit %d, %s", cmdline, code, stderr)
		}
	}
}
