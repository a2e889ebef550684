package bot_test

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/testbed"
)

// twoEyesPolicy asks one SRE and one security reviewer: two people.
const twoEyesPolicy = `version: 1
branches: [main]
approvals:
  - name: two-eyes
    all_of:
      - {name: sre, from: ["@acme/sre"]}
      - {name: security, from: ["@acme/security"]}
  - name: big
    when: {changed_lines: {over: 100}}
    any_of:
      - {from: [bob]}
      - {from: [frank]}
`

func TestAttackOneReviewerInTwoTeamsCannotPassAnAllOfThroughTheBot(t *testing.T) {
	g := testbed.NewGitHub(t, twoEyesPolicy, people)
	g.Fake.AddTeamMember("acme", "sre", "mallory")
	g.Fake.AddTeamMember("acme", "security", "mallory")
	g.Fake.AddTeamMember("acme", "security", "alice")
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX, fakegithub.File{Filename: "app.go", Additions: 10})
	g.Review(1, "mallory", "APPROVED")
	g.Drain()
	cr, _ := g.Check(shaX, "main")
	want := "security: needs 1 more approval from @acme/security; the author's own approval does not count; @mallory already counts toward another rule here, and a person counts once"
	if g.Passes(shaX, "main") || !strings.Contains(cr.Summary, want) {
		t.Fatalf("one person in both teams: %s %s\n%s\nwant the summary to say %q", cr.Status, cr.Conclusion, cr.Summary, want)
	}
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	if cr, _ := g.Check(shaX, "main"); !g.Passes(shaX, "main") || !strings.Contains(cr.Summary, "sre: approved by @mallory; security: approved by @alice") {
		t.Errorf("with a second person the rule holds:\n%s", cr.Summary)
	}
}

func TestChangedLinesComeFromThePullRequestInTheBot(t *testing.T) {
	g := testbed.NewGitHub(t, twoEyesPolicy, people)
	g.Fake.AddTeamMember("acme", "sre", "mallory")
	g.Fake.AddTeamMember("acme", "security", "alice")
	g.Open(fakegithub.PR{Number: 1, Title: "feat: big", Author: "dave"}, shaX,
		fakegithub.File{Filename: "a.go", Additions: 80}, fakegithub.File{Filename: "b.go", Additions: 10, Deletions: 11})
	g.Review(1, "mallory", "APPROVED")
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	cr, _ := g.Check(shaX, "main")
	if g.Passes(shaX, "main") || !strings.Contains(cr.Summary, "needs 1 more approval from @bob; the author's own approval does not count (closest of 2 alternatives)") {
		t.Errorf("a change of 101 lines did not wait for bob or frank:\n%s", cr.Summary)
	}
}
