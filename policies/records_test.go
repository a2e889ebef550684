package policies

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const verifyPolicy = `version: 1
change_record:
  patterns: ['[A-Z][A-Z0-9]+-\d+', 'CHG\d{7}']
  sources: [title, body]
  verify:
    jira:
      states: [Approved, "Ready for Release"]
      projects: [ACME]
      issue_types: [Change]
      fields: {customfield_10042: [Low, Medium]}
    servicenow:
      states: [Scheduled, Implement]
      window: true
`

func TestVerifiedRecords(t *testing.T) {
	p, err := Load(".shipgate.yml", []byte(verifyPolicy))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	approved := Record{ID: "ACME-314", Provider: ProviderJira, Found: true, Title: "Raise the card limit", State: "approved",
		URL: "https://jira.example.com/browse/ACME-314", Project: "ACME", IssueType: "Change",
		Fields: map[string]string{"customfield_10042": "Low"}, CheckedAt: now}
	chg := Record{ID: "CHG0042421", Provider: ProviderServiceNow, Found: true, Title: "Deploy 2.4", State: "Scheduled",
		Approval: "Approved", URL: "https://acme.service-now.com/x", Start: now.Add(-time.Hour), End: now.Add(time.Hour)}
	with := func(r Record, edit func(*Record)) Record { edit(&r); return r }
	tests := []struct {
		name    string
		title   string
		records map[string]Record
		status  Status
		has     []string
	}{
		{"a Jira issue found and approved passes, shown with its title, state and link", "fix: limit ACME-314",
			map[string]Record{"ACME-314": approved}, Pass,
			[]string{"[ACME-314](https://jira.example.com/browse/ACME-314)", "“Raise the card limit”", "(approved)"}},
		{"an issue in the wrong state fails", "ACME-314",
			map[string]Record{"ACME-314": with(approved, func(r *Record) { r.State = "In Review" })}, Fail,
			[]string{"its status is “In Review”, want Approved or Ready for Release"}},
		{"a closed issue fails", "ACME-314",
			map[string]Record{"ACME-314": with(approved, func(r *Record) { r.State = "Closed" })}, Fail, []string{"“Closed”"}},
		{"a missing issue fails", "ACME-999",
			map[string]Record{"ACME-999": {ID: "ACME-999", Provider: ProviderJira}}, Fail, []string{"ACME-999 was not found in Jira"}},
		{"someone else's project fails", "OTHER-1",
			map[string]Record{"OTHER-1": with(approved, func(r *Record) { r.ID, r.Project = "OTHER-1", "OTHER" })}, Fail,
			[]string{"it belongs to project “OTHER”, not to ACME"}},
		{"an issue of another type fails", "ACME-314",
			map[string]Record{"ACME-314": with(approved, func(r *Record) { r.IssueType = "Bug" })}, Fail, []string{"it is a “Bug”, want Change"}},
		{"a field outside its allowed values fails", "ACME-314",
			map[string]Record{"ACME-314": with(approved, func(r *Record) { r.Fields = map[string]string{"customfield_10042": "High"} })}, Fail,
			[]string{"its field customfield_10042 is “High”, want Low or Medium"}},
		{"an empty field fails", "ACME-314",
			map[string]Record{"ACME-314": with(approved, func(r *Record) { r.Fields = nil })}, Fail, []string{"customfield_10042 is empty"}},
		{"a provider that is down keeps the rule pending with the reason", "ACME-314",
			map[string]Record{"ACME-314": {ID: "ACME-314", Provider: ProviderJira, Unverified: "Jira answered 503 Service Unavailable"}}, Wait,
			[]string{"ACME-314 could not be verified in Jira: Jira answered 503"}},
		{"records not fetched at all are pending: verification was not done", "ACME-314", nil, Wait,
			[]string{"verification was not done"}},
		{"one bad record among good ones fails, and is named first", "ACME-314 OTHER-1",
			map[string]Record{"ACME-314": approved, "OTHER-1": {ID: "OTHER-1", Provider: ProviderJira}}, Fail,
			[]string{"2 change records: OTHER-1 was not found in Jira", "see it); [ACME-314]"}},
		{"a failure beats a record that could not be verified", "ACME-314 ACME-2",
			map[string]Record{"ACME-314": with(approved, func(r *Record) { r.State = "Open" }), "ACME-2": {ID: "ACME-2", Unverified: "down"}}, Fail, nil},
		{"a ServiceNow change approved, scheduled and in its window passes", "CHG0042421",
			map[string]Record{"CHG0042421": chg}, Pass, []string{"[CHG0042421](https://acme.service-now.com/x) “Deploy 2.4” (Scheduled)"}},
		{"a change request not approved fails", "CHG0042421",
			map[string]Record{"CHG0042421": with(chg, func(r *Record) { r.Approval = "Requested" })}, Fail,
			[]string{"its approval is “Requested”, want approved"}},
		{"a rejected change request fails", "CHG0042421",
			map[string]Record{"CHG0042421": with(chg, func(r *Record) { r.Approval, r.State = "Rejected", "Canceled" })}, Fail,
			[]string{"“Canceled”", "“Rejected”"}},
		{"a window that has not opened waits", "CHG0042421",
			map[string]Record{"CHG0042421": with(chg, func(r *Record) { r.Start = now.Add(time.Hour); r.End = now.Add(2 * time.Hour) })}, Wait,
			[]string{"opens at 2026-12-03T13:00:00Z"}},
		{"a window that has ended fails", "CHG0042421",
			map[string]Record{"CHG0042421": with(chg, func(r *Record) { r.Start = now.Add(-2 * time.Hour); r.End = now.Add(-time.Hour) })}, Fail,
			[]string{"ended at 2026-12-03T11:00:00Z"}},
		{"a change request without a window fails when the window is asked", "CHG0042421",
			map[string]Record{"CHG0042421": with(chg, func(r *Record) { r.Start, r.End = time.Time{}, time.Time{} })}, Fail,
			[]string{"no planned start and end"}},
		{"a title cannot add links or markup to the report", "ACME-314",
			map[string]Record{"ACME-314": with(approved, func(r *Record) { r.Title = "[click](https://evil.example) **now**\n# Approved" })}, Pass,
			[]string{`“\[click\](https://evil.example) \*\*now\*\* \# Approved”`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Change{Title: tt.title, BaseBranch: "main", Records: tt.records}
			v := Evaluate(p, c, now)
			r := v.Results[0]
			if r.Rule != "change_record" || r.Status != tt.status {
				t.Fatalf("change_record = %s: %s, want %s", r.Status, r.Message, tt.status)
			}
			for _, s := range tt.has {
				if !strings.Contains(r.Message, s) {
					t.Errorf("message %q does not say %q", r.Message, s)
				}
			}
		})
	}
}

