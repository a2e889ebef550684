package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/demo"
	"github.com/shipgate/shipgate/policies/presets"
)

// TestDemoHelperProcess is not a test: the demo tests run the test binary
// again with SHIPGATE_E2E_DEMO set to the arguments of `shipgate demo`,
// one a line, to play it as a process.
func TestDemoHelperProcess(t *testing.T) {
	args := os.Getenv("SHIPGATE_E2E_DEMO")
	if args == "" {
		t.Skip("helper process for the demo tests")
	}
	os.Exit(run(append([]string{"demo"}, strings.Split(args, "\n")...), os.Stdout, os.Stderr))
}

// demoRun is a finished `shipgate demo` process.
type demoRun struct {
	out     string
	rec     demo.Record
	elapsed time.Duration
}

// playDemo runs `shipgate demo ARGS --record FILE` as a process whose
// stdin is /dev/null and whose output is a pipe (no terminal), with the
// sandbox's conformance checking on, and reads the sandbox's record.
func playDemo(t *testing.T, args ...string) demoRun {
	t.Helper()
	record := filepath.Join(t.TempDir(), "record.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDemoHelperProcess$")
	cmd.Env = append(os.Environ(), "SHIPGATE_E2E_DEMO="+strings.Join(append(args, "--record", record), "\n"), "SHIPGATE_DEMO_CONFORMANCE=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := demoRun{out: stdout.String(), elapsed: time.Since(start)}
	if err != nil {
		t.Fatalf("shipgate demo %q: %v\nstdout:\n%s\nstderr:\n%s", args, err, r.out, stderr.String())
	}
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r.rec); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDemoAutoPlaysTheStory plays `shipgate demo --auto` under the
// built-in policy and checks each act in what the sandbox recorded and in
// what the demo printed: within 30 s, without ANSI escapes on a pipe,
// ending with production's success.
func TestDemoAutoPlaysTheStory(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the demo as a process")
	}
	r := playDemo(t, "--auto")
	t.Logf("the demo took %s", r.elapsed)
	// The promise is for the shipped binary; the race detector's build
	// is several times slower.
	limit := 30 * time.Second
	if raceEnabled {
		limit *= 3
	}
	if r.elapsed > limit {
		t.Errorf("the demo took %s, want under %s", r.elapsed, limit)
	}
	if strings.Contains(r.out, "\x1b[") {
		t.Errorf("the output to a pipe has ANSI escapes:\n%q", r.out)
	}
	for _, a := range r.rec.Acts {
		if a.Skipped != "" || !strings.Contains(r.out, a.Title) {
			t.Errorf("act %d %q: skipped %q, or not printed", a.N, a.Title, a.Skipped)
		}
	}
	if len(r.rec.Acts) != 7 || len(r.rec.Problems) != 0 {
		t.Fatalf("acts %+v, sandbox problems %q", r.rec.Acts, r.rec.Problems)
	}
	// Acts 1 to 4: the check fails, then waits on a review, then passes.
	w := r.rec.CheckRunWrites
	if len(w) < 3 || !strings.HasPrefix(w[0], "shipgate: main completed/failure: 3 of 5 rules need work: change_record, release_notes, semver") ||
		!slices.Contains(w, "shipgate: main in_progress/: Waiting on reviewers") ||
		w[len(w)-1] != "shipgate: main completed/success: All 5 applicable rules hold" {
		t.Errorf("check run writes: %q", w)
	}
	c := r.rec.CommentsCreated
	if len(c) != 2 || !strings.Contains(c[0], "<!-- shipgate:summary -->") ||
		!strings.Contains(c[1], "you opened this change and cannot approve it yourself") {
		t.Errorf("comments created: %q", c)
	}
	if len(r.rec.CommentsEdited) == 0 {
		t.Error("the sticky comment was never edited")
	}
	checkDemoRelease(t, r)
	checkDemoDeploy(t, r)
}

