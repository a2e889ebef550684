package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/github/deployments"
	"github.com/shipgate/shipgate/bot/github/mergequeue"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Job kinds of the adapter.
const (
	// KindPolicyChanged is a push that changed the policy file of a base
	// branch: it queues a gate job for each open PR into the branch.
	// Key: KeyBranch.
	KindPolicyChanged = "github.policy_changed"
)

// KeyBranch is the ordering key of a branch's policy changes,
// "github:OWNER/REPO@BRANCH".
func KeyBranch(repo, branch string) string { return "github:" + repo + "@" + branch }

// Event is the payload of the adapter's own jobs (KindPolicyChanged,
// KindHeadChanged, KindTeamChanged): plain fields, never a go-github
// struct. A pull request's jobs hold a gate.Event.
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
	// Branch is the base branch whose policy changed (KindPolicyChanged),
	// or the branch pushed to (KindBaseChanged).
	Branch string `json:"branch,omitempty"`
	// DefaultBranch is the repository's default branch; Paths the YAML
	// files the push changed, absent when unknown (KindBaseChanged).
	DefaultBranch string   `json:"default_branch,omitempty"`
	Paths         []string `json:"paths,omitempty"`
	PathsUnknown  bool     `json:"paths_unknown,omitempty"`
	// Sender is who caused the event.
	Sender string `json:"sender,omitempty"`
	// At is when the event happened as far as the payload says
	// (synchronize: the PR's updated_at, the time of the push).
	At time.Time `json:"at,omitempty"`
}

// Events are the webhook events the adapter reads; others are answered
// 202. The GitHub App manifest (deploy/github-app-manifest.json)
// subscribes to exactly these, and a test holds the two in step.
func Events() []string {
	return []string{"pull_request", "pull_request_review", "issue_comment", "check_run", "check_suite", "push", "create",
		"workflow_run", "deployment_protection_rule", "status", "membership", "team", "merge_group"}
}

// usedEvent reports whether the adapter reads an event.
func usedEvent(event string) bool {
	return slices.Contains(Events(), event)
}

// prAction and reviewAction report the actions that can change a verdict;
// closed only records that the PR is closed (no evaluation).
func prAction(action string) bool {
	switch action {
	case "opened", "reopened", "synchronize", "edited", "labeled", "unlabeled", "ready_for_review", "converted_to_draft", "closed":
		return true
	}
	return false
}

func reviewAction(action string) bool {
	return action == "submitted" || action == "edited" || action == "dismissed"
}

// translate turns a verified delivery into its jobs. ignored says why a
// delivery queues nothing; err is for a payload that cannot be read.
func (s *Server) translate(event, deliveryID string, payload []byte) (jobs []store.Job, ignored string, err error) {
	if !usedEvent(event) {
		return nil, "event " + event + " is not used", nil
	}
	var p hookPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, "", fmt.Errorf("reading the %s payload: %w", event, err)
	}
	if p.Repository == nil || p.Repository.FullName == "" {
		return nil, "", fmt.Errorf("reading the %s payload: no repository", event)
	}
	base := Event{
		Event: event, Action: p.Action, DeliveryID: deliveryID, Repo: p.Repository.FullName,
		Sender: p.Sender.login(),
	}
	if p.Installation != nil {
		base.Installation = p.Installation.ID
	}
	change := gate.Event{Kind: eventKind(event), Action: p.Action, DeliveryID: deliveryID, Host: policies.GitHub,
		Scope: base.Installation, Repo: base.Repo, Sender: base.Sender}
	switch event {
	case "pull_request", "pull_request_review", "issue_comment", "check_run", "check_suite":
		return changeJobs(event, &p, change)
	case "create":
		return tagJobs(event, deliveryID, payload)
	case "merge_group":
		return mergequeue.Jobs(base.Action, base.DeliveryID, base.Installation, base.Repo, base.Sender, payload)
	case "workflow_run", "deployment_protection_rule":
		// Deployment steps follow their workflow runs; protection rules
		// wait for Shipgate's answer.
		if j, ok := deployments.DeployHookJob(event, p.Action, deliveryID, payload); ok {
			return []store.Job{j}, "", nil
		}
		return nil, "action " + p.Action + " of " + event + " is not followed", nil
	case "status":
		return statusJobs(base, p.SHA, p.Context)
	case "membership", "team":
		return teamJobs(base, p.Organization.login())
	case "push":
		return pushJobs(&p, base, payload)
	}
	return nil, "event " + event + " is not used", nil
}

