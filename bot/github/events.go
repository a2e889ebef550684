package github

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/store"
)

// Job kinds of the adapter.
const (
	// KindPR is work on one pull request: its comment commands, then one
	// evaluation of its latest state. Key: KeyPR.
	KindPR = "github.pr"
	// KindPolicyChanged is a push that changed the policy file of a base
	// branch: it queues a KindPR job for each open PR into the branch.
	// Key: KeyBranch.
	KindPolicyChanged = "github.policy_changed"
)

// PolicyFile is the policy's path in a repository, read from the base
// branch of each PR.
const PolicyFile = ".shipgate.yml"

// KeyPR is the ordering key of a PR's jobs, "github:OWNER/REPO#N", so that
// the events of one PR are handled in order and never concurrently.
func KeyPR(repo string, number int) string { return fmt.Sprintf("github:%s#%d", repo, number) }

// KeyBranch is the ordering key of a branch's policy changes,
// "github:OWNER/REPO@BRANCH".
func KeyBranch(repo, branch string) string { return "github:" + repo + "@" + branch }

// Event is a webhook delivery translated, once, into what a job needs: the
// payload of KindPR and KindPolicyChanged jobs. After the Receiver nothing
// reads webhook payloads.
type Event struct {
	// Event and Action are GitHub's (X-GitHub-Event, "action"); the
	// adapter's own jobs use Event "policy_changed" and "reconcile".
	Event  string `json:"event"`
	Action string `json:"action,omitempty"`
	// DeliveryID is the X-GitHub-Delivery that caused the job.
	DeliveryID string `json:"delivery_id,omitempty"`
	// Installation is the App installation (0 with token auth, or when
	// unknown).
	Installation int64 `json:"installation,omitempty"`
	// Repo is "owner/name"; Number the PR (0 for a branch's job).
	Repo   string `json:"repo"`
	Number int    `json:"number,omitempty"`
	// HeadSHA is the PR's head commit when the payload tells it.
	HeadSHA string `json:"head_sha,omitempty"`
	// Branch is the base branch whose policy changed (KindPolicyChanged).
	Branch string `json:"branch,omitempty"`
	// Sender is who caused the event.
	Sender string `json:"sender,omitempty"`
	// At is when the event happened as far as the payload says
	// (synchronize: the PR's updated_at, the time of the push).
	At time.Time `json:"at,omitempty"`
	// PR is the pull request as the payload holds it (pull_request and
	// pull_request_review events), reduced to what a Change is built
	// from; nil when the PR must be fetched.
	PR *gh.PullRequest `json:"pull_request,omitempty"`
	// Comment is the comment of an issue_comment event.
	Comment *Comment `json:"comment,omitempty"`
	// Review is the review of a pull_request_review event.
	Review *gh.PullRequestReview `json:"review,omitempty"`
	// Issue is the PR as an issue_comment event holds it: title, body,
	// labels and state, without its branches.
	Issue *gh.Issue `json:"issue,omitempty"`
}

