package policies

// Config is `.shipgate.yml` as written: the raw form that the loader decodes
// strictly (known keys only, positions kept) and that `shipgate policy
// schema` describes. Compile turns it into a Policy. Key names and shapes are
// a public format: add keys, never rename or reshape them.
type Config struct {
	// Version of the format; only 1 exists.
	Version int `yaml:"version" json:"version" jsonschema:"enum=1"`
	// Extends names a base policy merged under this one:
	// `owner/repo:path@ref` (GitLab: `group/project:path@ref`; no @ref:
	// the default branch) or a path in the same repository (the CLI: a
	// local file, relative to this one).
	Extends string `yaml:"extends,omitempty" json:"extends,omitempty"`
	// Locked lists top-level keys (e.g. [branches, commands]) that a
	// policy extending this one cannot weaken; a rule or a mapping is
	// locked with `locked: true` inside it.
	Locked []string `yaml:"locked,omitempty" json:"locked,omitempty"`
	// Branches are the base-branch globs whose PRs are gated. Empty: all.
	Branches     []string            `yaml:"branches,omitempty" json:"branches,omitempty"`
	ChangeRecord *ChangeRecordConfig `yaml:"change_record,omitempty" json:"change_record,omitempty"`
	Approvals    []ApprovalConfig    `yaml:"approvals,omitempty" json:"approvals,omitempty"`
	ReleaseNotes *ReleaseNotesConfig `yaml:"release_notes,omitempty" json:"release_notes,omitempty"`
	Semver       *SemverConfig       `yaml:"semver,omitempty" json:"semver,omitempty"`
	Title        *TitleConfig        `yaml:"title,omitempty" json:"title,omitempty"`
	Hold         *HoldConfig         `yaml:"hold,omitempty" json:"hold,omitempty"`
	Freeze       *FreezeConfig       `yaml:"freeze,omitempty" json:"freeze,omitempty"`
	Checks       *ChecksConfig       `yaml:"checks,omitempty" json:"checks,omitempty"`
	Hotfix       *HotfixConfig       `yaml:"hotfix,omitempty" json:"hotfix,omitempty"`
	Tags         *TagsConfig         `yaml:"tags,omitempty" json:"tags,omitempty"`
	// Commands sets the minimum repository role per comment command
	// (e.g. {approve: maintain}). Roles: read, triage, write, maintain, admin.
	Commands map[string]string `yaml:"commands,omitempty" json:"commands,omitempty"`
	Deploy   *DeployConfig     `yaml:"deploy,omitempty" json:"deploy,omitempty"`
	Notify   *NotifyConfig     `yaml:"notify,omitempty" json:"notify,omitempty"`
	Notes    *NotesConfig      `yaml:"notes,omitempty" json:"notes,omitempty"`
	// Releases schedules release trains.
	Releases *ReleasesConfig `yaml:"releases,omitempty" json:"releases,omitempty"`

	// Components are the parts of a monorepo that are versioned and
	// released on their own (see ComponentConfig).
	Components []ComponentConfig `yaml:"components,omitempty" json:"components,omitempty"`
}

// NotesConfig is the `notes` key: how release notes are assembled.
type NotesConfig struct {
	// Hide lists the conventional-commit types left out of release notes
	// (default [docs, chore, ci, test]; [] shows every type). A breaking
	// change is never hidden.
	Hide *[]string `yaml:"hide,omitempty" json:"hide,omitempty"`
}

// When limits a rule to some changes. Every facet given must match; within a
// facet one entry is enough.
type When struct {
	// Branches are base-branch globs.
	Branches []string `yaml:"branches,omitempty" json:"branches,omitempty"`
	// Paths are globs (`**` crosses directories) over changed files.
	Paths []string `yaml:"paths,omitempty" json:"paths,omitempty"`
	// Labels: the change carries at least one of them.
	Labels []string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// Authors are logins or `@org/team`.
	Authors []string `yaml:"authors,omitempty" json:"authors,omitempty"`
	// AuthorsIn are teams (`@org/team`): the author is a member of one.
	// Unknown membership makes the rule pending, never skipped.
	AuthorsIn []string `yaml:"authors_in,omitempty" json:"authors_in,omitempty"`
	// ChangedLines compares the lines added plus deleted with over and/or
	// under. Unknown counts make the rule pending, never skipped.
	ChangedLines *LinesConfig `yaml:"changed_lines,omitempty" json:"changed_lines,omitempty"`
	// Title are regular expressions (RE2); the PR title matches one.
	Title []string `yaml:"title,omitempty" json:"title,omitempty"`
	// Not holds when its condition does not. A fact it needs that is
	// unknown stays unknown: the rule is pending, never skipped.
	Not *When `yaml:"not,omitempty" json:"not,omitempty"`
}

