package dashboard

import (
	"encoding/json"
	"time"

	"net/http"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

func TestSignInWithGitHubShowsTheOverviewOfReadableRepositories(t *testing.T) {
	e := newEnv(t)
	e.gh.SetPermission("acme/widgets", "alice", "write")
	e.gh.AddRepo(fakegithubRepo("acme/secret", true))
	e.gh.SetFile("acme/widgets", "main", ".shipgate.yml", "version: 1\nfreeze:\n  windows:\n    - {name: year-end, start: 2026-12-05T00:00:00Z, end: 2027-01-04T00:00:00Z}\n")
	e.seedChange("acme/widgets", 7, "failure")
	e.seedChange("acme/widgets", 8, "success")
	e.seedChange("acme/secret", 9, "pending")
	e.seedDeployment("acme/widgets", "production", "v1.2.0", "approval")

	b := e.browser()
	code, body := b.signIn("alice", "/")
	if code != http.StatusOK {
		t.Fatalf("sign-in landed on %d:\n%s", code, body)
	}
	for _, want := range []string{"Alice", "acme/widgets#7", "acme/widgets#8", "year-end", "production", "v1.2.0"} {
		if !strings.Contains(body, want) {
			t.Errorf("the overview lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "acme/secret") {
		t.Errorf("the overview shows a repository alice cannot read:\n%s", body)
	}
	if got := e.gh.OAuthGrants(); len(got) != 1 || got[0] != "alice→"+testClientID {
		t.Errorf("grants = %v, want one for alice", got)
	}
}

func TestTheChangePageShowsRulesApprovalsCommandsAndHistory(t *testing.T) {
	e := newEnv(t)
	e.gh.SetPermission("acme/widgets", "alice", "read")
	e.seedChange("acme/widgets", 5, "pending")
	e.clock.Advance(time.Minute)
	e.seedChange("acme/widgets", 5, "failure",
		policies.Result{Rule: "change_record", Name: "change_record", Status: policies.Pass, Message: "found CHG0001234"},
		policies.Result{Rule: "approvals", Name: "reviewers", Status: policies.Fail, Message: "needs 1 more approval from @acme/release-managers; the author's own approval does not count"})
	if _, err := e.st.RecordCommand(e.ctx, store.CommandRecord{Host: policies.GitHub, Repo: "acme/widgets", Number: 5, CommentID: 11, Actor: "bob",
		Name: "hold", Accepted: false, Reason: "bob may not hold: needs triage"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("alice", "/")
	code, body := b.get(ChangePath(policies.GitHub, "acme/widgets", 5))
	if code != http.StatusOK {
		t.Fatalf("%d\n%s", code, body)
	}
	for _, want := range []string{"found CHG0001234", "reviewers", "the author&#39;s own approval does not count", "/hold", "bob may not hold",
		".shipgate.yml", "f00dfeed", ">pending<", ">failure<", e.webURL() + "/acme/widgets/pull/5"} {
		if !strings.Contains(body, want) {
			t.Errorf("the change page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func TestTheAuditExportFollowsTheFilterAndDefusesFormulas(t *testing.T) {
	e := newEnv(t)
	e.gh.SetPermission("acme/widgets", "alice", "read")
	e.gh.SetPermission("acme/tools", "alice", "read")
	e.seedChange("acme/widgets", 1, "success")
	e.seedChange("acme/tools", 2, "success")
	if _, err := e.st.AppendAudit(e.ctx, store.AuditEvent{Host: policies.GitHub, Repo: "acme/widgets", Number: 1, Kind: store.AuditCommand,
		Actor: "=cmd|' /C calc'!A0", Subject: "/approve", Outcome: "refused"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("alice", "/")
	_, csv := b.get("/audit/export?format=csv&repo=github:acme/widgets&kind=command")
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "id,at,host,repo") || !strings.Contains(lines[1], "'=cmd") {
		t.Errorf("CSV export:\n%s", csv)
	}
	_, js := b.get("/audit/export?format=json")
	var recs []auditRecord
	if err := json.Unmarshal([]byte(js), &recs); err != nil || len(recs) != 3 {
		t.Fatalf("JSON export (%v):\n%s", err, js)
	}
	_, page := b.get("/audit?actor=carol")
	if !strings.Contains(page, "acme/tools#2") || strings.Contains(page, "/approve") {
		t.Errorf("the actor filter:\n%s", page)
	}
}