// Comment is a PR comment that may hold commands.
type Comment struct {
	ID     int64  `json:"id"`
	Author string `json:"author"`
	// Bot is true for comments by Apps and bot accounts: never commands.
	Bot       bool      `json:"bot,omitempty"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	// Edited and Deleted are set for issue_comment edited and deleted:
	// neither runs a command, they only lead to a new evaluation.
	Edited  bool `json:"edited,omitempty"`
	Deleted bool `json:"deleted,omitempty"`
}

// issueComment is the comment as the API lists it, for the Change.
func (c *Comment) issueComment() *gh.IssueComment {
	kind := "User"
	if c.Bot {
		kind = "Bot"
	}
	return &gh.IssueComment{
		ID: gh.Int64(c.ID), Body: gh.String(c.Body), User: &gh.User{Login: gh.String(c.Author), Type: gh.String(kind)},
		CreatedAt: &gh.Timestamp{Time: c.CreatedAt},
	}
}

// usedEvents are the events the adapter reads; others are answered 202.
var usedEvents = map[string]bool{
	"pull_request": true, "pull_request_review": true, "issue_comment": true,
	"check_run": true, "check_suite": true, "push": true,
}

// prActions and reviewActions are the actions that can change a verdict.
// closed only records that the PR is closed (no evaluation).
var (
	prActions = map[string]bool{
		"opened": true, "reopened": true, "synchronize": true, "edited": true, "labeled": true,
		"unlabeled": true, "ready_for_review": true, "converted_to_draft": true, "closed": true,
	}
	reviewActions = map[string]bool{"submitted": true, "edited": true, "dismissed": true}
)

// translate turns a verified delivery into its jobs. ignored says why a
// delivery queues nothing; err is for a payload that cannot be read.
func (a *App) translate(event, deliveryID string, payload []byte) (jobs []store.Job, ignored string, err error) {
	if !usedEvents[event] {
		return nil, "event " + event + " is not used", nil
	}
	parsed, err := gh.ParseWebHook(event, payload)
	if err != nil {
		return nil, "", fmt.Errorf("reading the %s payload: %w", event, err)
	}
	prJob := func(e Event) store.Job {
		e.Event, e.DeliveryID = event, deliveryID
		return store.Job{Kind: KindPR, Key: KeyPR(e.Repo, e.Number), Payload: mustJSON(e)}
	}
	switch p := parsed.(type) {
	case *gh.PullRequestEvent:
		if !prActions[p.GetAction()] {
			return nil, "action " + p.GetAction() + " does not change a verdict", nil
		}
		pr := slimPR(p.GetPullRequest())
		at := p.GetPullRequest().GetUpdatedAt().Time
		return []store.Job{prJob(Event{
			Action: p.GetAction(), Installation: p.GetInstallation().GetID(), Repo: p.GetRepo().GetFullName(),
			Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA(), Sender: p.GetSender().GetLogin(), At: at, PR: pr,
		})}, "", nil
	case *gh.PullRequestReviewEvent:
		if !reviewActions[p.GetAction()] {
			return nil, "action " + p.GetAction() + " does not change a verdict", nil
		}
		pr, rv := slimPR(p.GetPullRequest()), p.GetReview()
		review := &gh.PullRequestReview{ID: rv.ID, State: rv.State, CommitID: rv.CommitID, SubmittedAt: rv.SubmittedAt}
		if u := rv.User; u != nil {
			review.User = &gh.User{Login: u.Login, Type: u.Type}
		}
		return []store.Job{prJob(Event{
			Action: p.GetAction(), Installation: p.GetInstallation().GetID(), Repo: p.GetRepo().GetFullName(),
			Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA(), Sender: p.GetSender().GetLogin(),
			At: rv.GetSubmittedAt().Time, PR: pr, Review: review,
		})}, "", nil
	case *gh.IssueCommentEvent:
		if issue := p.GetIssue(); issue == nil || !issue.IsPullRequest() {
			return nil, "comment on an issue, not a pull request", nil
		}
		c := p.GetComment()
		author := c.GetUser()
		if isBot(author) {
			return nil, "comment by a bot", nil
		}
		switch p.GetAction() {
		case "created", "edited", "deleted":
		default:
			return nil, "action " + p.GetAction() + " does not change a verdict", nil
		}
		issue := p.GetIssue()
		e := Event{
			Action: p.GetAction(), Installation: p.GetInstallation().GetID(), Repo: p.GetRepo().GetFullName(),
			Number: issue.GetNumber(), Sender: p.GetSender().GetLogin(), At: c.GetUpdatedAt().Time,
			Comment: &Comment{
				ID: c.GetID(), Author: author.GetLogin(), Body: c.GetBody(), CreatedAt: c.GetCreatedAt().Time,
				Edited: p.GetAction() == "edited", Deleted: p.GetAction() == "deleted",
			},
			Issue: &gh.Issue{Number: issue.Number, Title: issue.Title, Body: issue.Body, State: issue.State},
		}
		for _, l := range issue.Labels {
			e.Issue.Labels = append(e.Issue.Labels, &gh.Label{Name: l.Name})
		}
		return []store.Job{prJob(e)}, "", nil
	case *gh.CheckRunEvent:
		cr := p.GetCheckRun()
		switch {
		case p.GetAction() == "rerequested" || p.GetAction() == "requested_action":
			if cr.GetName() != CheckName {
				return nil, "check run " + cr.GetName() + " is not Shipgate's", nil
			}
		case p.GetAction() == "completed":
			if cr.GetName() == CheckName {
				return nil, "Shipgate's own check run", nil
			}
		default:
			return nil, "action " + p.GetAction() + " does not change a verdict", nil
		}
		return checkJobs(prJob, p.GetAction(), p.GetInstallation().GetID(), p.GetRepo().GetFullName(), p.GetSender().GetLogin(), cr.PullRequests)
	case *gh.CheckSuiteEvent:
		if p.GetAction() != "rerequested" {
			return nil, "action " + p.GetAction() + " does not change a verdict", nil
		}
		return checkJobs(prJob, p.GetAction(), p.GetInstallation().GetID(), p.GetRepo().GetFullName(), p.GetSender().GetLogin(), p.GetCheckSuite().PullRequests)
	case *gh.PushEvent:
		branch, ok := strings.CutPrefix(p.GetRef(), "refs/heads/")
		switch {
		case !ok:
			return nil, "push of " + p.GetRef() + ", not a branch", nil
		case p.GetDeleted():
			return nil, "branch deleted", nil
		case !touchesPolicy(p):
			return nil, "push does not change " + PolicyFile, nil
		}
		repo := p.GetRepo().GetFullName()
		e := Event{
			Event: event, DeliveryID: deliveryID, Installation: p.GetInstallation().GetID(), Repo: repo,
			Branch: branch, Sender: p.GetSender().GetLogin(),
		}
		return []store.Job{{Kind: KindPolicyChanged, Key: KeyBranch(repo, branch), Payload: mustJSON(e)}}, "", nil
	}
	return nil, "event " + event + " is not used", nil
}

// checkJobs queues an evaluation for each PR of a check run or suite.
func checkJobs(prJob func(Event) store.Job, action string, installation int64, repo, sender string, prs []*gh.PullRequest) ([]store.Job, string, error) {
	if len(prs) == 0 {
		return nil, "no pull request of this repository is on the commit", nil
	}
	jobs := make([]store.Job, 0, len(prs))
	for _, pr := range prs {
		jobs = append(jobs, prJob(Event{
			Action: action, Installation: installation, Repo: repo, Number: pr.GetNumber(),
			HeadSHA: pr.GetHead().GetSHA(), Sender: sender,
		}))
	}
	return jobs, "", nil
}

// touchesPolicy reports whether a push may change the policy file. A push
// of more commits than the payload lists (GitHub lists 20) is assumed to.
func touchesPolicy(p *gh.PushEvent) bool {
	if len(p.Commits) >= 20 || p.GetForced() {
		return true
	}
	changes := func(c *gh.HeadCommit) bool {
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, f := range list {
				if f == PolicyFile {
					return true
				}
			}
		}
		return false
	}
	if p.HeadCommit != nil && changes(p.HeadCommit) {
		return true
	}
	for _, c := range p.Commits {
		if changes(c) {
			return true
		}
	}
	return false
}

// slimPR keeps what BuildChange and the adapter read of a PR, so that a job
// payload stays small.
func slimPR(pr *gh.PullRequest) *gh.PullRequest {
	if pr == nil {
		return nil
	}
	ref := func(b *gh.PullRequestBranch) *gh.PullRequestBranch {
		if b == nil {
			return nil
		}
		out := &gh.PullRequestBranch{Ref: b.Ref, SHA: b.SHA}
		if r := b.Repo; r != nil {
			out.Repo = &gh.Repository{Name: r.Name, FullName: r.FullName}
			if r.Owner != nil {
				out.Repo.Owner = &gh.User{Login: r.Owner.Login}
			}
		}
		return out
	}
	out := &gh.PullRequest{
		Number: pr.Number, Title: pr.Title, Body: pr.Body, State: pr.State, Draft: pr.Draft, Merged: pr.Merged,
		CreatedAt: pr.CreatedAt, UpdatedAt: pr.UpdatedAt, Base: ref(pr.Base), Head: ref(pr.Head),
	}
	if u := pr.User; u != nil {
		out.User = &gh.User{Login: u.Login, Type: u.Type}
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, &gh.Label{Name: l.Name})
	}
	return out
}

// isBot reports whether a user is an App or a bot account.
func isBot(u *gh.User) bool {
	return u.GetType() == "Bot" || strings.HasSuffix(u.GetLogin(), "[bot]")
}

// mustJSON encodes a value that always encodes (plain structs).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err))
	}
	return b
}
