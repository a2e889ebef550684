package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// BenchmarkActionCheckColdProcess measures the wall time of one `shipgate
// action` check as a runner starts it: a new process each time (the
// binary built once, as the image holds it), inputs and the event in the
// environment, and the fake GitHub on loopback serving the PR, its
// reviews, files, commits, checks, teams and CODEOWNERS under the example
// policy (examples/.shipgate.yml), which needs them all. The fake's
// conformance checking is off: it would time the fake, not the Action.
// scripts/bench-action.sh runs it.
func BenchmarkActionCheckColdProcess(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "shipgate")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "../shipgate-action") // the image's binary
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	policy, err := os.ReadFile("../../examples/.shipgate.yml")
	if err != nil {
		b.Fatal(err)
	}
	const repo = "acme/widgets"
	fake := fakegithub.New(b, fakegithub.WithToken(actionToken), fakegithub.WithoutConformance())
	fake.AddRepo(fakegithub.Repo{FullName: repo})
	base := fake.AddCommit(repo, fakegithub.Commit{Message: "chore: base"})
	fake.SetBranch(repo, "main", base)
	fake.SetFile(repo, base, ".shipgate.yml", string(policy))
	fake.SetFile(repo, base, ".github/CODEOWNERS", "* @acme/release-managers\ndb/ @acme/dba\n")
	fake.AddPR(repo, fakegithub.PR{Number: 42, Title: "feat(api): WID-7 export to CSV", Author: "alice", Base: "main",
		Body: "## Reason\nCustomers asked.\n## Impact\nNew endpoint.\n## Verification\nTests.\n## Rollback\nRevert.\n\n```release-note\nExport to CSV.\n```\n"})
	fake.SetPRCommits(repo, 42, []fakegithub.Commit{{Message: "feat(api): export to CSV", Author: "alice"}})
	fake.SetPRFiles(repo, 42, []fakegithub.File{{Filename: "api/export.go"}, {Filename: "db/migrations/0007_export.sql", Status: "added"}})
	for _, who := range []string{"bob", "carol"} {
		fake.AddTeamMember("acme", "release-managers", who)
		fake.SetPermission(repo, who, "write")
		fake.AddReview(repo, 42, fakegithub.Review{Author: who, State: "APPROVED"})
	}
	fake.AddTeamMember("acme", "dba", "dave")
	pr, _ := fake.PullRequest(repo, 42)
	fake.AddCheckRun(repo, fakegithub.CheckRun{HeadSHA: pr.HeadSHA, Name: "ci", Status: "completed", Conclusion: "success"})

	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, fake.Payload(fake.PullRequestEvent(repo, 42, "synchronize", "alice")), 0o644); err != nil {
		b.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "GITHUB_ACTIONS=true", "GITHUB_EVENT_NAME=pull_request", "GITHUB_EVENT_PATH=" + event,
		"GITHUB_REPOSITORY=" + repo, "GITHUB_WORKSPACE=" + dir, "GITHUB_API_URL=" + strings.TrimSuffix(fake.URL(), "/"),
		"GITHUB_REF=refs/pull/42/merge", "GITHUB_SHA=" + pr.HeadSHA, "GITHUB_OUTPUT=" + filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "summary.md"),
		"INPUT_COMMAND=check", "INPUT_POLICY=.shipgate.yml", "INPUT_TOKEN=" + actionToken, "INPUT_FAIL-ON-PENDING=true",
	}
	runOnce := func() (int, string) {
		cmd := exec.Command(bin, "action")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			b.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := runOnce(); code > 1 {
		b.Fatalf("the check did not run: exit %d\n%s", code, out)
	}
	calls := fake.CountCalls(false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runOnce()
	}
	b.StopTimer()
	b.ReportMetric(float64(fake.CountCalls(false)-calls)/float64(b.N), "api-calls/op")
	if info, err := os.Stat(bin); err == nil {
		b.ReportMetric(float64(info.Size())/(1<<20), "binary-MiB")
	}
}
