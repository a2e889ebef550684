package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakejira"
	"github.com/shipgate/shipgate/internal/fakeservicenow"
)

const verifyingPolicy = `version: 1
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+', 'CHG\d{7}']
  sources: [title, body]
  verify:
    jira: {states: [Approved], projects: [ACME]}
    servicenow: {states: [Scheduled, Implement], approval: approved}
`

// recordFakes starts a fake Jira and ServiceNow holding the example PR's
// records, approved.
func recordFakes(t *testing.T) (*fakejira.Server, *fakeservicenow.Server) {
	t.Helper()
	jira := fakejira.New(t, fakejira.WithBearer("jira-pat-secret"))
	jira.AddIssue(fakejira.Issue{Key: "ACME-314", Summary: "CSV export of widgets", Status: "Approved", Project: "ACME", IssueType: "Story"})
	sn := fakeservicenow.New(t, fakeservicenow.WithBasic("shipgate", "sn-password-secret"))
	sn.AddChange(fakeservicenow.Change{Number: "CHG0042421", ShortDescription: "Widgets 2.4", State: "Implement", Approval: "Approved"})
	return jira, sn
}

func setRecordEnv(t *testing.T, jira *fakejira.Server, sn *fakeservicenow.Server) {
	t.Setenv("SHIPGATE_JIRA_URL", jira.URL())
	t.Setenv("SHIPGATE_JIRA_TOKEN", "jira-pat-secret")
	t.Setenv("SHIPGATE_SERVICENOW_URL", sn.URL())
	t.Setenv("SHIPGATE_SERVICENOW_USER", "shipgate")
	t.Setenv("SHIPGATE_SERVICENOW_PASSWORD", "sn-password-secret")
}

func TestCheckVerifiesChangeRecords(t *testing.T) {
	policy := filepath.Join(t.TempDir(), ".shipgate.yml")
	if err := os.WriteFile(policy, []byte(verifyingPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"check", "--policy", policy, "--event", "../../examples/pr/pull_request.json", "--now", "2026-11-24T10:00:00Z"}
	jira, sn := recordFakes(t)
	tests := []struct {
		name  string
		env   bool
		setup func()
		code  int
		out   []string
	}{
		{"without the settings, verification was not done and the check is pending", false, func() {}, exitUnsatisfied,
			[]string{"wait", "verification was not done: Shipgate has no ServiceNow settings (set SHIPGATE_SERVICENOW_URL", "no Jira settings"}},
		{"with them, approved records pass and are shown", true, func() {}, exitOK,
			[]string{"pass", "“Widgets 2.4” (Implement)", "“CSV export of widgets” (Approved)"}},
		{"a provider that is down keeps it pending", true, sn.Down, exitUnsatisfied, []string{"CHG0042421 could not be verified in ServiceNow"}},
		{"a record in the wrong state fails", true, func() { sn.Up(); jira.SetStatus("ACME-314", "Open") }, exitUnsatisfied,
			[]string{"fail", "its status is “Open”"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"SHIPGATE_JIRA_URL", "SHIPGATE_JIRA_TOKEN", "SHIPGATE_SERVICENOW_URL", "SHIPGATE_SERVICENOW_USER", "SHIPGATE_SERVICENOW_PASSWORD"} {
				t.Setenv(k, "")
			}
			if tt.env {
				setRecordEnv(t, jira, sn)
			}
			tt.setup()
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, s := range tt.out {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("the output does not say %q:\n%s", s, stdout.String())
				}
			}
			if all := stdout.String() + stderr.String(); strings.Contains(all, "secret") {
				t.Errorf("a credential was printed:\n%s", all)
			}
		})
	}
}

func TestCheckLiveVerifiesChangeRecords(t *testing.T) {
	fake := fakegithub.New(t, fakegithub.WithToken("ghp_live"), fakegithub.WithClock(time.Now))
	fake.AddRepo(fakegithub.Repo{FullName: "acme/widgets"})
	fake.SetFile("acme/widgets", "main", ".shipgate.yml", verifyingPolicy)
	fake.AddPR("acme/widgets", fakegithub.PR{Number: 7, Title: "feat: CSV export ACME-314", Author: "alice", Base: "main"})
	jira, sn := recordFakes(t)
	setRecordEnv(t, jira, sn)
	t.Setenv("SHIPGATE_GITHUB_API_URL", fake.URL())
	t.Setenv("SHIPGATE_GITHUB_TOKEN", "ghp_live")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "--repo", "acme/widgets", "--pr", "7"}, &stdout, &stderr); code != exitOK ||
		!strings.Contains(stdout.String(), "“CSV export of widgets” (Approved)") {
		t.Errorf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	t.Setenv("SHIPGATE_SERVICENOW_URL", "not a url")
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"check", "--repo", "acme/widgets", "--pr", "7"}, &stdout, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "SHIPGATE_SERVICENOW_URL must be an http(s) URL") {
		t.Errorf("bad settings: exit %d\n%s", code, stderr.String())
	}
}
