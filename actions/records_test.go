package actions

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakejira"
)

const verifyPolicy = `version: 1
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+']
  sources: [title, body]
  verify:
    jira: {states: [Approved], projects: [WID]}
`

// The Action verifies change records with the bot's settings, from the
// step's environment; without them the check says verification was not
// done and stays pending.
func TestCheckVerifiesChangeRecords(t *testing.T) {
	jira := fakejira.New(t, fakejira.WithBasic("bot@acme.example", "jira-api-token-secret"))
	jira.AddIssue(fakejira.Issue{Key: "WID-12", Summary: "Export to CSV", Status: "Approved", Project: "WID", IssueType: "Story"})
	jira.AddIssue(fakejira.Issue{Key: "OPS-1", Summary: "Someone else's", Status: "Approved", Project: "OPS", IssueType: "Story"})
	tests := []struct {
		name     string
		title    string
		settings bool
		code     int
		has      string
	}{
		{"without settings the record is not verified and the step waits", "WID-12 Add export", false, 1, "verification was not done"},
		{"an approved record of the project passes", "WID-12 Add export", true, 0, "“Export to CSV” (Approved)"},
		{"someone else's project fails", "OPS-1 Add export", true, 1, "it belongs to project “OPS”, not to WID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := checkRunner(t, 5, fakegithub.PR{Title: tt.title, Author: "alice"}, verifyPolicy)
			if tt.settings {
				r.env["SHIPGATE_JIRA_URL"], r.env["SHIPGATE_JIRA_USER"], r.env["SHIPGATE_JIRA_TOKEN"] = jira.URL(), "bot@acme.example", "jira-api-token-secret"
			}
			res := r.run()
			if res.code != tt.code || !strings.Contains(res.summary+res.stdout, tt.has) {
				t.Errorf("exit %d, want %d; does not say %q:\n%s\n%s", res.code, tt.code, tt.has, res.stdout, res.summary)
			}
			if strings.Contains(res.summary+res.stdout, "jira-api-token-secret") {
				t.Errorf("the token was printed")
			}
		})
	}
}
