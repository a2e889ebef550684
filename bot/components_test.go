package bot_test

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
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

// TestAComponentTagOnGitHub: the bot validates a component's tag against
// the component's own commits (read with their files from GitHub) and
// starts only the component's environments.
func TestAComponentTagOnGitHub(t *testing.T) {
	g := testbed.NewGitHub(t, monorepoPolicy, map[string]string{"bob": "maintain", "dave": "write"})
	main := ""
	commit := func(message string, files ...string) string {
		c := fakegithub.Commit{Message: message, Author: "dave", Date: g.Clock.Now(), Files: files}
		if main != "" {
			c.Parents = []string{main}
		}
		main = g.Fake.AddCommit(testbed.GitHubRepo, c)
		g.Fake.SetBranch(testbed.GitHubRepo, "main", main)
		return main
	}
	pushTag := func(tag, sha string) {
		g.Fake.AddTag(testbed.GitHubRepo, tag, sha)
		g.Deliver("push", g.Fake.PushEvent(testbed.GitHubRepo, "refs/tags/"+tag, strings.Repeat("0", 40), sha, "bob"))
		g.Drain()
	}
	tagStatus := func(sha string) (state, text string) {
		for _, st := range g.Fake.Statuses(testbed.GitHubRepo, sha) {
			if st.Context == "shipgate/tag" {
				state, text = st.State, st.Description
			}
		}
		return state, text
	}
	c1 := commit("chore: init", "README.md", "services/api/main.go", "apps/web/main.ts")
	g.Fake.AddTag(testbed.GitHubRepo, "api/v1.0.0", c1)
	commit("feat(web): a new page", "apps/web/page.ts")
	c3 := commit("fix(api): nil widget", "services/api/main.go")

	// web's feature is not api's: a patch of api is its next version.
	pushTag("api/v1.0.1", c3)
	if st, text := tagStatus(c3); st != "success" {
		t.Fatalf("api/v1.0.1 after api's fix and web's feature: %s %q", st, text)
	}
	var started []string
	for _, d := range g.Fake.Deployments(testbed.GitHubRepo) {
		started = append(started, d.Environment+"@"+d.Ref)
	}
	if strings.Join(started, ",") != "api-staging@api/v1.0.1" {
		t.Errorf("api's release started %v, want api-staging only", started)
	}

	// api's own feature needs a minor.
	c4 := commit("feat(api): list widgets", "services/api/list.go")
	pushTag("api/v1.0.2", c4)
	if st, text := tagStatus(c4); st != "failure" || !strings.Contains(text, "minor") {
		t.Fatalf("api/v1.0.2 after api's feature: %s %q", st, text)
	}
}
