package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/records"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakejira"
	"github.com/shipgate/shipgate/internal/fakeservicenow"
	"github.com/shipgate/shipgate/policies"
)

const recordsPolicy = `version: 1
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+', 'CHG\d{7}']
  sources: [title, body]
  verify:
    jira: {states: [Approved], projects: [SHOP]}
    servicenow: {states: [Scheduled, Implement]}
`

const (
	jiraUser          = "release-bot@acme.example"
	jiraToken         = "ATATT3xFfGF0-test-jira-token"
	snUser            = "shipgate.integration"
	snPassword        = "s3rvice-now-test-password"
	jiraWebhookSecret = "jira-webhook-shared-secret"
)

// recordsRig is the harness with a fake Jira and a fake ServiceNow that
// the gate verifies records with, and the Jira webhook route.
type recordsRig struct {
	*harness
	jira    *fakejira.Server
	sn      *fakeservicenow.Server
	webhook *records.JiraWebhook
}

func newRecordsRig(t *testing.T) *recordsRig {
	t.Helper()
	jira := fakejira.New(t, fakejira.WithBasic(jiraUser, jiraToken))
	sn := fakeservicenow.New(t, fakeservicenow.WithBasic(snUser, snPassword))
	v, err := records.Settings{JiraURL: jira.URL(), JiraUser: jiraUser, JiraToken: jiraToken,
		ServiceNowURL: sn.URL(), ServiceNowUser: snUser, ServiceNowPassword: snPassword}.Verifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOption{gate: func(c *gate.Config) { c.Records = v }})
	v.Now = h.clock.Now
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, recordsPolicy)
	jira.AddIssue(fakejira.Issue{Key: "SHOP-12", Summary: "Accept gift cards", Status: "Approved", Project: "SHOP", IssueType: "Change"})
	jira.AddIssue(fakejira.Issue{Key: "SHOP-13", Summary: "Drop coupons", Status: "In Review", Project: "SHOP", IssueType: "Change"})
	jira.AddIssue(fakejira.Issue{Key: "SHOP-14", Summary: "Rejected idea", Status: "Rejected", Project: "SHOP", IssueType: "Change"})
	jira.AddIssue(fakejira.Issue{Key: "BANK-7", Summary: "Another team's approved change", Status: "Approved", Project: "BANK", IssueType: "Change"})
	sn.AddChange(fakeservicenow.Change{Number: "CHG0042421", ShortDescription: "Shop release 2.4", State: "Scheduled", Approval: "Approved"})
	sn.AddChange(fakeservicenow.Change{Number: "CHG0042422", ShortDescription: "Shop release 2.5", State: "Assess", Approval: "Requested"})
	wh := &records.JiraWebhook{Secret: jiraWebhookSecret, Store: h.store, Acceptor: h.acceptor, Now: h.clock.Now, Logger: zerolog.New(h.logs),
		Jobs: map[policies.Host]records.Recheck{policies.GitHub: gate.RecordRechecker(policies.GitHub)}, Forget: v.Forget}
	return &recordsRig{harness: h, jira: jira, sn: sn, webhook: wh}
}