// changeJobs translates the events of one pull request into its gate job.
func changeJobs(event string, p *hookPayload, e gate.Event) ([]store.Job, string, error) {
	noVerdict := func() ([]store.Job, string, error) {
		return nil, "action " + p.Action + " does not change a verdict", nil
	}
	switch event {
	case "pull_request":
		if !prAction(p.Action) || p.PullRequest == nil {
			return noVerdict()
		}
		e.Change = p.PullRequest.snapshot()
		e.Number, e.HeadSHA, e.At, e.Pushed = e.Change.Number, e.Change.HeadSHA, p.PullRequest.UpdatedAt.Time, p.Action == "synchronize"
	case "pull_request_review":
		if !reviewAction(p.Action) || p.PullRequest == nil || p.Review == nil {
			return noVerdict()
		}
		e.Change, e.Review = p.PullRequest.snapshot(), p.Review.review(p.Action)
		e.Number, e.HeadSHA, e.At = e.Change.Number, e.Change.HeadSHA, p.Review.SubmittedAt.Time
	case "issue_comment":
		return commentJobs(p, e)
	case "check_run":
		cr := p.CheckRun
		switch {
		case cr == nil:
			return nil, "", fmt.Errorf("reading the %s payload: no check run", event)
		case p.Action == "rerequested" || p.Action == "requested_action":
			if !review.IsVerdictCheck(cr.Name) {
				return nil, "check run " + cr.Name + " is not Shipgate's", nil
			}
		case p.Action == "completed":
			if review.IsVerdictCheck(cr.Name) {
				return nil, "Shipgate's own check run", nil
			}
		default:
			return noVerdict()
		}
		return checkJobs(e, cr.PullRequests)
	case "check_suite":
		if (p.Action != "rerequested" && p.Action != "completed") || p.CheckSuite == nil {
			return noVerdict()
		}
		return checkJobs(e, p.CheckSuite.PullRequests)
	}
	return []store.Job{gate.Job(e)}, "", nil
}

// commentJobs translates a comment on a pull request. Comments by bots are
// never commands, and their events change no verdict.
func commentJobs(p *hookPayload, e gate.Event) ([]store.Job, string, error) {
	switch {
	case p.Issue == nil || p.Comment == nil:
		return nil, "", errors.New("reading the issue_comment payload: no issue or comment")
	case len(p.Issue.PullRequest) == 0 || string(p.Issue.PullRequest) == "null":
		return nil, "comment on an issue, not a pull request", nil
	case p.Comment.User.bot():
		return nil, "comment by a bot", nil
	case p.Action != "created" && p.Action != "edited" && p.Action != "deleted":
		return nil, "action " + p.Action + " does not change a verdict", nil
	}
	e.Number, e.At = p.Issue.Number, p.Comment.UpdatedAt.Time
	e.Comment = &gate.Comment{
		ID: p.Comment.ID, Author: p.Comment.User.login(), Body: p.Comment.Body, CreatedAt: p.Comment.CreatedAt.Time,
		UpdatedAt: p.Comment.UpdatedAt.Time, Edited: p.Action == "edited", Deleted: p.Action == "deleted",
	}
	e.Issue = p.Issue.issue()
	return []store.Job{gate.Job(e)}, "", nil
}

