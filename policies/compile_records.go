package policies

import (
	"regexp"
	"strings"
)

// Default ID patterns of the providers: a Jira issue key, a ServiceNow
// change number.
const (
	defaultJiraPattern       = `[A-Z][A-Z0-9_]+-[0-9]+`
	defaultServiceNowPattern = `CHG[0-9]+`
)

// jiraFieldID is what a Jira field ID looks like (summary,
// customfield_10042): it goes into the request's fields= list.
var jiraFieldID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// recordVerify compiles `change_record.verify`.
func (c *policyCompiler) recordVerify(v *RecordVerifyConfig) *RecordVerification {
	if v == nil {
		return nil
	}
	const at = "change_record.verify"
	if v.Jira == nil && v.ServiceNow == nil {
		c.errorf(at, "name a provider to verify records with: jira or servicenow")
		return nil
	}
	out := &RecordVerification{}
	if j := v.Jira; j != nil {
		out.Jira = &JiraVerification{
			Pattern:    c.idPattern(at+".jira.pattern", j.Pattern, defaultJiraPattern),
			States:     c.values(at+".jira.states", j.States, true, "e.g. [Approved]"),
			Projects:   c.values(at+".jira.projects", j.Projects, false, ""),
			IssueTypes: c.values(at+".jira.issue_types", j.IssueTypes, false, ""),
		}
		if len(j.Projects) == 0 && !c.badUnder(at+".jira") {
			c.warnf(at+".jira", "without projects, an issue of any project counts, someone else's included: list your project keys in projects")
		}
		if len(j.Fields) > 0 {
			out.Jira.Fields = map[string][]string{}
		}
		for f, allowed := range j.Fields {
			path := pathKey(at+".jira.fields", f)
			if !jiraFieldID.MatchString(f) {
				c.errorf(path, "%s is not a Jira field ID such as customfield_10042 or priority", quoteValue(f))
				continue
			}
			out.Jira.Fields[f] = c.values(path, allowed, true, "the values the field may have")
		}
	}
	if sn := v.ServiceNow; sn != nil {
		out.ServiceNow = &ServiceNowVerification{
			Pattern:  c.idPattern(at+".servicenow.pattern", sn.Pattern, defaultServiceNowPattern),
			States:   c.values(at+".servicenow.states", sn.States, true, "e.g. [Scheduled, Implement]"),
			Approval: strings.TrimSpace(sn.Approval),
			Window:   sn.Window,
		}
		if out.ServiceNow.Approval == "" {
			out.ServiceNow.Approval = "approved"
		}
	}
	return out
}

// idPattern compiles a provider's ID pattern, anchored: it must match an
// ID whole.
func (c *policyCompiler) idPattern(path, s, def string) *regexp.Regexp {
	if s == "" {
		s = def
	}
	re, err := regexp.Compile("^(?:" + s + ")$")
	if err != nil {
		c.errorf(path, "invalid regular expression %s: %v (RE2 syntax: no look-around or back-references)", quoteValue(s), regexpProblem(err))
		return regexp.MustCompile("^(?:" + def + ")$")
	}
	return re
}

// values checks a list of names (states, projects): no empty entry, and
// not empty when required.
func (c *policyCompiler) values(path string, vs []string, required bool, example string) []string {
	if required && len(vs) == 0 && !c.badUnder(path) && !c.bad[path] {
		c.errorf(path, "missing; list the values allowed (%s)", example)
	}
	out := make([]string, 0, len(vs))
	for i, v := range vs {
		if strings.TrimSpace(v) == "" {
			c.errorf(pathIndex(path, i), "empty value")
			continue
		}
		out = append(out, strings.TrimSpace(v))
	}
	return out
}
