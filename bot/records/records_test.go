package records

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakejira"
	"github.com/shipgate/shipgate/internal/fakeservicenow"
	"github.com/shipgate/shipgate/internal/testclock"
	"github.com/shipgate/shipgate/policies"
)

const (
	jiraUser   = "release-bot@acme.example"
	jiraToken  = "ATATT3xFfGF0-jira-api-token"
	jiraPAT    = "NjQ4-data-center-pat"
	snUser     = "shipgate.integration"
	snPassword = "s3rvice-now-pa55word"
	snToken    = "oauth-access-token-xyz"
)

var secrets = []string{jiraToken, jiraPAT, snPassword, snToken}

// noSecret fails when text holds a credential.
func noSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds a credential: %s", where, text)
		}
	}
}

func verification(t *testing.T) *policies.RecordVerification {
	t.Helper()
	p, err := policies.Load(".shipgate.yml", []byte(`version: 1
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+', 'CHG\d{7}']
  verify:
    jira: {states: [Approved], projects: [ACME], fields: {customfield_10042: [Low]}}
    servicenow: {states: [Scheduled]}
`))
	if err != nil {
		t.Fatal(err)
	}
	return p.ChangeRecord.Verify
}

func newJira(t *testing.T, pat bool, opts ...fakejira.Option) (*fakejira.Server, *Verifier, *testclock.Clock) {
	t.Helper()
	fake := fakejira.New(t, opts...)
	fake.AddIssue(fakejira.Issue{Key: "ACME-314", Summary: "Raise the card limit", Status: "Approved", Project: "ACME", IssueType: "Change",
		Fields: map[string]any{"customfield_10042": map[string]any{"value": "Low", "id": "10100"}}})
	s := Settings{JiraURL: fake.URL(), JiraUser: jiraUser, JiraToken: jiraToken}
	if pat {
		s = Settings{JiraURL: fake.URL() + "/", JiraToken: jiraPAT}
	}
	v, err := s.Verifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := testclock.New(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	v.Now = clk.Now
	return fake, v, clk
}

func TestJiraIssueFoundWithItsFields(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  []fakejira.Option
		auth string
	}{
		{"Jira Cloud: an e-mail and an API token, basic auth", []fakejira.Option{fakejira.WithBasic(jiraUser, jiraToken), fakejira.WithBearer("other")}, "basic"},
		{"Data Center: a personal access token, bearer", []fakejira.Option{fakejira.WithBearer(jiraPAT)}, "bearer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake, v, clk := newJira(t, tt.auth == "bearer", tt.opt...)
			got := v.Verify(context.Background(), verification(t), []string{"ACME-314"}, false)["ACME-314"]
			want := policies.Record{ID: "ACME-314", Provider: policies.ProviderJira, Found: true, Title: "Raise the card limit", State: "Approved",
				URL: fake.URL() + "/browse/ACME-314", Project: "ACME", IssueType: "Change", Fields: map[string]string{"customfield_10042": "Low"}, CheckedAt: clk.Now()}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("record =\n%+v\nwant\n%+v", got, want)
			}
			reqs := fake.Requests()
			if len(reqs) != 1 || reqs[0].Auth != tt.auth || !reqs[0].Authorized ||
				reqs[0].RawQuery != "fields=summary%2Cstatus%2Cproject%2Cissuetype%2Ccustomfield_10042" {
				t.Errorf("requests = %+v", reqs)
			}
		})
	}
}

func TestJiraAnswers(t *testing.T) {
	fake, v, _ := newJira(t, false, fakejira.WithBasic(jiraUser, jiraToken))
	rv := verification(t)
	ctx := context.Background()
	if r := v.Verify(ctx, rv, []string{"ACME-9"}, false)["ACME-9"]; r.Found || r.Unverified != "" {
		t.Errorf("a missing issue: %+v", r)
	}
	fake.Down()
	r := v.Verify(ctx, rv, []string{"ACME-10"}, false)["ACME-10"]
	if !r.Retry || !strings.Contains(r.Unverified, "Jira answered 503") {
		t.Errorf("Jira down: %+v", r)
	}
	fake.Up()
	wrong, err := Settings{JiraURL: fake.URL(), JiraUser: jiraUser, JiraToken: "ATATT3xFfGF0-jira-api-token-wrong"}.Verifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	r = wrong.Verify(ctx, rv, []string{"ACME-314"}, false)["ACME-314"]
	if !strings.Contains(r.Unverified, "Jira refused Shipgate's credentials (401 Unauthorized): check SHIPGATE_JIRA_USER and SHIPGATE_JIRA_TOKEN") {
		t.Errorf("refused credentials: %+v", r)
	}
	noSecret(t, "the reason", r.Unverified)
	if strings.Contains(r.Unverified, "-wrong") {
		t.Errorf("the reason shows the token: %s", r.Unverified)
	}
}