// ChangeRecordConfig is the `change_record` rule.
type ChangeRecordConfig struct {
	When *When `yaml:"when,omitempty" json:"when,omitempty"`
	// Patterns are regular expressions (RE2) for change-record IDs.
	Patterns []string `yaml:"patterns" json:"patterns"`
	// Sources to search: title, body, branch, commits. Default: all four.
	Sources []string `yaml:"sources,omitempty" json:"sources,omitempty"`
	// Sections are markdown headings the body must fill with real text.
	Sections []string `yaml:"sections,omitempty" json:"sections,omitempty"`
	// Verify asks the change system whether each record cited exists and
	// is approved (config_records.go).
	Verify *RecordVerifyConfig `yaml:"verify,omitempty" json:"verify,omitempty"`
}

// ApprovalConfig is one entry of `approvals` (and `hotfix.approvals`).
type ApprovalConfig struct {
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	When *When  `yaml:"when,omitempty" json:"when,omitempty"`
	// Required is the number of distinct approvers (default 1).
	Required *int `yaml:"required,omitempty" json:"required,omitempty"`
	// From lists who may approve: logins and `@org/team`. Empty: anyone
	// with a review.
	From []string `yaml:"from,omitempty" json:"from,omitempty"`
	// CodeOwners: every changed file with owners needs one of them.
	CodeOwners bool `yaml:"codeowners,omitempty" json:"codeowners,omitempty"`
	// AllowAuthor lets the PR author's own approval count.
	AllowAuthor bool `yaml:"allow_author,omitempty" json:"allow_author,omitempty"`
	// AllowContributor lets people who authored or committed a commit of
	// the change count as its approvers (default false, as in policy-bot).
	AllowContributor bool `yaml:"allow_contributor,omitempty" json:"allow_contributor,omitempty"`
	// DismissStale: an approval counts only for the SHA it approved
	// (default true; a push that only merges the base branch in, made by
	// the host's update-branch button, keeps approvals).
	DismissStale *bool `yaml:"dismiss_stale,omitempty" json:"dismiss_stale,omitempty"`
	// AnyOf makes this entry hold when one of its rules holds. A rule
	// whose when is false does not satisfy it; a request for changes from
	// someone a rule counts fails the entry.
	AnyOf []ApprovalConfig `yaml:"any_of,omitempty" json:"any_of,omitempty"`
	// AllOf makes this entry hold when each of its rules that applies
	// holds; one person counts toward one of them only.
	AllOf []ApprovalConfig `yaml:"all_of,omitempty" json:"all_of,omitempty"`
}

// ReleaseNotesConfig is the `release_notes` rule.
type ReleaseNotesConfig struct {
	When *When `yaml:"when,omitempty" json:"when,omitempty"`
	// Block is the info string of the fenced block (default release-note).
	Block string `yaml:"block,omitempty" json:"block,omitempty"`
	// NoneLabel marks a change that needs no note.
	NoneLabel string `yaml:"none_label,omitempty" json:"none_label,omitempty"`
	// Fragments is a glob of note files (e.g. `.changes/*.md`).
	Fragments string `yaml:"fragments,omitempty" json:"fragments,omitempty"`
}

