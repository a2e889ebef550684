package server

// Attacks on change-record verification: each is a way a person with
// write access could try to pass the change_record rule without a record
// that was approved for the change, named for the attack.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

func TestSomeoneElsesApprovedRecordDoesNotPass(t *testing.T) {
	r := newRecordsRig(t)
	r.open(fakegithub.PR{Number: 1, Title: "Borrow BANK-7", Author: "dave"}, shaA)
	r.drain()
	r.wantCheck(shaA, "completed", "failure", "it belongs to project “BANK”, not to SHOP")
}

func TestAClosedOrRejectedRecordDoesNotPass(t *testing.T) {
	r := newRecordsRig(t)
	r.jira.SetStatus("SHOP-12", "Closed")
	r.open(fakegithub.PR{Number: 1, Title: "Gift cards SHOP-12", Author: "dave"}, shaA)
	r.open(fakegithub.PR{Number: 2, Title: "Coupons SHOP-14", Author: "dave"}, shaB)
	r.drain()
	r.wantCheck(shaA, "completed", "failure", "its status is “Closed”")
	r.wantCheck(shaB, "completed", "failure", "its status is “Rejected”")
}

// The author controls the title: citing an unapproved change's key there,
// beside an approved record in the body, still fails; every record the
// change cites must be approved.
func TestAnUnapprovedRecordInTheTitleFailsBesideAnApprovedOne(t *testing.T) {
	r := newRecordsRig(t)
	r.open(fakegithub.PR{Number: 1, Title: "Drop coupons SHOP-13", Body: "Also SHOP-12 and CHG0042421.", Author: "dave"}, shaA)
	r.drain()
	cr := r.wantCheck(shaA, "completed", "failure", "SHOP-13")
	if !strings.Contains(cr.Summary, "3 change records: [SHOP-13]") {
		t.Errorf("the failing record is not named first:\n%s", cr.Summary)
	}
}

// A record cited by a `/change` command of someone without the right to
// give it does not count, and an edited comment cites nothing new.
func TestAChangeCommandFromAReaderCitesNothing(t *testing.T) {
	r := newRecordsRig(t)
	r.open(fakegithub.PR{Number: 1, Title: "Gift cards", Author: "dave"}, shaA)
	r.comment(1, "carol", "/change SHOP-12")
	r.drain()
	r.wantCheck(shaA, "completed", "failure", "no change record found")
}

func TestAForgedJiraWebhookIsRefused(t *testing.T) {
	r := newRecordsRig(t)
	r.open(fakegithub.PR{Number: 1, Title: "Drop coupons SHOP-13", Author: "dave"}, shaA)
	r.drain()
	calls := r.acceptor.calls.Load()
	for name, secret := range map[string]string{"unsigned": "", "signed with another secret": "guess"} {
		if rec := r.jiraHook("forged-"+name, "SHOP-13", secret); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, rec.Code, rec.Body)
		}
	}
	if r.acceptor.calls.Load() != calls {
		t.Errorf("a forged delivery was queued")
	}
	if strings.Contains(r.logs.String(), jiraWebhookSecret) {
		t.Errorf("the secret was logged")
	}
}

// A forged webhook could only ask for a new evaluation, and the record is
// read from Jira: a payload that says "Approved" changes nothing.
func TestAWebhookPayloadIsNotTakenForTheRecordsState(t *testing.T) {
	r := newRecordsRig(t)
	r.open(fakegithub.PR{Number: 1, Title: "Drop coupons SHOP-13", Author: "dave"}, shaA)
	r.drain()
	if rec := r.jiraHook("wh-3", "SHOP-13", jiraWebhookSecret); rec.Code != http.StatusAccepted {
		t.Fatalf("webhook: %d", rec.Code)
	}
	r.drain()
	r.wantCheck(shaA, "completed", "failure", "its status is “In Review”")
}

// Without a secret the Jira route fails closed: an unsigned delivery,
// which anyone who reaches the route could send (each makes Shipgate
// read issues and evaluate the PRs citing them again), is refused unless
// the operator said to take them (SHIPGATE_JIRA_WEBHOOK_UNSIGNED=accept,
// for a Jira that cannot sign).
func TestAJiraWebhookWithoutASecretRefusesUnsignedDeliveries(t *testing.T) {
	r := newRecordsRig(t)
	r.open(fakegithub.PR{Number: 1, Title: "Drop coupons SHOP-13", Author: "dave"}, shaA)
	r.drain()
	r.webhook.Secret = ""
	calls := r.acceptor.calls.Load()
	if rec := r.jiraHook("unsigned-1", "SHOP-13", ""); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "SHIPGATE_JIRA_WEBHOOK_SECRET") {
		t.Errorf("no secret: %d %q, want 401 naming the setting", rec.Code, rec.Body)
	}
	if r.acceptor.calls.Load() != calls {
		t.Errorf("an unsigned delivery was queued")
	}
	r.webhook.Unsigned = true
	if rec := r.jiraHook("unsigned-2", "SHOP-13", ""); rec.Code != http.StatusAccepted {
		t.Errorf("unsigned taken on purpose: %d %s, want 202", rec.Code, rec.Body)
	}
}
