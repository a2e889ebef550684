package actions

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

func TestCheckReadsTheBasePolicyThroughTheAPI(t *testing.T) {
	r := prRunner(t, 60, fakegithub.PR{Title: "Add export", Author: "alice"}, "version: 1\nextends: acme/policies:strict.yml@main\n")
	r.fake.AddRepo(fakegithub.Repo{FullName: "acme/policies"})
	r.fake.SetFile("acme/policies", "main", "strict.yml", basePolicy)
	r.ws.write("strict.yml", "version: 1\n") // a workspace file of that name is not the base
	r = r.prEvent("pull_request", 60, r.fake.PullRequestEvent(testRepo, 60, "synchronize", "alice"))
	res := r.run()
	if res.code != 1 || res.outputs["conclusion"] != "failure" || !strings.Contains(res.stdout, "no change record found") {
		t.Errorf("exit %d, outputs %v: the base's rules should fail the PR\n%s", res.code, res.outputs, res.stdout)
	}
}

func TestCheckFailsClosedOnABaseItCannotRead(t *testing.T) {
	r := checkRunner(t, 61, fakegithub.PR{Title: "WID-1 Add export", Author: "alice"}, "version: 1\nextends: acme/private:policy.yml@main\n")
	res := r.run()
	if res.code != 2 || res.outputs["conclusion"] != "failure" {
		t.Fatalf("exit %d, outputs %v; want 2 and a failure\n%s", res.code, res.outputs, res.stdout)
	}
	got := strings.Join(annotations(res.stdout), "\n")
	if !strings.Contains(got, "file=.shipgate.yml,line=2") || !strings.Contains(got, "cannot read the base policy acme/private:policy.yml@main") ||
		!strings.Contains(got, "give the Action or the CLI a token that can read it") {
		t.Errorf("annotations:\n%s\nwant one at extends naming the base and what to do", got)
	}
	if statuses := r.fake.StatusesCreated(); len(statuses) == 0 || !strings.Contains(statuses[len(statuses)-1], "failure") {
		t.Errorf("statuses %q, want a failing one", statuses)
	}
}