// jiraHook posts a Jira issue_updated delivery for key, signed with
// secret ("" unsigned).
func (r *recordsRig) jiraHook(id, key, secret string) *httptest.ResponseRecorder {
	body := []byte(fmt.Sprintf(`{"timestamp":1764763200000,"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_generic","issue":{"id":"10001","key":%q,"fields":{"status":{"name":"Approved"}}}}`, key))
	req := httptest.NewRequest(http.MethodPost, records.JiraRoute, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Atlassian-Webhook-Identifier", id)
	if secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	rec := httptest.NewRecorder()
	r.webhook.ServeHTTP(rec, req)
	return rec
}

func TestChangeRecordsVerifiedOnPRs(t *testing.T) {
	tests := []struct {
		name, title, body string
		conclusion        string
		has               []string
	}{
		{"a Jira issue found and approved passes, shown with its title, state and link", "Accept gift cards SHOP-12", "",
			"success", []string{"“Accept gift cards” (Approved)", "/jira/browse/SHOP-12)"}},
		{"an issue in the wrong state fails", "Drop coupons SHOP-13", "", "failure", []string{"its status is “In Review”, want Approved"}},
		{"a missing issue fails", "Typo SHOP-999", "", "failure", []string{"SHOP-999 was not found in Jira"}},
		{"a ServiceNow change request scheduled and approved passes", "Release CHG0042421", "", "success",
			[]string{"“Shop release 2.4” (Scheduled)", "/sn/change_request.do?sys_id="}},
		{"a change request not yet approved fails", "Release CHG0042422", "", "failure", []string{"its approval is “Requested”, want approved"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecordsRig(t)
			r.open(fakegithub.PR{Number: 1, Title: tt.title, Body: tt.body, Author: "dave"}, shaA)
			r.drain()
			cr := r.wantCheck(shaA, "completed", tt.conclusion)
			for _, s := range tt.has {
				if !strings.Contains(cr.Summary, s) {
					t.Errorf("the check does not say %q:\n%s", s, cr.Summary)
				}
			}
		})
	}
}

// A provider that is down keeps the check pending with the reason, never
// green; a retry with backoff passes once it is back.
func TestAProviderDownIsPendingThenPassesOnRetry(t *testing.T) {
	r := newRecordsRig(t)
	r.jira.Down()
	r.open(fakegithub.PR{Number: 1, Title: "Accept gift cards SHOP-12", Author: "dave"}, shaA)
	r.drain()
	r.wantCheck(shaA, "in_progress", "", "SHOP-12 could not be verified in Jira: Jira answered 503 Service Unavailable")
	// Still down at the first retry: pending again, and the next retry waits longer.
	r.clock.Advance(31 * time.Second)
	r.drain()
	r.wantCheck(shaA, "in_progress", "")
	reads := r.jira.IssueReads("SHOP-12")
	r.clock.Advance(31 * time.Second)
	r.drain()
	if n := r.jira.IssueReads("SHOP-12"); n != reads {
		t.Errorf("the second retry came after 30s, not after its backoff (%d reads, had %d)", n, reads)
	}
	r.jira.Up()
	r.clock.Advance(time.Minute)
	r.drain()
	r.wantCheck(shaA, "completed", "success", "“Accept gift cards” (Approved)")
	if len(r.failures) > 0 {
		t.Errorf("processing failed: %v", r.failures)
	}
}

// A Jira webhook about a record re-evaluates every open PR that cites it,
// with the record read afresh (not the answer kept a moment ago).
func TestAJiraWebhookReevaluatesThePRsCitingTheRecord(t *testing.T) {
	r := newRecordsRig(t)
	r.open(fakegithub.PR{Number: 1, Title: "Drop coupons SHOP-13", Author: "dave"}, shaA)
	r.open(fakegithub.PR{Number: 2, Title: "Drop coupons in the API", Body: "Part of SHOP-13.", Author: "dave"}, shaB)
	r.open(fakegithub.PR{Number: 3, Title: "Gift cards SHOP-12", Author: "dave"}, shaC)
	r.drain()
	r.wantCheck(shaA, "completed", "failure")
	r.wantCheck(shaB, "completed", "failure")
	r.jira.SetStatus("SHOP-13", "Approved")
	before := len(r.fake.CheckRuns(testRepo, shaC))
	if rec := r.jiraHook("wh-1", "SHOP-13", jiraWebhookSecret); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
	}
	r.drain()
	r.wantCheck(shaA, "completed", "success", "(Approved)")
	r.wantCheck(shaB, "completed", "success", "(Approved)")
	if after := len(r.fake.CheckRuns(testRepo, shaC)); after != before {
		t.Errorf("a PR that does not cite the record was evaluated again")
	}
	if rec := r.jiraHook("wh-1", "SHOP-13", jiraWebhookSecret); rec.Code != http.StatusOK {
		t.Errorf("a repeated delivery: %d %s", rec.Code, rec.Body)
	}
}

// No credential reaches the logs, the check, the audit trail or the
// requests' URLs.
func TestNoCredentialInLogsChecksOrAudit(t *testing.T) {
	r := newRecordsRig(t)
	r.open(fakegithub.PR{Number: 1, Title: "Gift cards SHOP-12 CHG0042421", Author: "dave"}, shaA)
	r.jira.Down()
	r.open(fakegithub.PR{Number: 2, Title: "Drop coupons SHOP-13", Author: "dave"}, shaB)
	r.drain()
	r.jira.Up()
	r.jiraHook("wh-2", "SHOP-13", "wrong-secret")
	var texts []string
	texts = append(texts, r.logs.String())
	for _, sha := range []string{shaA, shaB} {
		cr := r.check(sha)
		texts = append(texts, cr.Title, cr.Summary)
	}
	if err := r.store.ExportAudit(context.Background(), store.AuditFilter{}, func(e store.AuditEvent) error {
		texts = append(texts, fmt.Sprintf("%+v %s", e, e.Detail))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range r.jira.Requests() {
		texts = append(texts, q.Path+"?"+q.RawQuery)
	}
	all := strings.Join(texts, "\n")
	for _, secret := range []string{jiraToken, snPassword, jiraWebhookSecret} {
		if strings.Contains(all, secret) {
			t.Errorf("a credential leaked: %q", secret)
		}
	}
	if !strings.Contains(all, "SHOP-12") {
		t.Errorf("the audit does not show the records verified")
	}
}
