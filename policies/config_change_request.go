package policies

// ChangeRequestConfig is `deploy.environments[].change_request`: a change
// request opened in the change system when a deployment of the
// environment starts, moved to Implement when its steps run, and closed
// with the outcome.
type ChangeRequestConfig struct {
	// ServiceNow is the template of the change request's fields
	// (short_description, assignment_group, description, category, …),
	// Go templates over .Version, .PreviousVersion, .Environment, .Repo,
	// .SHA. Shipgate adds the planned start and end, the release's notes
	// and change records, and its own correlation ID.
	ServiceNow map[string]string `yaml:"servicenow" json:"servicenow"`
	// WaitForApproval holds the deployment until the change system
	// approves the change request (polled; a rejection fails it).
	WaitForApproval bool `yaml:"wait_for_approval,omitempty" json:"wait_for_approval,omitempty"`
	// Duration is the planned window's length from the start (default 1h).
	Duration string `yaml:"duration,omitempty" json:"duration,omitempty"`
	// Poll is how often the approval is asked (default 1m).
	Poll string `yaml:"poll,omitempty" json:"poll,omitempty"`
	// Expires is how long the change request is waited for, to open and
	// to be approved (default 24h).
	Expires string `yaml:"expires,omitempty" json:"expires,omitempty"`
}