// An ID the change_record patterns find but no verified provider checks
// fails: it is not a record anyone approved.
func TestAnIDNoProviderVerifiesFails(t *testing.T) {
	p, err := Load(".shipgate.yml", []byte("version: 1\nchange_record:\n  patterns: ['[A-Z]+-\\d+', 'REQ\\d+']\n  verify:\n    jira: {states: [Done], projects: [ACME]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	v := Evaluate(p, &Change{Title: "REQ42", Records: map[string]Record{}}, time.Now())
	if r := v.Results[0]; r.Status != Fail || !strings.Contains(r.Message, "REQ42 is not an ID change_record.verify can check (Jira `[A-Z][A-Z0-9_]+-[0-9]+`)") {
		t.Errorf("result = %+v", r)
	}
}

func TestCitedRecordsAndNeeds(t *testing.T) {
	p, err := Load(".shipgate.yml", []byte(verifyPolicy))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Needs().Has(NeedRecords) || !strings.Contains(p.Needs().String(), "records") {
		t.Errorf("needs = %s, want records", p.Needs())
	}
	c := &Change{Title: "ACME-1 and CHG0000001", Body: "ACME-1 again", HeadBranch: "ACME-77",
		Comments: []Comment{{Author: Actor{Login: "alice"}, Body: "/change ACME-2"}}}
	if got, want := CitedRecords(p, c), []string{"ACME-1", "CHG0000001", "ACME-2"}; !slices.Equal(got, want) {
		t.Errorf("CitedRecords = %q, want %q (the branch is not a source here)", got, want)
	}
	if p.ChangeRecord.Verify.ProviderOf("CHG0000001") != ProviderServiceNow || p.ChangeRecord.Verify.ProviderOf("ACME-1") != ProviderJira {
		t.Errorf("providers are not told apart")
	}
	plain, _ := Load(".shipgate.yml", []byte("version: 1\nchange_record:\n  patterns: ['[A-Z]+-\\d+']\n"))
	if plain.Needs().Has(NeedRecords) {
		t.Errorf("a policy that verifies nothing needs records")
	}
}

func TestNextRecordChange(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	c := &Change{Records: map[string]Record{"CHG1": {Start: now.Add(2 * time.Hour), End: now.Add(3 * time.Hour)},
		"CHG2": {Start: now.Add(-time.Hour), End: now.Add(time.Hour)}}}
	if got := NextRecordChange(c, now); !got.Equal(now.Add(time.Hour)) {
		t.Errorf("NextRecordChange = %s", got)
	}
}

func TestVerifyConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"no provider", "verify: {}\n", []string{".shipgate.yml:5:11: change_record.verify: name a provider"}},
		{"jira without states", "verify:\n    jira: {projects: [ACME]}\n", []string{"change_record.verify.jira.states: missing"}},
		{"servicenow without states", "verify:\n    servicenow: {approval: approved}\n", []string{"change_record.verify.servicenow.states: missing"}},
		{"a bad field ID", "verify:\n    jira: {states: [Done], projects: [A], fields: {\"x&y=1\": [a]}}\n", []string{"is not a Jira field ID"}},
		{"a bad pattern", "verify:\n    jira: {states: [Done], projects: [A], pattern: '('}\n", []string{"change_record.verify.jira.pattern: invalid regular expression"}},
		{"an unknown key", "verify:\n    jira: {states: [Done], project: [A]}\n", []string{"project"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(".shipgate.yml", []byte("version: 1\nchange_record:\n  patterns: ['[A-Z]+-\\d+']\n  sources: [title]\n  "+tt.yaml))
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestJiraWithoutProjectsWarns(t *testing.T) {
	p, err := Load(".shipgate.yml", []byte("version: 1\nchange_record:\n  patterns: ['[A-Z]+-\\d+']\n  verify:\n    jira: {states: [Done]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Error(), "someone else's included") {
		t.Errorf("warnings = %v", p.Warnings)
	}
	if p.ChangeRecord.Verify.Jira.Pattern.MatchString("ACME-1x") {
		t.Errorf("the default pattern is not anchored")
	}
}
