package main

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// TestServeFreezeTimersSurviveSIGKILL runs a real `shipgate serve` on a PR
// that is green a few seconds before a fixed freeze window: with no event
// on the PR, its check turns failure when the window starts and success
// when it ends, although the server is SIGKILLed and restarted before each
// of the two instants (the timers are queue jobs in the database).
func TestServeFreezeTimersSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const (
		repo   = "acme/widgets"
		secret = "e2e-secret"
		token  = "ghs_e2e"
	)
	fake := fakegithub.New(t, fakegithub.WithToken(token), fakegithub.WithClock(time.Now))
	fake.AddRepo(fakegithub.Repo{FullName: repo})
	// The window is placed once the fake is up: building it parses GitHub's
	// API description, which takes seconds under -race on a busy machine.
	start := time.Now().UTC().Truncate(time.Second).Add(6 * time.Second)
	end := start.Add(6 * time.Second)
	fake.SetFile(repo, "main", ".shipgate.yml", fmt.Sprintf(`version: 1
approvals:
  - required: 1
freeze:
  windows: [{name: e2e, start: %s, end: %s}]
`, start.Format(time.RFC3339), end.Format(time.RFC3339)))
	fake.SetPermission(repo, "bob", "write")
	fake.AddPR(repo, fakegithub.PR{Number: 1, Title: "feat: x", Author: "alice", Base: "main"})
	sha := headSHA(t, fake, repo, 1)
	fake.SetPRCommits(repo, 1, []fakegithub.Commit{{SHA: sha, Message: "feat: x", Author: "alice"}})
	env := []string{
		"SHIPGATE_DATABASE_URL=" + filepath.Join(t.TempDir(), "shipgate.db"),
		"SHIPGATE_GITHUB_API_URL=" + fake.URL(),
		"SHIPGATE_GITHUB_TOKEN=" + token,
		"SHIPGATE_GITHUB_WEBHOOK_SECRET=" + secret,
		"SHIPGATE_JOB_LEASE=2s",
		"SHIPGATE_RECONCILE_INTERVAL=0",
		"SHIPGATE_LOG_LEVEL=warn",
	}
	conclusion := func() string {
		var last fakegithub.CheckRun
		for _, cr := range fake.CheckRuns(repo, sha) {
			if cr.Name == "shipgate: main" && cr.ID > last.ID {
				last = cr
			}
		}
		return last.Conclusion
	}
	waitFor := func(p *serveProcess, want string, until time.Time) time.Time {
		t.Helper()
		for conclusion() != want {
			if time.Now().After(until) {
				t.Fatalf("the check is %q at %s, want %q\n%s", conclusion(), time.Now().Format(time.TimeOnly), want, p.out)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Now()
	}
	kill := func(p *serveProcess) {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.waitExit()
	}

	first := startServe(t, env)
	deliverWebhook(t, first, secret, "pull_request", "d-1", fake.Payload(fake.PullRequestEvent(repo, 1, "opened", "alice")))
	review := fake.AddReview(repo, 1, fakegithub.Review{Author: "bob", State: "APPROVED", SubmittedAt: time.Now()})
	deliverWebhook(t, first, secret, "pull_request_review", "d-2", fake.Payload(fake.PullRequestReviewEvent(repo, 1, review, "submitted")))
	waitFor(first, "success", start.Add(-time.Second))
	kill(first) // before the window starts: its timer is in the database

	second := startServe(t, env)
	if got := conclusion(); got != "success" {
		t.Fatalf("before the window the check is %q", got)
	}
	at := waitFor(second, "failure", start.Add(5*time.Second))
	if at.Before(start) {
		t.Errorf("the check failed at %s, before the window started at %s", at.Format(time.TimeOnly), start.Format(time.TimeOnly))
	}
	t.Logf("the check failed %s after the window started", at.Sub(start).Round(time.Millisecond))
	kill(second) // inside the window

	third := startServe(t, env)
	at = waitFor(third, "success", end.Add(5*time.Second))
	if at.Before(end) {
		t.Errorf("the check passed at %s, before the window ended at %s", at.Format(time.TimeOnly), end.Format(time.TimeOnly))
	}
	t.Logf("the check passed again %s after the window ended", at.Sub(end).Round(time.Millisecond))
}
