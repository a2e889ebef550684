package policies

// RecordVerifyConfig is `change_record.verify`: the providers that say
// whether a cited record exists and is approved. Every record the change
// cites must be one a provider verifies (by its pattern) and must pass;
// the server's settings (SHIPGATE_JIRA_*, SHIPGATE_SERVICENOW_*) hold the
// credentials, never the policy.
type RecordVerifyConfig struct {
	Jira       *JiraVerifyConfig       `yaml:"jira,omitempty" json:"jira,omitempty"`
	ServiceNow *ServiceNowVerifyConfig `yaml:"servicenow,omitempty" json:"servicenow,omitempty"`
}

// JiraVerifyConfig verifies Jira issues (REST API v2, Cloud and Data
// Center). Values compare without case.
type JiraVerifyConfig struct {
	// Pattern is the regular expression (RE2, matched whole) of the IDs
	// Jira verifies (default `[A-Z][A-Z0-9_]+-[0-9]+`, an issue key).
	Pattern string `yaml:"pattern,omitempty" json:"pattern,omitempty"`
	// States are the statuses an issue may be in, e.g. [Approved,
	// "Ready for Release"].
	States []string `yaml:"states" json:"states"`
	// Projects are the project keys an issue must belong to (without
	// them, anyone's issue counts: a warning).
	Projects []string `yaml:"projects,omitempty" json:"projects,omitempty"`
	// IssueTypes are the issue types allowed, e.g. [Change].
	IssueTypes []string `yaml:"issue_types,omitempty" json:"issue_types,omitempty"`
	// Fields maps a field ID (customfield_10042, priority) to the values
	// it may have, e.g. {customfield_10042: [Approved]}.
	Fields map[string][]string `yaml:"fields,omitempty" json:"fields,omitempty"`
}

// ServiceNowVerifyConfig verifies ServiceNow change requests (Table API
// change_request). Values compare without case.
type ServiceNowVerifyConfig struct {
	// Pattern is the regular expression (RE2, matched whole) of the
	// numbers ServiceNow verifies (default `CHG[0-9]+`).
	Pattern string `yaml:"pattern,omitempty" json:"pattern,omitempty"`
	// States are the states a change request may be in, e.g.
	// [Scheduled, Implement].
	States []string `yaml:"states" json:"states"`
	// Approval is the approval a change request must have (default
	// approved).
	Approval string `yaml:"approval,omitempty" json:"approval,omitempty"`
	// Window: the change request's planned start and end must contain
	// the time of the evaluation.
	Window bool `yaml:"window,omitempty" json:"window,omitempty"`
}
