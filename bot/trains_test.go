package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/fakeslack"
	"github.com/shipgate/shipgate/internal/testbed"
)

// Release trains leave on their schedule from durable queue jobs: the
// plan is announced ahead, the branch and tag are cut at the scheduled
// time, a train with nothing to release is skipped, and one that falls in
// a freeze leaves when the freeze ends; restarts and a second replica in
// between change none of it.

const trainPolicy = gatePolicy + `releases:
  schedule: {cron: "0 10 * * TUE", timezone: Europe/Berlin}
  branch: "release/{{.Version}}"
  tag: true
  announce: 24h
freeze:
  windows:
    - {name: autumn, start: 2026-10-19T00:00:00Z, end: 2026-10-22T12:00:00Z}
notify:
  slack:
    channel: "#releases"
    events:
      train: {channel: "#trains"}
      release_published: {}
`

// commitOnMain adds a commit on main after parent and moves main to it.
func commitOnMain(g *testbed.GitHub, parent, message string) string {
	c := fakegithub.Commit{Message: message, Author: "dave"}
	if parent != "" {
		c.Parents = []string{parent}
	}
	sha := g.Fake.AddCommit(testbed.GitHubRepo, c)
	g.Fake.SetBranch(testbed.GitHubRepo, "main", sha)
	return sha
}

// inChannel returns the texts of the messages posted to channel.
func inChannel(s *fakeslack.Server, channel string) []string {
	var out []string
	for _, m := range s.Messages() {
		if m.Channel == channel {
			out = append(out, m.Text)
		}
	}
	return out
}

func TestReleaseTrainsLeaveOnScheduleThroughAFreezeAndRestarts(t *testing.T) {
	g := testbed.NewGitHub(t, trainPolicy, people)
	slack := g.WithSlack()
	g.Clock.AdvanceTo(time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)) // Thursday
	c0 := commitOnMain(g, "", "chore: initial import")
	g.Fake.AddTag(testbed.GitHubRepo, "v1.0.0", c0)
	c1 := commitOnMain(g, c0, "feat: checkout (#12)")
	// Any evaluation of a change into main schedules the next train.
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Drain()

	cutRefs := func() []string {
		var out []string
		for _, r := range g.Fake.RefsCreated() {
			if strings.Contains(r, "release/") || strings.Contains(r, "refs/tags/") {
				out = append(out, r)
			}
		}
		return out
	}
	trains := func() []string { return inChannel(slack, "#trains") }

	// Monday 10:00 CEST, 24h ahead: the plan.
	g.AdvanceTo(time.Date(2026, 10, 5, 7, 59, 59, 0, time.UTC))
	if got := trains(); len(got) != 0 {
		t.Fatalf("announced early: %q", got)
	}
	g.AdvanceTo(time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC))
	if got := trains(); len(got) != 1 || !strings.Contains(got[0], "Release train v1.1.0 leaves Tue 6 Oct 2026 10:00 CEST") ||
		!strings.Contains(got[0], "#12 checkout") || !strings.Contains(got[0], "cuts branch release/1.1.0 and tag v1.1.0 from main") {
		t.Fatalf("the plan: %q", got)
	}

	// A new process before the train leaves.
	g.Restart()
	g.AdvanceTo(time.Date(2026, 10, 6, 7, 59, 59, 0, time.UTC))
	if got := cutRefs(); len(got) != 0 {
		t.Fatalf("cut before its time: %q", got)
	}
	g.AdvanceTo(time.Date(2026, 10, 6, 8, 0, 0, 0, time.UTC)) // Tuesday 10:00 CEST
	want := []string{"acme/shop:refs/heads/release/1.1.0@" + c1, "acme/shop:refs/tags/v1.1.0@" + c1}
	if got := cutRefs(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("at the train's time, cut %q; want %q", got, want)
	}
	if got := trains(); len(got) != 2 || !strings.Contains(got[1], "Release train v1.1.0 cut") {
		t.Fatalf("the cut is not announced: %q", got)
	}
	if got := inChannel(slack, "#releases"); len(got) != 1 || !strings.Contains(got[0], "Release v1.1.0 published") || !strings.Contains(got[0], "checkout") {
		t.Fatalf("the release is not announced with its notes: %q", got)
	}

	// Nothing new on main: the next train cuts nothing, and says so.
	g.Replica(1)
	g.AdvanceTo(time.Date(2026, 10, 13, 8, 0, 0, 0, time.UTC))
	if got := cutRefs(); len(got) != 2 {
		t.Fatalf("a train with nothing to release cut %q", got)
	}
	if got := trains(); len(got) != 3 || !strings.Contains(got[2], "skipped") || !strings.Contains(got[2], "nothing to release") {
		t.Fatalf("the skip: %q", got)
	}

	// A fix lands; the next train falls in the autumn freeze (until
	// Thursday 12:00 UTC): postponed, announced 24h before it leaves,
	// cut when the freeze ends.
	g.Replica(0)
	g.Clock.AdvanceTo(time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC))
	c2 := commitOnMain(g, c1, "fix: cart total (#14)")
	g.AdvanceTo(time.Date(2026, 10, 20, 8, 0, 0, 0, time.UTC))
	if got := cutRefs(); len(got) != 2 {
		t.Fatalf("cut in a freeze: %q", got)
	}
	if got := trains(); len(got) != 4 || !strings.Contains(got[3], "postponed") || !strings.Contains(got[3], "autumn") ||
		!strings.Contains(got[3], "Thu 22 Oct 2026 14:00 CEST") {
		t.Fatalf("the postponement: %q", got)
	}
	g.Restart()
	g.AdvanceTo(time.Date(2026, 10, 21, 12, 0, 0, 0, time.UTC))
	if got := trains(); len(got) != 5 || !strings.Contains(got[4], "Release train v1.1.1 leaves Thu 22 Oct 2026 14:00 CEST") ||
		!strings.Contains(got[4], "postponed by the freeze autumn") {
		t.Fatalf("the postponed train's plan: %q", got)
	}
	g.AdvanceTo(time.Date(2026, 10, 22, 11, 59, 59, 0, time.UTC))
	if got := cutRefs(); len(got) != 2 {
		t.Fatalf("cut before the freeze ended: %q", got)
	}
	g.Restart()
	g.AdvanceTo(time.Date(2026, 10, 22, 12, 0, 0, 0, time.UTC))
	want = append(want, "acme/shop:refs/heads/release/1.1.1@"+c2, "acme/shop:refs/tags/v1.1.1@"+c2)
	if got := cutRefs(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("when the freeze ended, cut %q; want %q", got, want)
	}
	if got := trains(); len(got) != 6 || !strings.Contains(got[5], "Release train v1.1.1 cut") {
		t.Fatalf("the postponed cut: %q", got)
	}

	// Scheduling again (every evaluation does) and draining again change
	// nothing: each train was cut and announced once.
	g.PREvent(1, "synchronize", "dave")
	g.Drain()
	g.Restart()
	g.AdvanceTo(time.Date(2026, 10, 26, 9, 0, 0, 0, time.UTC))
	if got := cutRefs(); len(got) != 4 {
		t.Errorf("cut again: %q", got)
	}
	if got := trains(); len(got) != 6 {
		t.Errorf("announced again: %q", got[6:])
	}
}