// SemverConfig is the `semver` key: the PR rule and the release math.
type SemverConfig struct {
	When *When `yaml:"when,omitempty" json:"when,omitempty"`
	// Labels maps a bump (major, minor, patch, none) to its label.
	Labels map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// ConventionalTitle lets a conventional PR title declare the bump.
	ConventionalTitle bool `yaml:"conventional_title,omitempty" json:"conventional_title,omitempty"`
	// Types maps conventional-commit types to bumps, over the defaults
	// (feat: minor; fix, perf, revert: patch; others: none).
	Types map[string]string `yaml:"types,omitempty" json:"types,omitempty"`
	// PreMajorBreaking is the bump of a breaking change below 1.0.0:
	// major (default) or minor.
	PreMajorBreaking string `yaml:"pre_major_breaking,omitempty" json:"pre_major_breaking,omitempty"`
	// PreMajorFeatures is the bump of a feature below 1.0.0: minor
	// (default) or patch.
	PreMajorFeatures string `yaml:"pre_major_features,omitempty" json:"pre_major_features,omitempty"`
	// ReleaseLineFeatures is what a feature or breaking change does on a
	// release line (a branch whose tags share MAJOR.MINOR, such as
	// release/1.4): error (default: the line takes patches only) or patch
	// (capped at a patch).
	ReleaseLineFeatures string `yaml:"release_line_features,omitempty" json:"release_line_features,omitempty"`
	// Initial is the first version when there is no tag (default 0.1.0).
	Initial string `yaml:"initial,omitempty" json:"initial,omitempty"`
	// EmptyRelease is the bump of a release whose commits ask for none:
	// none (default: nothing to release) or patch.
	EmptyRelease string `yaml:"empty_release,omitempty" json:"empty_release,omitempty" jsonschema:"enum=none,enum=patch"`
}

// TitleConfig is the optional `title` rule.
type TitleConfig struct {
	When *When `yaml:"when,omitempty" json:"when,omitempty"`
	// Types are the allowed conventional types (default: the common ones).
	Types []string `yaml:"types,omitempty" json:"types,omitempty"`
	// Scopes, when given, are the allowed scopes; a scope stays optional.
	Scopes []string `yaml:"scopes,omitempty" json:"scopes,omitempty"`
}

// HoldConfig is the `hold` rule, which is always on.
type HoldConfig struct {
	// Label holds a change (default do-not-merge/hold).
	Label string `yaml:"label,omitempty" json:"label,omitempty"`
}

// FreezeConfig is the `freeze` key.
type FreezeConfig struct {
	Windows  []WindowConfig  `yaml:"windows" json:"windows"`
	Override *OverrideConfig `yaml:"override,omitempty" json:"override,omitempty"`
}

// WindowConfig is one freeze window: fixed (start, end), recurring (cron,
// duration) or GitLab-style (cron, end_cron). Cron times are in timezone
// (default UTC).
type WindowConfig struct {
	Name     string `yaml:"name" json:"name"`
	Start    string `yaml:"start,omitempty" json:"start,omitempty" jsonschema:"format=date-time"`
	End      string `yaml:"end,omitempty" json:"end,omitempty" jsonschema:"format=date-time"`
	Cron     string `yaml:"cron,omitempty" json:"cron,omitempty"`
	Duration string `yaml:"duration,omitempty" json:"duration,omitempty"`
	EndCron  string `yaml:"end_cron,omitempty" json:"end_cron,omitempty"`
	Timezone string `yaml:"timezone,omitempty" json:"timezone,omitempty"`
	// Branches limits the window to some base branches (default: all gated).
	Branches []string `yaml:"branches,omitempty" json:"branches,omitempty"`
	// Environments limits the window to some deployment environments
	// (default: every environment), e.g. [production].
	Environments []string `yaml:"environments,omitempty" json:"environments,omitempty"`
}

// OverrideConfig says who may override a freeze.
type OverrideConfig struct {
	Approvals int      `yaml:"approvals" json:"approvals"`
	From      []string `yaml:"from" json:"from"`
}

// ChecksConfig is the `checks` rule.
type ChecksConfig struct {
	When *When `yaml:"when,omitempty" json:"when,omitempty"`
	// Required are the checks that must succeed on the head SHA: a name,
	// or {name, app} / {name, from} naming who may report it.
	Required []RequiredCheckConfig `yaml:"required" json:"required"`
}

