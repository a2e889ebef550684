// Package github is Shipgate's GitHub adapter. It translates GitHub data
// (webhook payloads and REST responses, as go-github types) into the
// host-neutral policies.Change, and verdicts back into GitHub API calls.
// The code that builds a Change from GitHub data lives here once and serves
// the bot, the Action and `shipgate check`.
//
// It must not import actions/ or any other host's adapter.
package github

import (
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
)

// ChangeInput is the GitHub data a Change is built from. PR comes from a
// webhook payload or the API; the other fields are REST responses fetched
// because the policy needs them. A nil slice means "not fetched" and stays
// nil in the Change, so rules that need it can say so.
type ChangeInput struct {
	PR *gh.PullRequest
	// Reviews: GET /repos/{owner}/{repo}/pulls/{n}/reviews.
	Reviews []*gh.PullRequestReview
	// Comments: GET /repos/{owner}/{repo}/issues/{n}/comments.
	Comments []*gh.IssueComment
	// Files: GET /repos/{owner}/{repo}/pulls/{n}/files.
	Files []*gh.CommitFile
	// Commits: GET /repos/{owner}/{repo}/pulls/{n}/commits.
	Commits []*gh.RepositoryCommit
	// CheckRuns: GET /repos/{owner}/{repo}/commits/{ref}/check-runs.
	CheckRuns []*gh.CheckRun
	// Statuses: GET /repos/{owner}/{repo}/commits/{ref}/statuses (legacy
	// commit statuses count as checks named by their context).
	Statuses []*gh.RepoStatus
	// Teams answers @org/team membership; nil when not fetched.
	Teams policies.Membership
	// CodeOwners is the parsed CODEOWNERS of the base branch, nil if none.
	CodeOwners *policies.CodeOwners
	// Permissions maps lower-cased logins to roles; nil when not fetched.
	Permissions map[string]policies.Permission
	// LabelEvents: GET /repos/{owner}/{repo}/issues/{n}/events (labeled
	// and unlabeled); nil when not fetched.
	LabelEvents []*gh.IssueEvent
	// Heads are the PR's heads as the bot saw them (store); nil when not
	// known (the Action, the CLI).
	Heads []policies.Head
	// Incomplete names the facts read in part, and why.
	Incomplete map[policies.Facts]string
}

// BuildChange turns GitHub data into a Change.
func BuildChange(in ChangeInput) *policies.Change {
	repo := ""
	if r := in.PR.GetBase().GetRepo(); r != nil {
		repo = r.GetOwner().GetLogin() + "/" + r.GetName()
	}
	return buildChange(SnapshotOf(in.PR), repo, in)
}