func TestAGitLabTrainCutsItsBranchAndTag(t *testing.T) {
	l := testbed.NewGitLab(t, trainPolicy, gitlabPeople)
	slack := l.WithSlack()
	c0, c1 := strings.Repeat("10", 20), strings.Repeat("11", 20)
	l.Fake.Do(func() {
		l.Project.History = append(l.Project.History,
			fakegitlab.Commit{SHA: c0, Message: "chore: initial import", AuthorName: "dave", At: l.Clock.Now()},
			fakegitlab.Commit{SHA: c1, Message: "feat: checkout", AuthorName: "dave", At: l.Clock.Now()})
		l.Project.Branches["main"] = c1
		l.Project.Tags["v1.0.0"] = c0
	})
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "dave"), SHA: shaX})
	l.Drain()
	l.AdvanceTo(time.Date(2026, 10, 6, 7, 59, 59, 0, time.UTC))
	l.Restart()
	l.AdvanceTo(time.Date(2026, 10, 6, 8, 0, 0, 0, time.UTC))
	var branches, tags []string
	l.Fake.Do(func() { branches, tags = l.Project.BranchesCreated, l.Project.TagsCreated })
	if strings.Join(branches, " ") != "release/1.1.0@"+c1 || strings.Join(tags, " ") != "v1.1.0@"+c1 {
		t.Errorf("cut branches %q and tags %q", branches, tags)
	}
	if got := inChannel(slack, "#trains"); len(got) != 2 || !strings.Contains(got[1], "Release train v1.1.0 cut") {
		t.Errorf("the train's messages: %q", got)
	}
}
