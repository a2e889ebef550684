package bot_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/records"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/fakejira"
	"github.com/shipgate/shipgate/internal/testbed"
	"github.com/shipgate/shipgate/policies"
)

const gitlabRecordsPolicy = `version: 1
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+']
  sources: [title, body]
  verify:
    jira: {states: [Approved], projects: [SHOP]}
`

// The gate verifies change records on GitLab as on GitHub (one flow for
// both hosts), and a Jira webhook re-evaluates the merge requests that
// cite the issue.
func TestGitLabMergeRequestsVerifyTheirRecords(t *testing.T) {
	jira := fakejira.New(t, fakejira.WithBearer("jira-pat"))
	jira.AddIssue(fakejira.Issue{Key: "SHOP-13", Summary: "Drop coupons", Status: "In Review", Project: "SHOP", IssueType: "Change"})
	jira.AddIssue(fakejira.Issue{Key: "BANK-7", Summary: "Another team's", Status: "Approved", Project: "BANK", IssueType: "Change"})
	v, err := records.Settings{JiraURL: jira.URL(), JiraToken: "jira-pat"}.Verifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	l := testbed.NewGitLab(t, gitlabRecordsPolicy, gitlabPeople)
	v.Now = l.Clock.Now
	l.Records = v
	l.Restart()
	l.Open(fakegitlab.MR{IID: 1, Title: "Drop coupons SHOP-13", Author: user(l, "dave"), SHA: shaX})
	l.Open(fakegitlab.MR{IID: 2, Title: "Borrow BANK-7", Author: user(l, "dave"), SHA: shaY, SourceBranch: "borrow"})
	l.Drain()
	if l.Passes(shaX, "main") || l.Passes(shaY, "main") {
		t.Fatalf("an unapproved or foreign record passes")
	}
	jira.SetStatus("SHOP-13", "Approved")
	body := []byte(`{"webhookEvent":"jira:issue_updated","issue":{"key":"SHOP-13"}}`)
	mac := hmac.New(sha256.New, []byte("hook-secret"))
	mac.Write(body)
	req := httptest.NewRequest(http.MethodPost, records.JiraRoute, bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	req.Header.Set("X-Atlassian-Webhook-Identifier", "wh-gitlab-1")
	rec := httptest.NewRecorder()
	(&records.JiraWebhook{Secret: "hook-secret", Store: l.Store, Acceptor: l.Store, Logger: zerolog.Nop(), Now: l.Clock.Now,
		Jobs: map[policies.Host]records.Recheck{policies.GitLab: gate.RecordRechecker(policies.GitLab)}}).ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
	}
	l.Drain()
	if !l.Passes(shaX, "main") {
		st, _ := l.Status(shaX, "main")
		t.Errorf("the merge request citing the approved issue does not pass: %+v", st)
	}
	if l.Passes(shaY, "main") {
		t.Errorf("someone else's record passes")
	}
}