// Answers are kept for the TTL with their time; fresh reads again; an
// error is never kept.
func TestVerifierCache(t *testing.T) {
	fake, v, clk := newJira(t, false, fakejira.WithBasic(jiraUser, jiraToken))
	rv := verification(t)
	ctx := context.Background()
	first := v.Verify(ctx, rv, []string{"ACME-314"}, false)["ACME-314"]
	clk.Advance(30 * time.Second)
	fake.SetStatus("ACME-314", "Closed")
	if r := v.Verify(ctx, rv, []string{"ACME-314"}, false)["ACME-314"]; r.State != "Approved" || !r.CheckedAt.Equal(first.CheckedAt) {
		t.Errorf("a kept answer: %+v", r)
	}
	if n := fake.IssueReads("ACME-314"); n != 1 {
		t.Errorf("%d reads, want 1", n)
	}
	if r := v.Verify(ctx, rv, []string{"ACME-314"}, true)["ACME-314"]; r.State != "Closed" || !r.CheckedAt.Equal(clk.Now()) {
		t.Errorf("a fresh answer: %+v", r)
	}
	fake.SetStatus("ACME-314", "Approved")
	clk.Advance(DefaultTTL)
	if r := v.Verify(ctx, rv, []string{"ACME-314"}, false)["ACME-314"]; r.State != "Approved" {
		t.Errorf("after the TTL: %+v", r)
	}
	fake.Down()
	clk.Advance(DefaultTTL)
	v.Verify(ctx, rv, []string{"ACME-314"}, false)
	fake.Up()
	if r := v.Verify(ctx, rv, []string{"ACME-314"}, false)["ACME-314"]; r.Unverified != "" || r.State != "Approved" {
		t.Errorf("an error was kept: %+v", r)
	}
}

func TestVerificationNotDoneWithoutSettings(t *testing.T) {
	v, err := Settings{}.Verifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	got := v.Verify(context.Background(), verification(t), []string{"ACME-1", "CHG0000001", "REQ1"}, false)
	if r := got["ACME-1"]; r.Retry || !strings.Contains(r.Unverified, "verification was not done: Shipgate has no Jira settings (set SHIPGATE_JIRA_URL") {
		t.Errorf("jira: %+v", r)
	}
	if r := got["CHG0000001"]; !strings.Contains(r.Unverified, "no ServiceNow settings (set SHIPGATE_SERVICENOW_URL") {
		t.Errorf("servicenow: %+v", r)
	}
	if _, ok := got["REQ1"]; ok || len(got) != 2 {
		t.Errorf("an ID no provider verifies was asked: %+v", got)
	}
}

// A record ID comes from text the PR author writes; a policy's pattern may
// let odd IDs through. Only a real issue key reaches Jira's path, and only
// a real change number ServiceNow's encoded query, where `^OR` would add a
// condition that matches an approved change.
func TestAnIDCannotReachBeyondItsRecord(t *testing.T) {
	fake := fakejira.New(t, fakejira.WithBasic(jiraUser, jiraToken))
	sn := fakeservicenow.New(t, fakeservicenow.WithBasic(snUser, snPassword))
	v, err := Settings{JiraURL: fake.URL(), JiraUser: jiraUser, JiraToken: jiraToken, ServiceNowURL: sn.URL(), ServiceNowUser: snUser, ServiceNowPassword: snPassword}.Verifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	rv := &policies.RecordVerification{
		Jira:       &policies.JiraVerification{Pattern: regexp.MustCompile(`^(?:[A-Z]+-.+)$`), States: []string{"Done"}},
		ServiceNow: &policies.ServiceNowVerification{Pattern: regexp.MustCompile(`^(?:CHG.+)$`), States: []string{"Scheduled"}, Approval: "approved"},
	}
	got := v.Verify(context.Background(), rv, []string{"ACME-1/../../../rest/api/2/myself", "CHG0000001^ORnumber=CHG0000002"}, false)
	if len(got) != 2 {
		t.Fatalf("answers: %+v", got)
	}
	for id, r := range got {
		if r.Found || r.Unverified == "" {
			t.Errorf("%s: %+v", id, r)
		}
		// Asking again cannot help: no retry is scheduled for it.
		if r.Retry || !strings.Contains(r.Unverified, "correct change_record.verify") {
			t.Errorf("%s: retry %v, %q does not say how to fix it", id, r.Retry, r.Unverified)
		}
	}
	if len(fake.Requests())+len(sn.Requests()) != 0 {
		t.Errorf("requests were made: %+v %+v", fake.Requests(), sn.Requests())
	}
}