// RequiredCheckConfig is one required check: a bare name (any source, which
// anyone with write access can fake) or a mapping that names its source.
type RequiredCheckConfig struct {
	// Name is the check run's name or the commit status's context.
	Name string `yaml:"name" json:"name"`
	// App is the slug of the App whose check run counts (GitHub), e.g.
	// github-actions.
	App string `yaml:"app,omitempty" json:"app,omitempty"`
	// From is the login whose commit status counts (GitHub: the status's
	// creator; GitLab: its author).
	From string `yaml:"from,omitempty" json:"from,omitempty"`
}

// HotfixConfig is the `hotfix` key. A change is a hotfix when its head
// matches branches, its base matches into, and someone allowed to declared
// it (`/hotfix REASON`, or the label added by them); a branch name alone
// never is.
type HotfixConfig struct {
	// Branches are head-branch globs that may be hotfixes.
	Branches []string `yaml:"branches" json:"branches"`
	// Into are the base-branch globs a hotfix may target (default: the
	// pattern entries of tags.branches other than merge_back_to, else
	// release/*: the release lines, never the main line).
	Into []string `yaml:"into,omitempty" json:"into,omitempty"`
	// Label declares a hotfix when added by someone with the permission
	// that commands gives hotfix (default maintain); default hotfix.
	Label string `yaml:"label,omitempty" json:"label,omitempty"`
	// CodeOwners keeps the code owners' approval on hotfixes when an
	// approval rule asks for it (default true).
	CodeOwners *bool `yaml:"codeowners,omitempty" json:"codeowners,omitempty"`
	// Approvals replaces the `approvals` rules for hotfixes.
	Approvals *ApprovalConfig `yaml:"approvals,omitempty" json:"approvals,omitempty"`
	// MergeBackTo is the main line a hotfix must be merged back into.
	MergeBackTo string `yaml:"merge_back_to,omitempty" json:"merge_back_to,omitempty"`
	// MergeBackEveryChange: every change merged into a hotfix.into branch
	// owes its merge-back, whatever its head branch (default true); false:
	// only declared hotfixes and changes from a hotfix.branches head do,
	// and a change from another branch, undeclared, owes none.
	MergeBackEveryChange *bool `yaml:"merge_back_every_change,omitempty" json:"merge_back_every_change,omitempty"`
}

// TagsConfig is the `tags` key.
type TagsConfig struct {
	// Prefix of version tags (default v).
	Prefix *string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	// Branches a tagged commit must be reachable from. Empty: any.
	Branches []string `yaml:"branches,omitempty" json:"branches,omitempty"`
	// Release: the bot creates a release with notes for a valid tag.
	Release bool `yaml:"release,omitempty" json:"release,omitempty"`
	// Reviewed: a tag is a release only when every commit since the
	// previous version came through a change (PR/MR) whose last verdict
	// at its merged head passed: nothing pushed past the gate ships.
	Reviewed bool `yaml:"reviewed,omitempty" json:"reviewed,omitempty"`
}

// DeployConfig is the `deploy` key.
type DeployConfig struct {
	Environments []EnvironmentConfig `yaml:"environments" json:"environments"`
	// AllowRefs lets `/deploy ENV REF` deploy a branch or a commit SHA,
	// not only a release tag Shipgate validated (audited as such).
	AllowRefs bool `yaml:"allow_refs,omitempty" json:"allow_refs,omitempty"`
}

// EnvironmentConfig is one deployment environment.
type EnvironmentConfig struct {
	Name string `yaml:"name" json:"name"`
	// On starts the environment automatically: "release".
	On string `yaml:"on,omitempty" json:"on,omitempty"`
	// After names the environment that must succeed first.
	After    string       `yaml:"after,omitempty" json:"after,omitempty"`
	Approval *GateConfig  `yaml:"approval,omitempty" json:"approval,omitempty"`
	Steps    []StepConfig `yaml:"steps" json:"steps"`
	Rollback []StepConfig `yaml:"rollback,omitempty" json:"rollback,omitempty"`
	// ChangeRequest opens a change request for each deployment of the
	// environment (config_change_request.go).
	ChangeRequest *ChangeRequestConfig `yaml:"change_request,omitempty" json:"change_request,omitempty"`

	// Component names the component (of `components`) the environment
	// deploys: only that component's tags start it. Empty: the
	// repository's own tags (tags.prefix).
	Component string `yaml:"component,omitempty" json:"component,omitempty"`
}