// pushJobs translates a push: a tag's is checked; a branch's that may
// change the policy or CODEOWNERS queues its open pull requests.
func pushJobs(p *hookPayload, base Event, payload []byte) ([]store.Job, string, error) {
	branch, ok := strings.CutPrefix(p.Ref, "refs/heads/")
	switch {
	case !ok && strings.HasPrefix(p.Ref, "refs/tags/"):
		return tagJobs("push", base.DeliveryID, payload)
	case !ok:
		return nil, "push of " + p.Ref + ", not a branch", nil
	case p.Deleted:
		return nil, "branch deleted", nil
	}
	base.Branch = branch
	var jobs []store.Job
	if p.touchesGate() {
		jobs = append(jobs, store.Job{Kind: KindPolicyChanged, Key: KeyBranch(base.Repo, branch), Payload: mustJSON(base)})
	}
	if j, ok := p.baseJob(base); ok {
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		return nil, "push does not change " + github.PolicyFile + ", CODEOWNERS or a YAML file", nil
	}
	return jobs, "", nil
}

// checkJobs queues an evaluation for each PR of a check run or suite.
func checkJobs(base gate.Event, prs []hookPRRef) ([]store.Job, string, error) {
	if len(prs) == 0 {
		return nil, "no pull request of this repository is on the commit", nil
	}
	jobs := make([]store.Job, 0, len(prs))
	for _, pr := range prs {
		e := base
		e.Number, e.HeadSHA = pr.Number, pr.Head.SHA
		jobs = append(jobs, gate.Job(e))
	}
	return jobs, "", nil
}

