package policies

import (
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

// Policy is a compiled, validated `.shipgate.yml`: defaults applied, regexes
// compiled, globs checked, windows parsed. Build one with Load or Compile.
type Policy struct {
	// File is the path the policy was read from, for messages.
	File string
	// Revision identifies the policy's content (e.g. a blob SHA); set by
	// the caller, recorded in audit events.
	Revision string

	// Branches gate PRs by base branch; empty gates every branch.
	Branches     []Glob
	ChangeRecord *ChangeRecordRule
	Approvals    []ApprovalRule
	ReleaseNotes *ReleaseNotesRule
	// Semver is the PR rule (nil when not configured); Release holds the
	// release math settings, which always have values.
	Semver  *SemverRule
	Title   *TitleRule
	Hold    HoldRule
	Freeze  *FreezeRule
	Checks  *ChecksRule
	Hotfix  *HotfixRule
	Release ReleaseSettings
	// Commands is the minimum role per comment command, defaults filled in.
	Commands map[string]Permission
	Deploy   []Environment
	// DeployAllowRefs lets `/deploy` take a branch or a SHA (deploy.allow_refs).
	DeployAllowRefs bool
	Notify          Notify
	// Trains is the release-train schedule (releases); nil when none.
	Trains *Trains
	// Components are the monorepo's components, in policy order; each
	// has a version line of its own (Component.Release).
	Components []Component
	// Warnings are problems that do not stop the policy from working but
	// weaken it (a required check anyone can fake): `policy validate`
	// prints them.
	Warnings []*FieldError
}

// NotesHide returns the conventional types release notes leave out under
// p: notes.hide, or DefaultNotesHide for a nil p (no policy file).
func (p *Policy) NotesHide() []string {
	if p == nil {
		return DefaultNotesHide()
	}
	return p.Release.NotesHide
}

// Glob is a compiled glob: `*` stays within a path segment, `**` crosses.
// Build it with NewGlob, which also records the literal prefix and suffix
// that let Match reject most names without running the matcher.
type Glob struct {
	Pattern string
	// prefix and suffix are literal text every match starts and ends with.
	prefix, suffix string
	// base is set for "**/X" with no slash in X: only the last path
	// segment needs matching, which skips trying every directory split.
	base string
	// literal names the two commonest shapes, decided by the prefix and
	// suffix alone: "**/*.ext" (any name ending in .ext) and "dir/**"
	// (dir and everything below it).
	literal globShape
}

// globShape is a glob whose match needs no matcher.
type globShape uint8

const (
	shapeGeneral globShape = iota
	shapeAnyWithSuffix
	shapeTree
)

// Condition is a compiled When. The zero Condition matches everything.
type Condition struct {
	Branches []Glob
	Paths    []Glob
	Labels   []string
	Authors  []Principal
	// AuthorsIn, Lines, Titles and Not are the facets of
	// config_rulelogic.go (when.authors_in, changed_lines, title, not).
	AuthorsIn []Principal
	Lines     *LineBounds
	Titles    []*regexp.Regexp
	Not       *Condition
}

// Principal is one entry of a `from:` list.
type Principal struct {
	// Login is set for a user.
	Login string
	// Team is "org/team" for `@org/team`.
	Team string
	// SlackUser (U…) or SlackGroup (S…) for `slack:` entries (deploy gates).
	SlackUser  string
	SlackGroup string
}

// String returns the entry as written in the policy.
func (p Principal) String() string {
	switch {
	case p.Team != "":
		return "@" + p.Team
	case p.SlackUser != "":
		return "slack:" + p.SlackUser
	case p.SlackGroup != "":
		return "slack:" + p.SlackGroup
	}
	return p.Login
}

// ChangeRecordRule requires a change-record ID and filled sections.
type ChangeRecordRule struct {
	When     Condition
	Patterns []*regexp.Regexp
	// scanners search for Patterns quickly; Compile fills them.
	scanners []idScanner
	// Sources among "title", "body", "branch", "commits".
	Sources  []string
	Sections []string
	// Verify is nil when the records cited are not verified.
	Verify *RecordVerification
}

// ApprovalRule is one compiled approval requirement.
type ApprovalRule struct {
	Name        string
	When        Condition
	Required    int
	From        []Principal
	CodeOwners  bool
	AllowAuthor bool
	// AllowContributor lets the authors and committers of the change's
	// commits count as approvers.
	AllowContributor bool
	DismissStale     bool
	// AnyOf or AllOf (at most one) make the rule a combination of its
	// member rules; the counting fields above are then unused.
	AnyOf []ApprovalRule
	AllOf []ApprovalRule
	// named: the policy gave Name (messages name the member rules that do).
	named bool
}

// ReleaseNotesRule requires a release note.
type ReleaseNotesRule struct {
	When      Condition
	Block     string
	NoneLabel string
	// Fragments is nil when not configured.
	Fragments *Glob
}

// SemverRule requires a declared bump on each PR.
type SemverRule struct {
	When Condition
	// Labels maps each bump to its label; bumps without a label are absent.
	Labels            map[Bump]string
	ConventionalTitle bool
}

// ReleaseSettings drive version math and tag validation.
type ReleaseSettings struct {
	// Types maps a conventional type to its bump (defaults merged in).
	Types            map[string]Bump
	PreMajorBreaking Bump
	PreMajorFeatures Bump
	// Initial is the version when there is no tag, without prefix.
	Initial   string
	TagPrefix string
	// TagBranches: a tag's commit must be reachable from one. Empty: any.
	TagBranches []Glob
	// CreateRelease: the bot creates a release for a valid tag.
	CreateRelease bool
	// Reviewed: every commit since the previous version must have come
	// through a change Shipgate passed (tags.reviewed).
	Reviewed bool
	// ReleaseLineFeatures is BumpPatch when a feature or breaking change on
	// a release line is capped at a patch; "" when it is an error.
	ReleaseLineFeatures Bump
	// NotesHide are the conventional types release notes leave out
	// (notes.hide); DefaultNotesHide when the policy does not say.
	NotesHide []string
	// EmptyRelease is the bump of a release whose commits ask for none
	// (semver.empty_release): BumpNone (default) or BumpPatch.
	EmptyRelease Bump
	// Component is the component whose version line these settings are
	// (its tag prefix, its commits); nil for the repository's own line.
	Component *Component
}

// TitleRule requires a conventional PR title.
type TitleRule struct {
	When   Condition
	Types  []string
	Scopes []string
}

// HoldRule blocks a change while held.
type HoldRule struct {
	Label string
}

// FreezeRule blocks changes inside freeze windows.
type FreezeRule struct {
	Windows []Window
	// Override is nil when a freeze cannot be overridden.
	Override *Override
}

// Override is who may let a change through a freeze.
type Override struct {
	Approvals int
	From      []Principal
}

// Window is one compiled freeze window. Exactly one form is set: a fixed
// Start/End; Schedule + Duration; or Schedule + EndSchedule.
type Window struct {
	Name        string
	Start, End  time.Time
	Schedule    Schedule
	Duration    time.Duration
	EndSchedule Schedule
	Location    *time.Location
	Branches    []Glob
	// Environments limits the window to these deployment environments
	// (compared without case); empty: every environment.
	Environments []string
}

// Schedule is a parsed cron expression.
type Schedule interface {
	// Next returns the first activation strictly after t.
	Next(t time.Time) time.Time
}

// ChecksRule requires named CI checks to succeed.
type ChecksRule struct {
	When     Condition
	Required []RequiredCheck
}

// RequiredCheck is one required check and, when the policy names it, the
// only source whose result counts.
type RequiredCheck struct {
	Name string
	// App is the slug of the App whose check runs count; From the login
	// whose commit statuses count. Both empty: any source.
	App, From string
}

// String describes the check for messages: "test", "test via
// github-actions" (a check run of that App), "ci/jenkins by @jenkins-bot"
// (a commit status of that account).
func (r RequiredCheck) String() string {
	switch {
	case r.App != "":
		return r.Name + " via " + r.App
	case r.From != "":
		return r.Name + " by @" + r.From
	}
	return r.Name
}

// HotfixRule replaces the approval rules for declared hotfixes.
type HotfixRule struct {
	// Branches are the head branches that may be hotfixes; Into the bases
	// they may target.
	Branches []Glob
	Into     []Glob
	// Label declares a hotfix when added by someone allowed to.
	Label string
	// CodeOwners keeps the code owners' approval on hotfixes.
	CodeOwners bool
	// Approval is nil when hotfixes keep the normal approval rules.
	Approval    *ApprovalRule
	MergeBackTo string
	// MergeBackEveryChange: every change merged into Into owes the merge
	// back, not only hotfixes.
	MergeBackEveryChange bool
}

// Environment is one compiled deployment environment.
type Environment struct {
	Name     string
	On       string
	After    string
	Approval *Gate
	Steps    []Step
	Rollback []Step
	// ChangeRequest is nil when the environment opens no change request.
	ChangeRequest *ChangeRequest

	// Component is the component whose tags start the environment; ""
	// for the repository's own tags.
	Component string
}

// Gate is a compiled approval gate.
type Gate struct {
	Required     int
	From         []Principal
	SlackChannel string
	Expires      time.Duration
}

// StepKind names a deployment step kind; it is the step's policy key.
type StepKind string

// Step kinds.
const (
	StepGitHubWorkflow StepKind = "github_workflow"
	StepGitLabPipeline StepKind = "gitlab_pipeline"
	StepWebhook        StepKind = "webhook"
	StepHealthCheck    StepKind = "health_check"
	StepWait           StepKind = "wait"
	StepApproval       StepKind = "approval"
	StepMetricCheck    StepKind = "metric_check"
)

// Step is one compiled deployment step; the field for Kind is set.
type Step struct {
	Kind           StepKind
	GitHubWorkflow *WorkflowStep
	GitLabPipeline *PipelineStep
	Webhook        *WebhookCall
	HealthCheck    *HealthCheck
	Wait           time.Duration
	Approval       *Gate
	MetricCheck    *MetricCheck
	// Stage names the canary stage a step belongs to ("canary 10%"), ""
	// outside a canary.
	Stage string
}

// WorkflowStep dispatches a GitHub workflow. Ref and Inputs are templates.
type WorkflowStep struct {
	Workflow string
	Ref      *template.Template
	Inputs   map[string]*template.Template
	Timeout  time.Duration
}

// PipelineStep creates a GitLab pipeline.
type PipelineStep struct {
	Ref       *template.Template
	Variables map[string]*template.Template
	Timeout   time.Duration
}

// WebhookCall POSTs the deployment to URL.
type WebhookCall struct {
	URL       *template.Template
	SecretEnv string
}

// HealthCheck polls URL.
type HealthCheck struct {
	URL      *template.Template
	Expect   int
	Interval time.Duration
	Retries  int
	Timeout  time.Duration
}

// The values of notify.comment.
const (
	CommentAuto   = "auto"
	CommentAlways = "always"
	CommentNever  = "never"
)

// Notify is where notifications go.
type Notify struct {
	// Comment is notify.comment: CommentAuto, CommentAlways or
	// CommentNever.
	Comment      string
	SlackChannel string
	// SlackUsers maps host logins (GitHub logins, GitLab usernames) to Slack user IDs.
	SlackUsers map[string]string
	// Events maps each announced event (notify.slack.events) to its
	// channel; an event not in it is not announced.
	Events map[string]string
}

// Bump is a semantic-version increment.
type Bump string

// Bumps, from none to major. Use Bump.Rank to compare.
const (
	BumpNone  Bump = "none"
	BumpPatch Bump = "patch"
	BumpMinor Bump = "minor"
	BumpMajor Bump = "major"
)

// Rank orders bumps: none 0, patch 1, minor 2, major 3; unknown -1.
func (b Bump) Rank() int {
	switch b {
	case BumpNone:
		return 0
	case BumpPatch:
		return 1
	case BumpMinor:
		return 2
	case BumpMajor:
		return 3
	}
	return -1
}

// Permission is a repository role, ordered from none to admin. GitLab
// access levels map onto it (Guest/Planner → read, Reporter → triage,
// Developer → write, Maintainer → maintain, Owner → admin).
type Permission int

// Repository roles.
const (
	PermNone Permission = iota
	PermRead
	PermTriage
	PermWrite
	PermMaintain
	PermAdmin
)

var permissionNames = [...]string{"none", "read", "triage", "write", "maintain", "admin"}

// String returns the role's name.
func (p Permission) String() string {
	if p < 0 || int(p) >= len(permissionNames) {
		return "unknown"
	}
	return permissionNames[p]
}

// ParsePermission parses a role name; ok is false for unknown names.
func ParsePermission(s string) (p Permission, ok bool) {
	for i, n := range permissionNames {
		if strings.EqualFold(n, s) {
			return Permission(i), true
		}
	}
	return PermNone, false
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// sameLogin compares logins (GitHub logins and GitLab usernames are ASCII
// and compare without case), cheaply: the hot paths of Evaluate compare
// logins many times.
func sameLogin(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if a == b || a == "" {
		return a == b
	}
	// Most different logins of one length differ in their first or last
	// letter; when both are ASCII, strings.EqualFold would say false there.
	if n := len(a) - 1; differASCII(a[0], b[0]) || differASCII(a[n], b[n]) {
		return false
	}
	return strings.EqualFold(a, b)
}

// differASCII reports whether x and y are ASCII bytes that differ other
// than in case (an ASCII letter folds to no other byte).
func differASCII(x, y byte) bool {
	if x >= utf8.RuneSelf || y >= utf8.RuneSelf {
		return false
	}
	if 'A' <= x && x <= 'Z' {
		x += 'a' - 'A'
	}
	if 'A' <= y && y <= 'Z' {
		y += 'a' - 'A'
	}
	return x != y
}

// SameLogin reports whether two logins name one person: equal but for the
// case of ASCII letters, never by Unicode folding (the Kelvin sign is no
// k). Every comparison of logins outside this package uses it.
func SameLogin(a, b string) bool { return sameLogin(a, b) }
