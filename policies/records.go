package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The providers that verify change records; a Record's Provider.
const (
	ProviderJira       = "jira"
	ProviderServiceNow = "servicenow"
)

// providerNames are the providers' names in messages.
var providerNames = map[string]string{ProviderJira: "Jira", ProviderServiceNow: "ServiceNow"}

// Record is a change record as its provider answered: the fact the
// change_record rule reads when the policy verifies records. The gate
// fetches it (bot/records) for the bot, the CLI and the Action alike.
type Record struct {
	ID string
	// Provider is ProviderJira or ProviderServiceNow.
	Provider string
	// Unverified says why the provider could not be asked or did not
	// answer (not configured, unreachable, credentials refused); "" when
	// it answered. Such a record keeps the rule pending, never passing.
	Unverified string
	// Retry tells that asking again may help (the provider was down or
	// answered an error), unlike settings that are missing.
	Retry bool
	// Found is false when the provider answered that there is no such
	// record (Jira also says so for an issue Shipgate's account may not
	// see).
	Found bool
	// Title is Jira's summary or ServiceNow's short description; State
	// the status (Jira) or state (ServiceNow), as displayed; URL the
	// record's page.
	Title, State, URL string
	// Project and IssueType are Jira's project key and issue type.
	Project, IssueType string
	// Fields are the Jira fields the policy names, as displayed ("" when
	// empty).
	Fields map[string]string
	// Approval is ServiceNow's approval, as displayed ("Approved").
	Approval string
	// Start and End are ServiceNow's planned window (zero when unset).
	Start, End time.Time
	// CheckedAt is when the provider answered; a cached answer keeps it.
	CheckedAt time.Time
}

// RecordVerification is a compiled `change_record.verify`.
type RecordVerification struct {
	// Jira and ServiceNow are nil when the policy does not name them.
	Jira       *JiraVerification
	ServiceNow *ServiceNowVerification
}

// JiraVerification is what a Jira issue must be. Values compare without
// case.
type JiraVerification struct {
	// Pattern matches the IDs Jira verifies (anchored).
	Pattern    *regexp.Regexp
	States     []string
	Projects   []string
	IssueTypes []string
	// Fields maps a field ID to its allowed values.
	Fields map[string][]string
}

// ServiceNowVerification is what a ServiceNow change request must be.
type ServiceNowVerification struct {
	// Pattern matches the numbers ServiceNow verifies (anchored).
	Pattern  *regexp.Regexp
	States   []string
	Approval string
	// Window: the planned window must contain the evaluation's time.
	Window bool
}

// ProviderOf returns the provider that verifies id ("" when none does):
// Jira first, then ServiceNow.
func (v *RecordVerification) ProviderOf(id string) string {
	switch {
	case v == nil:
	case v.Jira != nil && v.Jira.Pattern.MatchString(id):
		return ProviderJira
	case v.ServiceNow != nil && v.ServiceNow.Pattern.MatchString(id):
		return ProviderServiceNow
	}
	return ""
}