// buildChange is the Change of snap with the facts of in.
func buildChange(snap gate.Snapshot, repo string, in ChangeInput) *policies.Change {
	actor := ActorOf
	c := snap.Change(policies.GitHub, repo)
	c.Heads, c.Incomplete, c.Teams, c.CodeOwners, c.Permissions = in.Heads, in.Incomplete, in.Teams, in.CodeOwners, in.Permissions
	if in.Reviews != nil {
		c.Reviews = make([]policies.Review, 0, len(in.Reviews))
		for _, r := range in.Reviews {
			c.Reviews = append(c.Reviews, policies.Review{
				ID:          r.GetID(),
				Author:      actor(r.GetUser()),
				State:       policies.ReviewState(strings.ToUpper(r.GetState())),
				CommitSHA:   r.GetCommitID(),
				SubmittedAt: r.GetSubmittedAt().Time,
			})
		}
	}
	if in.Comments != nil {
		c.Comments = make([]policies.Comment, 0, len(in.Comments))
		for _, cm := range in.Comments {
			c.Comments = append(c.Comments, commentOf(cm))
		}
	}
	if in.Files != nil {
		c.Files = make([]policies.File, 0, len(in.Files))
		lines := policies.LineCount{}
		for _, f := range in.Files {
			c.Files = append(c.Files, policies.File{
				Path:         f.GetFilename(),
				PreviousPath: f.GetPreviousFilename(),
				Status:       f.GetStatus(),
			})
			// GitHub counts a file's lines even when it omits its patch.
			lines.Additions += f.GetAdditions()
			lines.Deletions += f.GetDeletions()
		}
		// A list read in part is marked Incomplete, which the rules check.
		c.Lines = &lines
	}
	if pr := in.PR; pr != nil && pr.Additions != nil && pr.Deletions != nil {
		// The pull request's own counts, when its payload has them, need
		// no file list.
		c.Lines = &policies.LineCount{Additions: pr.GetAdditions(), Deletions: pr.GetDeletions()}
	}
	if in.Commits != nil {
		c.Commits = make([]policies.Commit, 0, len(in.Commits))
		for _, rc := range in.Commits {
			cm := policies.Commit{
				SHA:        rc.GetSHA(),
				Message:    rc.GetCommit().GetMessage(),
				Author:     actor(rc.GetAuthor()),
				Committer:  committer(rc.GetCommitter()),
				AuthorName: rc.GetCommit().GetAuthor().GetName(),
				PR:         c.Number,
				Time:       rc.GetCommit().GetCommitter().GetDate().Time,
			}
			c.Commits = append(c.Commits, cm)
			// The head commit's committer date is the best offline sign of
			// the last push; the bot overrides it with the event's time.
			if cm.SHA == c.HeadSHA {
				c.HeadPushedAt = cm.Time
			}
		}
	}
	if in.LabelEvents != nil {
		c.LabelEvents = make([]policies.LabelEvent, 0, len(in.LabelEvents))
		for _, e := range in.LabelEvents {
			if e.GetEvent() != "labeled" && e.GetEvent() != "unlabeled" {
				continue
			}
			c.LabelEvents = append(c.LabelEvents, policies.LabelEvent{
				Label: e.GetLabel().GetName(), Actor: actor(e.GetActor()), Added: e.GetEvent() == "labeled", At: e.GetCreatedAt().Time,
			})
		}
	}
	if in.CheckRuns != nil || in.Statuses != nil {
		c.Checks = checksOf(in.CheckRuns, in.Statuses, c.HeadSHA)
	}
	return c
}

// statusCheck maps a legacy commit status onto a check: pending → in
// progress; success; failure and error → failure.
func statusCheck(st *gh.RepoStatus, sha string) policies.Check {
	ch := policies.Check{Name: st.GetContext(), HeadSHA: sha, StartedAt: st.GetCreatedAt().Time, Status: policies.CheckCompleted,
		Creator: st.GetCreator().GetLogin()}
	switch st.GetState() {
	case "pending":
		ch.Status = policies.CheckInProgress
	case "success":
		ch.Conclusion = "success"
	default:
		ch.Conclusion = "failure"
	}
	return ch
}

// ActorOf maps a GitHub user; Apps and "[bot]" accounts are bots.
func ActorOf(u *gh.User) policies.Actor {
	login := u.GetLogin()
	return policies.Actor{Login: login, Bot: isBot(u)}
}

// webFlow is the account GitHub commits as for changes made in its web
// interface: the person is the commit's author, not this committer.
const webFlow = "web-flow"

// committer maps a commit's committer; web-flow is GitHub, not a person.
func committer(u *gh.User) policies.Actor {
	if policies.SameLogin(u.GetLogin(), webFlow) {
		return policies.Actor{}
	}
	return ActorOf(u)
}

// BotAccount reports whether an account is an App or a bot account: the one
// place the adapter decides it.
func BotAccount(login, userType string) bool {
	return userType == "Bot" || strings.HasSuffix(login, "[bot]")
}

// isBot reports whether a user is an App or a bot account.
func isBot(u *gh.User) bool { return BotAccount(u.GetLogin(), u.GetType()) }

// checksOf maps check runs and legacy commit statuses onto checks.
func checksOf(runs []*gh.CheckRun, statuses []*gh.RepoStatus, head string) []policies.Check {
	out := make([]policies.Check, 0, len(runs)+len(statuses))
	for _, cr := range runs {
		out = append(out, policies.Check{
			Name:       cr.GetName(),
			Status:     policies.CheckStatus(cr.GetStatus()),
			Conclusion: cr.GetConclusion(),
			HeadSHA:    cr.GetHeadSHA(),
			StartedAt:  cr.GetStartedAt().Time,
			App:        cr.GetApp().GetSlug(),
		})
	}
	for _, st := range statuses {
		out = append(out, statusCheck(st, head))
	}
	return out
}