// GateConfig is an approval gate.
type GateConfig struct {
	Required *int `yaml:"required,omitempty" json:"required,omitempty"`
	// From: logins, `@org/team`, `slack:U…` users, `slack:S…` groups.
	From         []string `yaml:"from,omitempty" json:"from,omitempty"`
	SlackChannel string   `yaml:"slack_channel,omitempty" json:"slack_channel,omitempty"`
	// Expires is how long the gate waits (default 24h).
	Expires string `yaml:"expires,omitempty" json:"expires,omitempty"`
}

// StepConfig is one step: exactly one key is set.
type StepConfig struct {
	GitHubWorkflow *GitHubWorkflowStep `yaml:"github_workflow,omitempty" json:"github_workflow,omitempty"`
	GitLabPipeline *GitLabPipelineStep `yaml:"gitlab_pipeline,omitempty" json:"gitlab_pipeline,omitempty"`
	Webhook        *WebhookStep        `yaml:"webhook,omitempty" json:"webhook,omitempty"`
	HealthCheck    *HealthCheckStep    `yaml:"health_check,omitempty" json:"health_check,omitempty"`
	// Wait is a soak time, e.g. 15m.
	Wait     string      `yaml:"wait,omitempty" json:"wait,omitempty"`
	Approval *GateConfig `yaml:"approval,omitempty" json:"approval,omitempty"`
	// MetricCheck watches a Prometheus query (canary analysis).
	MetricCheck *MetricCheckStep `yaml:"metric_check,omitempty" json:"metric_check,omitempty"`
	// Canary expands into a staged rollout with analysis between stages.
	Canary *CanaryStep `yaml:"canary,omitempty" json:"canary,omitempty"`
}

// GitHubWorkflowStep dispatches a workflow and follows its run.
type GitHubWorkflowStep struct {
	Workflow string            `yaml:"workflow" json:"workflow"`
	Ref      string            `yaml:"ref,omitempty" json:"ref,omitempty"`
	Inputs   map[string]string `yaml:"inputs,omitempty" json:"inputs,omitempty"`
	Timeout  string            `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// GitLabPipelineStep creates a pipeline and follows it.
type GitLabPipelineStep struct {
	Ref       string            `yaml:"ref,omitempty" json:"ref,omitempty"`
	Variables map[string]string `yaml:"variables,omitempty" json:"variables,omitempty"`
	Timeout   string            `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// WebhookStep POSTs the deployment to a URL, signed with HMAC-SHA256.
type WebhookStep struct {
	URL string `yaml:"url" json:"url"`
	// SecretEnv names the environment variable that holds the secret.
	SecretEnv string `yaml:"secret_env,omitempty" json:"secret_env,omitempty"`
}

// HealthCheckStep polls a URL until it answers Expect.
type HealthCheckStep struct {
	URL      string `yaml:"url" json:"url"`
	Expect   int    `yaml:"expect,omitempty" json:"expect,omitempty"`
	Interval string `yaml:"interval,omitempty" json:"interval,omitempty"`
	Retries  *int   `yaml:"retries,omitempty" json:"retries,omitempty"`
	Timeout  string `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// NotifyConfig is the `notify` key.
type NotifyConfig struct {
	// Comment says when Shipgate keeps its sticky comment on a change:
	// auto (default: where the host's verdict cannot hold the report, i.e.
	// on GitLab, whose commit status holds one line; not on GitHub, whose
	// check run holds it all), always, or never.
	Comment string       `yaml:"comment,omitempty" json:"comment,omitempty" jsonschema:"enum=auto,enum=always,enum=never"`
	Slack   *SlackConfig `yaml:"slack,omitempty" json:"slack,omitempty"`
}

// SlackConfig says where notifications go and who is who in Slack.
type SlackConfig struct {
	Channel string `yaml:"channel,omitempty" json:"channel,omitempty"`
	// Users maps host logins (GitHub logins, GitLab usernames) to Slack user IDs (U…).
	Users map[string]string `yaml:"users,omitempty" json:"users,omitempty"`
	// Events chooses the release events announced, and where.
	Events map[string]SlackEventConfig `yaml:"events,omitempty" json:"events,omitempty"`
}