// hookPayload is what the adapter reads of a webhook payload. It is
// decoded leniently (timestamps in any of GitHub's forms, unknown fields
// ignored): GitHub's payloads vary more than its REST answers.
type hookPayload struct {
	Action       string `json:"action"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository *struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
	Sender      *hookUser    `json:"sender"`
	PullRequest *hookPR      `json:"pull_request"`
	Review      *hookReview  `json:"review"`
	Issue       *hookIssue   `json:"issue"`
	Comment     *hookComment `json:"comment"`
	CheckRun    *struct {
		Name         string      `json:"name"`
		PullRequests []hookPRRef `json:"pull_requests"`
	} `json:"check_run"`
	CheckSuite *struct {
		PullRequests []hookPRRef `json:"pull_requests"`
	} `json:"check_suite"`
	// status
	SHA     string `json:"sha"`
	Context string `json:"context"`
	// membership, team
	Organization *hookUser `json:"organization"`
	// push
	Ref        string       `json:"ref"`
	Deleted    bool         `json:"deleted"`
	Forced     bool         `json:"forced"`
	Commits    []hookCommit `json:"commits"`
	HeadCommit *hookCommit  `json:"head_commit"`
}

type hookUser struct {
	Login string `json:"login"`
	Type  string `json:"type"`
}

func (u *hookUser) login() string {
	if u == nil {
		return ""
	}
	return u.Login
}

func (u *hookUser) bot() bool { return u != nil && github.BotAccount(u.Login, u.Type) }

func (u *hookUser) actor() policies.Actor {
	if u == nil {
		return policies.Actor{}
	}
	return policies.Actor{Login: u.Login, Bot: u.bot()}
}

type hookLabel struct {
	Name string `json:"name"`
}

func labelNames(ls []hookLabel) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

type hookBranch struct {
	Ref  string `json:"ref"`
	SHA  string `json:"sha"`
	Repo *struct {
		Name  string    `json:"name"`
		Owner *hookUser `json:"owner"`
	} `json:"repo"`
}

func (b *hookBranch) ref() string {
	if b == nil {
		return ""
	}
	return b.Ref
}

func (b *hookBranch) sha() string {
	if b == nil {
		return ""
	}
	return b.SHA
}

// hookPR is a pull request in a payload, with what a Change is built from.
type hookPR struct {
	Number int `json:"number"`
	// ChangedFiles and Commits are GitHub's counts, against which the
	// listed files and commits (capped at 3000 and 250) are checked.
	ChangedFiles int         `json:"changed_files"`
	Commits      int         `json:"commits"`
	Title        string      `json:"title"`
	Body         string      `json:"body"`
	State        string      `json:"state"`
	Draft        bool        `json:"draft"`
	Merged       bool        `json:"merged"`
	User         *hookUser   `json:"user"`
	Labels       []hookLabel `json:"labels"`
	Base         *hookBranch `json:"base"`
	Head         *hookBranch `json:"head"`
	HTMLURL      string      `json:"html_url"`
	CreatedAt    hookTime    `json:"created_at"`
	UpdatedAt    hookTime    `json:"updated_at"`
}

func (p *hookPR) snapshot() *gate.Snapshot {
	state := gate.Open
	switch {
	case p.Merged:
		state = gate.Merged
	case p.State == "closed":
		state = gate.Closed
	}
	return &gate.Snapshot{
		Number: p.Number, Title: p.Title, Body: p.Body, Author: p.User.actor(),
		Base: p.Base.ref(), Head: p.Head.ref(), BaseSHA: p.Base.sha(), HeadSHA: p.Head.sha(),
		State: state, Draft: p.Draft, Labels: labelNames(p.Labels), ChangedFiles: p.ChangedFiles, Commits: p.Commits,
		URL: p.HTMLURL, CreatedAt: p.CreatedAt.Time, UpdatedAt: p.UpdatedAt.Time,
	}
}

// hookPRRef is a PR as check runs and suites list it.
type hookPRRef struct {
	Number int `json:"number"`
	Head   struct {
		SHA string `json:"sha"`
	} `json:"head"`
}

type hookReview struct {
	ID          int64     `json:"id"`
	User        *hookUser `json:"user"`
	State       string    `json:"state"`
	CommitID    string    `json:"commit_id"`
	SubmittedAt hookTime  `json:"submitted_at"`
}

func (r *hookReview) review(action string) *gate.Review {
	return &gate.Review{ID: r.ID, Author: r.User.actor(), State: github.ReviewState(r.State, action), CommitSHA: r.CommitID, SubmittedAt: r.SubmittedAt.Time}
}

type hookIssue struct {
	Number int         `json:"number"`
	Title  string      `json:"title"`
	Body   string      `json:"body"`
	State  string      `json:"state"`
	Labels []hookLabel `json:"labels"`
	// PullRequest is present when the issue is a pull request.
	PullRequest json.RawMessage `json:"pull_request"`
}

func (i *hookIssue) issue() *gate.Issue {
	return &gate.Issue{Title: i.Title, Body: i.Body, State: i.State, Labels: labelNames(i.Labels)}
}

type hookComment struct {
	ID        int64     `json:"id"`
	User      *hookUser `json:"user"`
	Body      string    `json:"body"`
	CreatedAt hookTime  `json:"created_at"`
	UpdatedAt hookTime  `json:"updated_at"`
}

type hookCommit struct {
	Added    []string `json:"added"`
	Removed  []string `json:"removed"`
	Modified []string `json:"modified"`
}

// gateFiles are the files of a base branch whose change can change the
// verdict of the PRs into it: the policy, and CODEOWNERS where GitHub
// looks for it.
var gateFiles = []string{github.PolicyFile, ".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// touchesGate reports whether a push may change a gate file. A push of
// more commits than the payload lists (GitHub lists 20), or a forced one,
// is assumed to.
func (p *hookPayload) touchesGate() bool {
	if len(p.Commits) >= 20 || p.Forced {
		return true
	}
	commits := p.Commits
	if p.HeadCommit != nil {
		commits = append(slices.Clip(commits), *p.HeadCommit)
	}
	for _, c := range commits {
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, f := range gateFiles {
				if slices.Contains(list, f) {
					return true
				}
			}
		}
	}
	return false
}

// hookTime reads the timestamps of payloads: RFC 3339, "2006-01-02
// 15:04:05" (some App objects), or Unix seconds (push payloads); anything
// else, and null, read as the zero time.
type hookTime struct{ time.Time }

func (t *hookTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		t.Time = time.Unix(secs, 0).UTC()
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v
			return nil
		}
	}
	t.Time = time.Time{}
	return nil
}

// mustJSON encodes a value that always encodes (plain structs).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err))
	}
	return b
}