// checkDemoRelease checks act 5: the tag's status and release.
func checkDemoRelease(t *testing.T, r demoRun) {
	t.Helper()
	if s := r.rec.Statuses; len(s) != 1 || s[0].Context != "shipgate/tag" || s[0].State != "success" {
		t.Errorf("tag statuses: %+v", s)
	}
	if rel := r.rec.Releases; len(rel) != 1 || rel[0].TagName != "v1.1.0" || !strings.Contains(rel[0].Body, "Checkout accepts gift cards.") {
		t.Errorf("releases: %+v", rel)
	}
}

// checkDemoDeploy checks acts 6 and 7: staging's workflow, health check
// and soak, bob's approval in Slack, production's success last.
func checkDemoDeploy(t *testing.T, r demoRun) {
	t.Helper()
	want := []string{"acme/widgets:staging@v1.1.0:queued", "acme/widgets:staging@v1.1.0:in_progress", "acme/widgets:staging@v1.1.0:success",
		"acme/widgets:production@v1.1.0:queued", "acme/widgets:production@v1.1.0:in_progress", "acme/widgets:production@v1.1.0:success"}
	var got []string
	for _, s := range r.rec.DeploymentStatuses {
		if !strings.HasSuffix(s, " (auto)") {
			got = append(got, s)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("deployment statuses:\n got %q\nwant %q", got, want)
	}
	d := r.rec.Dispatches
	if len(d) != 2 || !strings.HasPrefix(d[0], "acme/widgets:deploy.yml@v1.1.0 environment=staging") ||
		!strings.HasPrefix(d[1], "acme/widgets:deploy.yml@v1.1.0 environment=production") {
		t.Errorf("dispatches: %q", d)
	}
	if r.rec.HealthHits == 0 {
		t.Error("staging's health check never reached the sandbox")
	}
	if m := r.rec.Slack; len(m) != 1 || !strings.Contains(m[0].Text, "approval approved by bob") || !strings.Contains(m[0].Text, "*production*: succeeded") {
		t.Errorf("Slack messages: %+v", m)
	} else if texts := strings.Join(m[0].Texts, "\n"); !strings.Contains(texts, "*staging*: running — wait 2s: soaked 2s") ||
		!strings.Contains(texts, "*Approval requested for production*: 1 of bob") {
		t.Errorf("the Slack message never said staging soaked or production asked for approval:\n%s", texts)
	}
	for _, line := range []string{"soaked 2s", "bob (Slack U0BOB) clicks Approve.", "Shipgate replies:"} {
		if !strings.Contains(r.out, line) {
			t.Errorf("the output does not say %q", line)
		}
	}
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if last := lines[len(lines)-1]; !regexp.MustCompile(`^  ✓ production: v1\.1\.0 deployed, deployment status success`).MatchString(last) {
		t.Errorf("the last line is %q, want production's success", last)
	}
}

// TestDemoPolicyWithoutDeploySkipsTheDeployActs rehearses a policy with
// no deploy section, with stdin not a terminal and without --auto: the
// demo says it plays straight through, plays acts 1 to 5, and says why it
// skips 6 and 7; nothing is deployed.
func TestDemoPolicyWithoutDeploySkipsTheDeployActs(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the demo as a process")
	}
	policy := filepath.Join(t.TempDir(), "policy.yml")
	err := os.WriteFile(policy, []byte("version: 1\nchange_record:\n  patterns: ['CHG\\d{7}']\n  sections: [Reason, Rollback]\n"+
		"approvals:\n  - required: 2\n    from: [\"@acme/release-managers\", alice]\ntags: {release: true}\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	r := playDemo(t, "--policy", policy)
	for _, line := range []string{
		"(stdin is not a terminal: playing straight through, as --auto)",
		"this policy skips act 6: the policy has no deploy section: Shipgate deploys nothing",
		"this policy skips act 7: the policy has no deploy section",
		"release-managers-reviewer reviews the change and approves it.",
		"alice reviews the change and approves it.",
	} {
		if !strings.Contains(r.out, line) {
			t.Errorf("the output does not say %q:\n%s", line, r.out)
		}
	}
	for _, a := range r.rec.Acts {
		if skipped := a.N >= 6; skipped != (a.Skipped != "") {
			t.Errorf("act %d skipped %q", a.N, a.Skipped)
		}
	}
	if len(r.rec.Releases) != 1 || len(r.rec.Dispatches) != 0 || len(r.rec.DeploymentStatuses) != 0 || len(r.rec.Slack) != 0 {
		t.Errorf("releases %+v, dispatches %q, deployment statuses %q, Slack %+v: want a release and nothing deployed",
			r.rec.Releases, r.rec.Dispatches, r.rec.DeploymentStatuses, r.rec.Slack)
	}
	if w := r.rec.CheckRunWrites; len(w) == 0 || w[len(w)-1] != "shipgate: main completed/success: All 3 applicable rules hold" {
		t.Errorf("check run writes: %q", w)
	}
}

// TestShipgateDoesNotLinkTesting: the demo's sandbox runs the test fakes
// in the shipped binary, which must not link package testing.
func TestShipgateDoesNotLinkTesting(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/shipgate/shipgate/cmd/shipgate").Output()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(strings.Fields(string(out)), "testing") {
		t.Error("cmd/shipgate depends on package testing")
	}
}

// TestDemoRehearsesEachPresetOfPolicyInit plays the demo under every
// preset `shipgate policy init` writes: each one plays to its end — the
// acts its rules allow, the others skipped with the reason — and ends
// with the pull request's check green.
func TestDemoRehearsesEachPresetOfPolicyInit(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the demo as a process")
	}
	for _, name := range presets.Names() {
		t.Run(name, func(t *testing.T) {
			// As `policy init` writes it in a clone of the demo's
			// acme/widgets: its teams are acme's.
			data, err := presets.Render(name, presets.Facts{DefaultBranch: "main", Owner: "acme"})
			if err != nil {
				t.Fatal(err)
			}
			if name == "deploy" {
				// As the preset's comment asks: the release managers'
				// Slack accounts, which Shipgate cannot find from a team.
				data = append(data, "    users: {bob: U0BOB}\n"...)
			}
			policy := filepath.Join(t.TempDir(), ".shipgate.yml")
			if err := os.WriteFile(policy, data, 0o600); err != nil {
				t.Fatal(err)
			}
			r := playDemo(t, "--policy", policy, "--auto")
			w := r.rec.CheckRunWrites
			if len(w) == 0 || !strings.HasPrefix(w[len(w)-1], "shipgate: main completed/success") {
				t.Errorf("the %s preset's check run writes: %q\n%s", name, w, r.out)
			}
			var played, skipped []int
			for _, a := range r.rec.Acts {
				if a.Skipped != "" {
					skipped = append(skipped, a.N)
				} else {
					played = append(played, a.N)
				}
			}
			t.Logf("%s: acts played %v, skipped %v, in %s", name, played, skipped, r.elapsed.Round(100*time.Millisecond))
			if name == "deploy" && !strings.Contains(r.out, "production: ") {
				t.Errorf("the deploy preset did not reach production:\n%s", r.out)
			}
		})
	}
}

// TestTheREADMEStartsWithTheDemo holds the README's first two commands
// to what the tests run: the demo, played to production's success by
// TestDemoAutoPlaysTheStory, and the test command CI runs.
func TestTheREADMEStartsWithTheDemo(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "```sh\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("the README has no sh code block")
	}
	want := "go run ./cmd/shipgate demo --auto\ngo test -race ./...\n"
	if block != want {
		t.Errorf("the README's first commands are\n%s\nwant\n%s", block, want)
	}
}
