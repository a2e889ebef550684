package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/testbed"
)

// Release events reach Slack once each, in the channel the policy gives
// them, whatever redeliveries and restarts happen.

const notifyPolicy = gatePolicy + `hotfix:
  branches: ["hotfix/*"]
  into: ["release/*"]
  approvals: {required: 1}
freeze:
  windows:
    - {name: cutover, start: 2026-10-05T00:00:00Z, end: 2026-10-06T00:00:00Z}
  override: {approvals: 1, from: [frank]}
notify:
  slack:
    channel: "#releases"
    events:
      release_published: {}
      tag_refused: {channel: "#release-alerts"}
      freeze: {channel: "#ops"}
      freeze_override: {channel: "#ops"}
      hotfix_declared: {channel: "#ops"}
`

func TestReleaseEventsAreAnnouncedOnceInTheirChannels(t *testing.T) {
	g := testbed.NewGitHub(t, notifyPolicy, people)
	slack := g.WithSlack()
	g.SetPolicy("release/1.0", notifyPolicy)
	c0 := commitOnMain(g, "", "chore: initial import")
	c1 := commitOnMain(g, c0, "feat: gift cards (#3)")
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Drain()

	// The freeze starts and ends on its own, announced across a restart.
	g.AdvanceTo(time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC))
	override := g.Comment(1, "frank", "/override-freeze the payment provider shuts down the old API tonight")
	g.Drain()
	// The same comment delivered again (GitHub redelivers with a new
	// delivery when asked) changes nothing.
	g.Deliver("issue_comment", g.Fake.IssueCommentEvent(testbed.GitHubRepo, override, "created"))
	g.Drain()
	g.Restart()
	g.AdvanceTo(time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC))

	// A hotfix declared by a maintainer.
	g.Open(fakegithub.PR{Number: 2, Title: "fix: crash", Author: "dave", Head: "hotfix/crash", Base: "release/1.0"}, shaY)
	g.Comment(2, "bob", "/hotfix checkout crashes for every customer")
	g.Drain()

	// A valid tag with no deployment configured is a release, announced
	// with its notes; its push and create events announce it once.
	g.Fake.AddTag(testbed.GitHubRepo, "v0.1.0", c0)
	g.Fake.AddTag(testbed.GitHubRepo, "v0.2.0", c1)
	zero := strings.Repeat("0", 40)
	g.Deliver("push", g.Fake.PushEvent(testbed.GitHubRepo, "refs/tags/v0.2.0", zero, c1, "bob"))
	g.Deliver("create", g.Fake.CreateEvent(testbed.GitHubRepo, "tag", "v0.2.0", "bob"))
	g.Drain()
	g.Restart()
	g.Deliver("push", g.Fake.PushEvent(testbed.GitHubRepo, "refs/tags/v0.2.0", zero, c1, "bob"))
	g.Drain()

	// A tag that is no version is refused, and why is said.
	g.Fake.AddTag(testbed.GitHubRepo, "v1", c1)
	g.Deliver("push", g.Fake.PushEvent(testbed.GitHubRepo, "refs/tags/v1", zero, c1, "mallory"))
	g.Drain()

	want := []struct{ channel, has string }{
		{"#ops", "Freeze cutover started"},
		{"#ops", "Freeze override declared on acme/shop#1"},
		{"#ops", "Freeze cutover ended"},
		{"#ops", "Hotfix declared on acme/shop#2"},
		{"#releases", "Release v0.2.0 published"},
		{"#release-alerts", "Tag v1 refused"},
	}
	msgs := slack.Messages()
	if len(msgs) != len(want) {
		var got []string
		for _, m := range msgs {
			got = append(got, m.Channel+" "+m.Text)
		}
		t.Fatalf("%d messages, want %d:\n%s", len(msgs), len(want), strings.Join(got, "\n---\n"))
	}
	for i, w := range want {
		if msgs[i].Channel != w.channel || !strings.Contains(msgs[i].Text, w.has) {
			t.Errorf("message %d in %s: %q; want %q in %s", i, msgs[i].Channel, msgs[i].Text, w.has, w.channel)
		}
	}
	details := []string{
		"by @frank: the payment provider shuts down the old API tonight",
		"by @bob: checkout crashes for every customer",
		"- gift cards (#3)", // the release's notes
		"by @mallory:",
	}
	all := ""
	for _, m := range msgs {
		all += m.Text + "\n"
	}
	for _, d := range details {
		if !strings.Contains(all, d) {
			t.Errorf("no message says %q:\n%s", d, all)
		}
	}
}