// FieldIDs are the Jira fields the policy names, sorted.
func (j *JiraVerification) FieldIDs() []string {
	out := make([]string, 0, len(j.Fields))
	for f := range j.Fields {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// CitedRecords returns the change-record IDs c cites under p (its sources
// and the authorised `/change` commands), in order: the records the gate
// asks the providers about. Nil when p has no change_record rule.
func CitedRecords(p *Policy, c *Change) []string {
	if p.ChangeRecord == nil {
		return nil
	}
	return newEvaluation(p, c, time.Time{}).changeRecords()
}

// recordCheck is the verdict on one cited record.
type recordCheck struct {
	status Status
	text   string
}

// verifiedRecords judges the cited records by their providers' answers:
// failing when one is missing or not approved, pending when one could not
// be verified (fail closed), passing when each is approved. The message
// shows each record with its title, state and link.
func (s *evaluation) verifiedRecords(ids []string) (Status, string) {
	v := s.p.ChangeRecord.Verify
	checks := make([]recordCheck, 0, len(ids))
	for _, id := range ids {
		checks = append(checks, s.checkRecord(v, id))
	}
	status := Pass
	for _, c := range checks {
		if c.status == Fail || c.status == Wait && status == Pass {
			status = c.status
		}
	}
	// The records that stop the change come first.
	slices.SortStableFunc(checks, func(a, b recordCheck) int { return statusRank(a.status) - statusRank(b.status) })
	parts := make([]string, len(checks))
	for i, c := range checks {
		parts[i] = c.text
	}
	return status, strings.Join(parts, "; ")
}

func statusRank(s Status) int {
	switch s {
	case Fail:
		return 0
	case Wait:
		return 1
	}
	return 2
}

// checkRecord judges one cited record.
func (s *evaluation) checkRecord(v *RecordVerification, id string) recordCheck {
	prov := v.ProviderOf(id)
	if prov == "" {
		return recordCheck{Fail, fmt.Sprintf("%s is not an ID change_record.verify can check (%s): cite a record of a verified provider", inert(id), v.patterns())}
	}
	name := providerNames[prov]
	r, ok := s.c.Records[id]
	switch {
	case s.c.Records == nil || !ok:
		return recordCheck{Wait, fmt.Sprintf("%s was not verified: verification was not done (Shipgate has no %s settings here)", inert(id), name)}
	case r.Unverified != "":
		return recordCheck{Wait, fmt.Sprintf("%s could not be verified in %s: %s", inert(id), name, r.Unverified)}
	case !r.Found:
		return recordCheck{Fail, fmt.Sprintf("%s was not found in %s (no such record, or Shipgate's account may not see it)", inert(id), name)}
	}
	var st Status
	var why string
	if prov == ProviderJira {
		st, why = judgeJira(v.Jira, r)
	} else {
		st, why = judgeServiceNow(v.ServiceNow, r, s.now)
	}
	if st == Pass {
		return recordCheck{Pass, describeRecord(r)}
	}
	return recordCheck{st, describeRecord(r) + ": " + why}
}

// judgeJira says whether an issue is what the policy asks.
func judgeJira(j *JiraVerification, r Record) (Status, string) {
	var why []string
	if !containsFold(j.States, strings.TrimSpace(r.State)) {
		why = append(why, fmt.Sprintf("its status is %s, want %s", quoteOrEmpty(r.State), orList(j.States)))
	}
	if len(j.Projects) > 0 && !containsFold(j.Projects, r.Project) {
		why = append(why, fmt.Sprintf("it belongs to project %s, not to %s", quoteOrEmpty(r.Project), orList(j.Projects)))
	}
	if len(j.IssueTypes) > 0 && !containsFold(j.IssueTypes, r.IssueType) {
		why = append(why, fmt.Sprintf("it is a %s, want %s", quoteOrEmpty(r.IssueType), orList(j.IssueTypes)))
	}
	for _, f := range j.FieldIDs() {
		if got := r.Fields[f]; !containsFold(j.Fields[f], got) {
			why = append(why, fmt.Sprintf("its field %s is %s, want %s", f, quoteOrEmpty(got), orList(j.Fields[f])))
		}
	}
	if len(why) > 0 {
		return Fail, strings.Join(why, ", ")
	}
	return Pass, ""
}

// judgeServiceNow says whether a change request is what the policy asks
// at now: a window that has not opened yet is pending.
func judgeServiceNow(sn *ServiceNowVerification, r Record, now time.Time) (Status, string) {
	var why []string
	if !containsFold(sn.States, strings.TrimSpace(r.State)) {
		why = append(why, fmt.Sprintf("its state is %s, want %s", quoteOrEmpty(r.State), orList(sn.States)))
	}
	if !strings.EqualFold(strings.TrimSpace(r.Approval), sn.Approval) {
		why = append(why, fmt.Sprintf("its approval is %s, want %s", quoteOrEmpty(r.Approval), sn.Approval))
	}
	wait := false
	if sn.Window {
		switch {
		case r.Start.IsZero() || r.End.IsZero():
			why = append(why, "it has no planned start and end")
		case now.After(r.End):
			why = append(why, "its planned window ended at "+r.End.UTC().Format(time.RFC3339))
		case now.Before(r.Start):
			wait = true
			why = append(why, "its planned window opens at "+r.Start.UTC().Format(time.RFC3339))
		}
	}
	switch {
	case len(why) == 0:
		return Pass, ""
	case wait && len(why) == 1:
		return Wait, why[0]
	}
	return Fail, strings.Join(why, ", ")
}

// NextRecordChange is the next time after now at which a verified
// ServiceNow record's planned window opens or closes, zero when none: the
// verdict changes then without any event.
func NextRecordChange(c *Change, now time.Time) time.Time {
	var next time.Time
	for _, r := range c.Records {
		for _, t := range []time.Time{r.Start, r.End} {
			if t.After(now) && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
	}
	return next
}

// describeRecord shows a record: its ID linked to its page, its title and
// its state.
func describeRecord(r Record) string {
	id := inert(r.ID)
	if strings.HasPrefix(r.URL, "https://") || strings.HasPrefix(r.URL, "http://") {
		id = "[" + id + "](" + strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(r.URL) + ")"
	}
	out := id
	if r.Title != "" {
		out += " “" + inert(r.Title) + "”"
	}
	return out + " (" + inert(r.State) + ")"
}

// patterns describes the IDs the providers verify.
func (v *RecordVerification) patterns() string {
	var out []string
	if v.Jira != nil {
		out = append(out, "Jira `"+unanchored(v.Jira.Pattern)+"`")
	}
	if v.ServiceNow != nil {
		out = append(out, "ServiceNow `"+unanchored(v.ServiceNow.Pattern)+"`")
	}
	return strings.Join(out, ", ")
}

func unanchored(re *regexp.Regexp) string {
	return strings.TrimSuffix(strings.TrimPrefix(re.String(), "^(?:"), ")$")
}

func quoteOrEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "empty"
	}
	return "“" + inert(s) + "”"
}

// inert escapes Markdown in text a provider returns (a record's title is
// written by whoever edits it), so that it shows as written and cannot add
// links or markup to the report.
var inertEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "#", `\#`, "!", `\!`)

func inert(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return inertEscaper.Replace(s)
}

// RecordIDsIn returns the change-record IDs p's change_record patterns
// find in text (release notes), de-duplicated in order; nil without the
// rule.
func RecordIDsIn(p *Policy, text string) []string {
	if p == nil || p.ChangeRecord == nil {
		return nil
	}
	cr := *p.ChangeRecord
	cr.Sources = []string{"title"}
	q := *p
	q.ChangeRecord = &cr
	return newEvaluation(&q, &Change{Title: text}, time.Time{}).changeRecords()
}
