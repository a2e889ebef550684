package policies

// MetricCheckStep watches a Prometheus query for a window: the step fails
// (and the deployment rolls back) as soon as the value crosses max or min.
type MetricCheckStep struct {
	// URL is Prometheus's base URL (a step template), e.g.
	// https://prometheus.example.com; Shipgate calls its /api/v1/query.
	URL string `yaml:"url" json:"url"`
	// Query is PromQL, a step template with .Version, .Environment, …
	Query string `yaml:"query" json:"query"`
	// Max fails the step when a value is above it.
	Max *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	// Min fails the step when a value is below it.
	Min *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	// For is how long the query is watched (default 10m).
	For string `yaml:"for,omitempty" json:"for,omitempty"`
	// Interval is the time between two queries (default 1m).
	Interval string `yaml:"interval,omitempty" json:"interval,omitempty"`
}

// CanaryStep rolls a version out in stages: the workflow (or pipeline)
// runs once per percentage, with the percentage as an input, and each
// stage is analysed before the next one starts.
type CanaryStep struct {
	GitHubWorkflow *GitHubWorkflowStep `yaml:"github_workflow,omitempty" json:"github_workflow,omitempty"`
	GitLabPipeline *GitLabPipelineStep `yaml:"gitlab_pipeline,omitempty" json:"gitlab_pipeline,omitempty"`
	// Input names the workflow input (or pipeline variable) that carries
	// the percentage (default canary).
	Input string `yaml:"input,omitempty" json:"input,omitempty"`
	// Steps are the percentages of traffic, increasing, ending with 100.
	Steps []int `yaml:"steps" json:"steps"`
	// Analysis runs after every stage; a failure rolls back.
	Analysis *MetricCheckStep `yaml:"analysis,omitempty" json:"analysis,omitempty"`
	// Pause is a soak between two stages, e.g. 5m.
	Pause string `yaml:"pause,omitempty" json:"pause,omitempty"`
	// Approval is asked between two stages.
	Approval *GateConfig `yaml:"approval,omitempty" json:"approval,omitempty"`
}
