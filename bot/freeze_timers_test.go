package bot_test

import (
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/testbed"
)

// A verdict follows the freeze windows on its own: the open changes are
// judged again at each window's start and end, from durable queue jobs,
// with no event on the change.

func TestAGreenPRTurnsRedWhenAFixedWindowStartsAndGreenWhenItEnds(t *testing.T) {
	g := testbed.NewGitHub(t, freezePolicy, people)
	g.Clock.AdvanceTo(freezeStart.Add(-time.Hour))
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	g.AdvanceTo(freezeStart.Add(-time.Second))
	if !g.Passes(shaX, "main") {
		t.Fatalf("one second before the window the PR should pass")
	}
	g.AdvanceTo(freezeStart)
	if cr, _ := g.Check(shaX, "main"); g.Passes(shaX, "main") || cr.Conclusion != "failure" {
		t.Errorf("when the window starts the PR is %s/%s, want failure", cr.Status, cr.Conclusion)
	}
	freezeEnd := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	g.AdvanceTo(freezeEnd.Add(-time.Second))
	if g.Passes(shaX, "main") {
		t.Errorf("one second before the window ends the PR passes")
	}
	g.AdvanceTo(freezeEnd)
	if !g.Passes(shaX, "main") {
		cr, _ := g.Check(shaX, "main")
		t.Errorf("when the window ends the PR should pass again:\n%s", cr.Summary)
	}

	l := testbed.NewGitLab(t, freezePolicy, gitlabPeople)
	l.Clock.AdvanceTo(freezeStart.Add(-time.Hour))
	l.Open(fakegitlab.MR{IID: 1, Title: "feat: x", Author: user(l, "dave"), SHA: shaX})
	l.Approve(1, "alice")
	l.Drain()
	l.AdvanceTo(freezeStart)
	if l.Passes(shaX, "main") {
		t.Errorf("GitLab: when the window starts the MR still passes")
	}
	l.AdvanceTo(freezeEnd)
	if !l.Passes(shaX, "main") {
		t.Errorf("GitLab: when the window ends the MR should pass again")
	}
}

func TestAWeekendWindowInBerlinFollowsTheEndOfSummerTime(t *testing.T) {
	const weekendPolicy = gatePolicy + `freeze:
  windows: [{name: weekend, cron: "0 16 * * FRI", duration: 64h, timezone: Europe/Berlin}]
`
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	g := testbed.NewGitHub(t, weekendPolicy, people)
	// Summer time ends on Sunday 25 October 2026 at 03:00 CEST.
	g.Clock.AdvanceTo(time.Date(2026, 10, 23, 12, 0, 0, 0, berlin))
	g.Open(fakegithub.PR{Number: 1, Title: "feat: x", Author: "dave"}, shaX)
	g.Review(1, "alice", "APPROVED")
	g.Drain()
	start := time.Date(2026, 10, 23, 16, 0, 0, 0, berlin) // Friday 16:00 CEST = 14:00 UTC
	if got := start.UTC(); got != time.Date(2026, 10, 23, 14, 0, 0, 0, time.UTC) {
		t.Fatalf("16:00 in Berlin on 23 October is %s", got)
	}
	g.AdvanceTo(start.Add(-time.Second))
	if !g.Passes(shaX, "main") {
		t.Fatalf("before 16:00 on Friday the PR should pass")
	}
	g.AdvanceTo(start)
	if g.Passes(shaX, "main") {
		t.Errorf("at 16:00 CEST on Friday the PR still passes")
	}
	// 64 elapsed hours across the extra hour of the night: Monday 07:00 CET.
	end := start.Add(64 * time.Hour)
	if got := end.In(berlin).Format("Mon 15:04 MST"); got != "Mon 07:00 CET" {
		t.Fatalf("the window ends %s", got)
	}
	g.AdvanceTo(end.Add(-time.Second))
	if g.Passes(shaX, "main") {
		t.Errorf("a second before the end the PR passes")
	}
	g.AdvanceTo(end)
	if !g.Passes(shaX, "main") {
		cr, _ := g.Check(shaX, "main")
		t.Errorf("at Monday 07:00 CET the PR should pass again:\n%s", cr.Summary)
	}
	// The next weekend starts at 16:00 local time again, now an hour later
	// in UTC.
	next := time.Date(2026, 10, 30, 16, 0, 0, 0, berlin)
	g.AdvanceTo(next.Add(-time.Second))
	if !g.Passes(shaX, "main") {
		t.Errorf("before the next weekend the PR should pass")
	}
	g.AdvanceTo(next)
	if g.Passes(shaX, "main") {
		t.Errorf("at 16:00 CET on the next Friday (15:00 UTC) the PR still passes")
	}
}