func TestServiceNowChange(t *testing.T) {
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		opt  fakeservicenow.Option
		s    Settings
		auth string
	}{
		{"basic auth", fakeservicenow.WithBasic(snUser, snPassword), Settings{ServiceNowUser: snUser, ServiceNowPassword: snPassword}, "basic"},
		{"an OAuth token", fakeservicenow.WithBearer(snToken), Settings{ServiceNowToken: snToken}, "bearer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakeservicenow.New(t, tt.opt)
			fake.AddChange(fakeservicenow.Change{SysID: "9d385017c611228701d22104cc95c371", Number: "CHG0042421", ShortDescription: "Deploy shop 2.4",
				State: "Scheduled", Approval: "Approved", Start: start, End: start.Add(4 * time.Hour)})
			tt.s.ServiceNowURL = fake.URL()
			v, err := tt.s.Verifier(nil)
			if err != nil {
				t.Fatal(err)
			}
			got := v.Verify(context.Background(), verification(t), []string{"CHG0042421", "CHG0000404"}, false)
			r := got["CHG0042421"]
			if !r.Found || r.Title != "Deploy shop 2.4" || r.State != "Scheduled" || r.Approval != "Approved" || !r.Start.Equal(start) ||
				!r.End.Equal(start.Add(4*time.Hour)) || r.URL != fake.URL()+"/change_request.do?sys_id=9d385017c611228701d22104cc95c371" {
				t.Errorf("record = %+v", r)
			}
			if m := got["CHG0000404"]; m.Found || m.Unverified != "" {
				t.Errorf("a missing change: %+v", m)
			}
			for _, req := range fake.Requests() {
				if req.Auth != tt.auth || !req.Authorized {
					t.Errorf("request %+v", req)
				}
			}
		})
	}
}

func TestServiceNowFailures(t *testing.T) {
	fake := fakeservicenow.New(t, fakeservicenow.WithBasic(snUser, snPassword))
	rv := verification(t)
	ctx := context.Background()
	wrong, _ := Settings{ServiceNowURL: fake.URL(), ServiceNowUser: snUser, ServiceNowPassword: snPassword + "x"}.Verifier(nil)
	r := wrong.Verify(ctx, rv, []string{"CHG0042421"}, false)["CHG0042421"]
	if !strings.Contains(r.Unverified, "ServiceNow refused Shipgate's credentials (401 Unauthorized)") {
		t.Errorf("refused: %+v", r)
	}
	noSecret(t, "the reason", r.Unverified)
	fake.Down()
	right, _ := Settings{ServiceNowURL: fake.URL(), ServiceNowUser: snUser, ServiceNowPassword: snPassword}.Verifier(nil)
	if r := right.Verify(ctx, rv, []string{"CHG0042421"}, false)["CHG0042421"]; !r.Retry || !strings.Contains(r.Unverified, "ServiceNow answered 503") {
		t.Errorf("down: %+v", r)
	}
}

func TestSettingsErrorsNameTheVariablesAndNoSecret(t *testing.T) {
	_, err := Settings{JiraURL: "https://bot:" + jiraToken + "@acme.atlassian.net", JiraToken: jiraToken,
		ServiceNowURL: "ftp://x", ServiceNowUser: "u", ServiceNowToken: snToken}.Verifier(nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"SHIPGATE_JIRA_URL must not hold credentials", "SHIPGATE_SERVICENOW_URL must be an http(s) URL",
		"give either SHIPGATE_SERVICENOW_TOKEN or SHIPGATE_SERVICENOW_USER"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	noSecret(t, "the error", err.Error())
	if _, err := (Settings{JiraURL: "https://acme.atlassian.net"}).Verifier(nil); err == nil || !strings.Contains(err.Error(), "SHIPGATE_JIRA_TOKEN is missing") {
		t.Errorf("no token: %v", err)
	}
	s := SettingsFromEnv(func(k string) string {
		return map[string]string{EnvJiraToken: jiraToken, EnvServiceNowPassword: snPassword}[k]
	})
	noSecret(t, "the settings printed", fmt.Sprintf("%v %+v %#v", s, s, s))
}
