package policies

import (
	"strings"
	"time"
)

// Change is a host-neutral view of a pull request (GitHub) or merge request
// (GitLab). Host adapters build it; nothing after them touches host payloads.
// Facts an adapter did not fetch are left nil: the rules that need them say
// so rather than guessing.
type Change struct {
	// Host is the code host the change lives on.
	Host Host
	// Repo is the repository the change targets.
	Repo Repo
	// Number is the PR number (GitHub) or the MR IID (GitLab).
	Number int
	Title  string
	// Body is the PR body (GitHub) or the MR description (GitLab).
	Body   string
	Author Actor
	// BaseBranch is the branch the change merges into (GitLab: target branch).
	BaseBranch string
	// HeadBranch is the branch the change comes from (GitLab: source branch).
	HeadBranch string
	// HeadSHA is the commit the verdict is about.
	HeadSHA string
	// Draft is GitHub's draft flag or GitLab's draft/WIP status.
	Draft bool
	// Merged is GitHub's merged flag; GitLab's `merged` state → Merged.
	Merged bool
	Labels []string
	// Commits are the change's commits, oldest first.
	Commits []Commit
	// Files are the changed files. Nil when not fetched.
	Files []File
	// Lines are the lines the change adds and deletes (GitHub: summed over
	// its files; GitLab: counted in the MR's diffs). Nil when not known (not
	// fetched, a list read in part, a diff too large to show): rules that
	// depend on it are then pending.
	Lines *LineCount
	// Reviews are GitHub reviews; GitLab MR approvals map to APPROVED reviews.
	Reviews []Review
	// Comments are the conversation's comments (GitHub issue comments, GitLab
	// MR notes), oldest first. Commands are parsed from them.
	Comments []Comment
	// Checks are CI results on HeadSHA (GitHub check runs and commit
	// statuses, GitLab pipelines and commit statuses).
	Checks []Check
	// HeadPushedAt is when HeadSHA was pushed (GitHub: the synchronize event
	// or the head commit's committer date). With dismiss_stale, commands
	// given before it no longer count. Zero when unknown.
	HeadPushedAt time.Time
	// Teams answers team membership for the `@org/team` entries the policy
	// names. Nil when the adapter has no team data: team entries then match
	// nobody.
	Teams Membership
	// CodeOwners is the parsed CODEOWNERS file of the base branch, nil when
	// the repository has none or it was not fetched.
	CodeOwners *CodeOwners
	// Permissions maps lower-cased logins to their repository role, for
	// command authorisation and reviewers' standing. Nil means no permission
	// data (offline use): commands then count as given by authorised users.
	Permissions map[string]Permission
	// BodyTemplate is the repository's PR/MR description template when the
	// adapter fetched it: lines copied from it unchanged are not content.
	BodyTemplate string
	// LabelEvents are the labels added to and removed from the change,
	// oldest first, with who did it (GitHub: the labeled and
	// unlabeled events; GitLab: resource label events). Nil when not
	// fetched: a label that declares something (hotfix) then counts only
	// offline (Permissions nil).
	LabelEvents []LabelEvent
	// Heads are the head commits the change had, oldest first, as the bot
	// saw them, each with the digest of the content of the change's files
	// at that head. An approval given on an older head still counts when
	// that head's content is the current head's (a push that only merged
	// the base branch in). Nil when unknown: approvals given before
	// HeadPushedAt are then stale.
	Heads []Head
	// Records are the cited change records as their providers answered,
	// by ID, when the policy verifies them (NeedRecords). Nil when not
	// fetched: the rule then says verification was not done, and waits.
	Records map[string]Record
	// Incomplete names the facts that could not be read whole (a host's
	// cap on a list, a list too long to read), with why. Rules that need
	// a fact read in part are pending, never passing, and say why.
	Incomplete map[Facts]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// LabelEvent is one label added to or removed from a change.
type LabelEvent struct {
	Label string
	// Actor added or removed it.
	Actor Actor
	// Added is false for a removal.
	Added bool
	At    time.Time
}

// Head is one head commit a change had.
type Head struct {
	SHA string
	// Since is when the bot first saw the change at SHA (the push).
	Since time.Time
	// Content is a digest of the change's files at SHA (path, status and
	// blob of each); "" when unknown (a file list that was not read
	// whole), which matches no other head.
	Content string
}

// Host names a code host. Host adapters, the store and the audit trail
// name a change's host by it.
type Host string

// The code hosts Shipgate serves.
const (
	GitHub Host = "github"
	GitLab Host = "gitlab"
)

// Repo names a repository.
type Repo struct {
	// Owner is the GitHub owner or the GitLab namespace; it may contain `/`
	// for GitLab subgroups.
	Owner string
	Name  string
}

// String returns "owner/name".
func (r Repo) String() string { return r.Owner + "/" + r.Name }

// Actor is a person or a bot on the host.
type Actor struct {
	// Login is the GitHub login or the GitLab username.
	Login string
	// Bot is true for GitHub Apps/bot accounts and GitLab bot users. Comments
	// by bots are never taken as commands.
	Bot bool
}

// Commit is one commit of a change or of a release range.
type Commit struct {
	SHA     string
	Message string
	Author  Actor
	// AuthorName is the git author name, used where no host login is known.
	AuthorName string
	// Committer is who committed it (GitHub's web-flow, for commits made
	// in the web interface, is not a person and is left empty).
	Committer Actor
	// PR is the number of the pull request that brought the commit, when known.
	PR   int
	Time time.Time

	// Paths are the files the commit changed; nil when not read (then a
	// component with paths counts the commit as its own: see
	// Component.Owns).
	Paths []string
}

// File is one changed file.
type File struct {
	Path string
	// PreviousPath is set for renames; rules match both paths.
	PreviousPath string
	// Status is "added", "modified", "removed", "renamed" (GitLab's
	// new_file/deleted_file/renamed_file flags map onto these).
	Status string
}

// ReviewState is the state of a review.
type ReviewState string

// Review states, as GitHub names them. GitLab approvals are ReviewApproved.
const (
	ReviewApproved         ReviewState = "APPROVED"
	ReviewChangesRequested ReviewState = "CHANGES_REQUESTED"
	ReviewCommented        ReviewState = "COMMENTED"
	ReviewDismissed        ReviewState = "DISMISSED"
	ReviewPending          ReviewState = "PENDING"
)

// Review is one submitted review.
type Review struct {
	// ID is the host's ID of the review (0 when it has none).
	ID     int64
	Author Actor
	State  ReviewState
	// CommitSHA is the head SHA the review was given on.
	CommitSHA   string
	SubmittedAt time.Time
}

// Comment is one comment in the change's conversation.
type Comment struct {
	ID     int64
	Author Actor
	Body   string
	// CreatedAt orders commands; an edit does not move a command in time.
	CreatedAt time.Time
	// Edited is true when the comment changed after it was created
	// (GitHub and GitLab: updated_at after created_at). Anyone with write
	// access can edit anyone's comment, so an edited Body is never read
	// for commands: an edit adds none and cancels none.
	Edited bool
	// Commands, when not nil, are the comment's commands as they were
	// written when it was created (the bot records them from the comment's
	// created webhook); they are used instead of Body, and they stand for
	// a comment deleted since.
	Commands []Command
}

// CheckStatus is the lifecycle state of a CI check.
type CheckStatus string

// Check statuses.
const (
	CheckQueued     CheckStatus = "queued"
	CheckInProgress CheckStatus = "in_progress"
	CheckCompleted  CheckStatus = "completed"
)

// Check is one CI result on the head SHA.
type Check struct {
	Name   string
	Status CheckStatus
	// Conclusion is set when Status is completed: success, failure, neutral,
	// cancelled, skipped, timed_out, action_required, stale (GitHub's names;
	// GitLab's success/failed/canceled/skipped map onto them).
	Conclusion string
	HeadSHA    string
	// StartedAt orders re-runs of one check; the latest decides.
	StartedAt time.Time
	// App is the slug of the App that reported a check run (GitHub), ""
	// for a commit status.
	App string
	// Creator is the login that posted a commit status (GitHub: its
	// creator; GitLab: its author), "" for a check run.
	Creator string
}

// permission is login's role in the repository (Permissions must not be
// nil). Permissions is keyed by lower-cased login, and lower-casing can
// turn a login into another person's (the Kelvin sign becomes k, and
// "\u212aate" is not kate: sameLogin); such a login has no role.
func (c *Change) permission(login string) Permission {
	key := strings.ToLower(login)
	if !sameLogin(key, login) {
		return PermNone
	}
	return c.Permissions[key]
}

// Membership answers whether a login belongs to a team ("org/team").
type Membership interface {
	// IsMember reports membership; logins compare case-insensitively.
	IsMember(team, login string) bool
}

// TeamMap is a Membership held in memory: team → member logins.
type TeamMap map[string][]string

// IsMember implements Membership.
func (m TeamMap) IsMember(team, login string) bool {
	for _, l := range m.members(team) {
		if sameLogin(l, login) {
			return true
		}
	}
	return false
}

// members returns the member logins of team (its name compared without
// case when not found as given).
func (m TeamMap) members(team string) []string {
	if members, ok := m[team]; ok {
		return members
	}
	for t, ms := range m {
		if equalFold(t, team) {
			return ms
		}
	}
	return nil
}

var _ Membership = TeamMap(nil)
