package bot_test

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/testbed"
	"github.com/shipgate/shipgate/policies"
)

// monorepoPolicy has two components, each released and deployed on its own.
const monorepoPolicy = `version: 1
branches: [main]
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
  conventional_title: true
components:
  - {name: api, paths: ["services/api/**"]}
  - {name: web, paths: ["apps/web/**"]}
deploy:
  environments:
    - {name: api-staging, on: release, component: api, steps: [{wait: 1m}]}
    - {name: web-staging, on: release, component: web, steps: [{wait: 1m}]}
    - {name: staging, on: release, steps: [{wait: 1m}]}
`

// TestAPRTouchingTwoComponents runs the bot on both hosts: a change to two
// components needs a bump declared for each, and the verdict lists each
// with its bump.
func TestAPRTouchingTwoComponents(t *testing.T) {
	for _, host := range []policies.Host{policies.GitHub, policies.GitLab} {
		t.Run(string(host), func(t *testing.T) {
			h := testbed.NewHost(t, host, monorepoPolicy, crew)
			h.Open(1, testbed.Change{Title: "feat: export everywhere", Author: "dave", SHA: "c1",
				Files: []string{"services/api/export.go", "apps/web/export.ts"}})
			h.Drain()
			// GitLab's commit status holds one line: the sticky comment holds the rows.
			report := func() (string, string) {
				v := h.Verdict("c1", "main")
				return v.Conclusion, v.Text + "\n" + h.Sticky(1)
			}
			if c, text := report(); c != "failure" || !strings.Contains(text, "semver:api:minor") || !strings.Contains(text, "semver:web:") {
				t.Fatalf("without a label per component: %s %s", c, text)
			}
			h.Label(1, "semver:api:minor", "dave")
			h.Drain()
			if c, text := report(); c != "failure" || !strings.Contains(text, "touches component web but declares no bump") {
				t.Fatalf("with api's label only: %s %s", c, text)
			}
			h.Label(1, "semver:web:patch", "dave")
			h.Drain()
			c, text := report()
			if c != "success" {
				t.Fatalf("with a label per component: %s %s", c, text)
			}
			for _, want := range []string{"api (api/v…): minor", "web (web/v…): patch"} {
				if !strings.Contains(text, want) {
					t.Errorf("the report does not list %q:\n%s", want, text)
				}
			}
		})
	}
}

// TestAComponentTag runs the bot on both hosts: it validates a
// component's tag against the component's own commits (read with their
// files through the host's API) and starts only the component's
// environments.
func TestAComponentTag(t *testing.T) {
	for _, host := range []policies.Host{policies.GitHub, policies.GitLab} {
		t.Run(string(host), func(t *testing.T) {
			h := testbed.NewHost(t, host, monorepoPolicy, crew)
			fc := h.(testbed.FileCommitter)
			fc.CommitFiles("c1", "chore: init", "dave", "README.md", "services/api/main.go", "apps/web/main.ts")
			h.Tag("api/v1.0.0", "c1")
			fc.CommitFiles("c2", "feat(web): a new page", "dave", "apps/web/page.ts")
			fc.CommitFiles("c3", "fix(api): nil widget", "dave", "services/api/main.go")

			// web's feature is not api's: a patch of api is its next version.
			h.PushTag("api/v1.0.1", "c3", "bob")
			h.Drain()
			if v := h.TagVerdict("c3"); v.Conclusion != "success" {
				t.Fatalf("api/v1.0.1 after api's fix and web's feature: %+v", v)
			}
			if got := h.Deployment("api-staging"); !strings.HasPrefix(got, "api/v1.0.1 ") {
				t.Errorf("api-staging: %q, want api/v1.0.1 deploying", got)
			}
			for _, env := range []string{"web-staging", "staging"} {
				if got := h.Deployment(env); got != "" {
					t.Errorf("api's release started %s: %q", env, got)
				}
			}

			// api's own feature needs a minor.
			fc.CommitFiles("c4", "feat(api): list widgets", "dave", "services/api/list.go")
			h.PushTag("api/v1.0.2", "c4", "bob")
			h.Drain()
			if v := h.TagVerdict("c4"); v.Conclusion != "failure" {
				t.Fatalf("api/v1.0.2 after api's feature: %+v", v)
			}
		})
	}
}

// TestReleaseOfAComponentByCommand: `/release api` on a merged change
// cuts api's next release from its own commits, on both hosts.
func TestReleaseOfAComponentByCommand(t *testing.T) {
	for _, host := range []policies.Host{policies.GitHub, policies.GitLab} {
		t.Run(string(host), func(t *testing.T) {
			h := testbed.NewHost(t, host, monorepoPolicy, crew)
			fc := h.(testbed.FileCommitter)
			fc.CommitFiles("c1", "chore: init", "dave", "services/api/main.go", "apps/web/main.ts")
			h.Tag("api/v1.0.0", "c1")
			h.Tag("web/v0.1.0", "c1")
			fc.CommitFiles("c2", "feat(web): a new page", "dave", "apps/web/page.ts")
			h.Open(1, testbed.Change{Title: "fix(api): nil widget", Author: "dave", SHA: "c3", Labels: []string{"semver:api:patch"},
				Files: []string{"services/api/main.go"}})
			h.Drain()
			h.Merge(1, "bob")
			fc.SetCommitFiles("c3", "services/api/main.go")
			h.Drain()
			h.Comment(1, "bob", "/release api")
			h.Drain()
			if got := h.TagsCreated(); len(got) != 1 || got[0] != "api/v1.0.1" {
				t.Fatalf("tags created %v, want api/v1.0.1 (web's feature is not api's)\nreplies: %q", got, h.Replies(1))
			}
			if v := h.TagVerdict("c3"); v.Conclusion != "success" {
				t.Errorf("api/v1.0.1's status: %+v", v)
			}
			h.Comment(1, "bob", "/release web")
			h.Drain()
			if got := h.TagsCreated(); len(got) != 2 || got[1] != "web/v0.2.0" {
				t.Errorf("tags created %v, want web/v0.2.0 next", got)
			}
		})
	}
}
