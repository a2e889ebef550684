package fakegithub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
)

// WebhookOption changes how [SignedWebhook] delivers.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	sha256, sha1 bool
	client       *http.Client
	ctx          context.Context
}

// WithSHA1Signature also sends the legacy SHA-1 X-Hub-Signature header,
// as GitHub does beside X-Hub-Signature-256.
func WithSHA1Signature() WebhookOption {
	return func(c *webhookConfig) { c.sha1 = true }
}

// WithOnlySHA1Signature sends X-Hub-Signature (SHA-1) and no
// X-Hub-Signature-256: a delivery Shipgate must refuse.
func WithOnlySHA1Signature() WebhookOption {
	return func(c *webhookConfig) { c.sha1, c.sha256 = true, false }
}

// WithWebhookClient delivers with client instead of http.DefaultClient.
func WithWebhookClient(client *http.Client) WebhookOption {
	return func(c *webhookConfig) { c.client = client }
}

// WithWebhookContext delivers under ctx.
func WithWebhookContext(ctx context.Context) WebhookOption {
	return func(c *webhookConfig) { c.ctx = ctx }
}

// SignedWebhook posts payload to url as GitHub delivers a webhook: JSON
// with X-GitHub-Event, X-GitHub-Delivery and X-Hub-Signature-256 (the
// HMAC-SHA256 of the body with secret; no signature when secret is
// empty). The caller closes the response body.
func SignedWebhook(url, event, deliveryID string, payload []byte, secret string, opts ...WebhookOption) (*http.Response, error) {
	cfg := webhookConfig{sha256: true, client: http.DefaultClient, ctx: context.Background()}
	for _, o := range opts {
		o(&cfg)
	}
	req, err := http.NewRequestWithContext(cfg.ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("delivering %s %s: %w", event, deliveryID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/fakegithub")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", deliveryID)
	req.Header.Set("X-GitHub-Hook-ID", "1")
	if secret != "" {
		if cfg.sha256 {
			req.Header.Set("X-Hub-Signature-256", "sha256="+sign(sha256.New, secret, payload))
		}
		if cfg.sha1 {
			req.Header.Set("X-Hub-Signature", "sha1="+sign(sha1.New, secret, payload))
		}
	}
	resp, err := cfg.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("delivering %s %s: %w", event, deliveryID, err)
	}
	return resp, nil
}

func sign(h func() hash.Hash, secret string, payload []byte) string {
	mac := hmac.New(h, []byte(secret))
	mac.Write(payload)
	return hex.EncodeToString(mac.Sum(nil))
}

// Payload marshals an event built by the fake (or any value) to JSON,
// failing the test when it cannot.
func (s *Server) Payload(event any) []byte {
	s.t.Helper()
	b, err := json.Marshal(event)
	if err != nil {
		s.t.Fatalf("fakegithub: marshalling %T: %v", event, err)
	}
	return b
}

// render gives the builders the handlers' rendering.
func (s *Server) render() *call { return &call{s: s} }

// installation is the payload's installation, present when the fake has
// an App, as in App webhooks.
func (c *call) payloadInstallation(r *repoState) *github.Installation {
	if c.s.app == nil {
		return nil
	}
	return &github.Installation{ID: ptr(r.InstallationID), NodeID: ptr(fmt.Sprintf("IN_%d", r.InstallationID))}
}

// PullRequestEvent builds a pull_request webhook payload from the fake's
// state: action ("opened", "synchronize", "labeled", …) by sender. Tests
// may adjust it (Label, Before, After) before [Server.Payload].
func (s *Server) PullRequestEvent(repo string, number int, action, sender string) *github.PullRequestEvent {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pr(repo, number)
	r := s.repo(repo)
	c := s.render()
	return &github.PullRequestEvent{
		Action:       ptr(action),
		Number:       ptr(number),
		PullRequest:  c.pull(r, is),
		Repo:         c.repository(r),
		Sender:       c.user(sender),
		Installation: c.payloadInstallation(r),
	}
}

// IssueCommentEvent builds an issue_comment webhook payload for a comment
// added with [Server.AddComment] (or through the API); the sender is its
// author.
func (s *Server) IssueCommentEvent(repo string, commentID int64, action string) *github.IssueCommentEvent {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	c := s.render()
	for _, cs := range r.comments {
		if cs.ID == commentID {
			return &github.IssueCommentEvent{
				Action:       ptr(action),
				Issue:        c.issueObject(r, r.issues[cs.number]),
				Comment:      c.comment(r, cs),
				Repo:         c.repository(r),
				Sender:       c.user(cs.Author),
				Installation: c.payloadInstallation(r),
			}
		}
	}
	s.t.Fatalf("fakegithub: IssueCommentEvent: %s has no comment %d", repo, commentID)
	return nil
}

// PullRequestReviewEvent builds a pull_request_review webhook payload
// ("submitted", "dismissed", …) for a review added with
// [Server.AddReview]; the sender is the reviewer.
func (s *Server) PullRequestReviewEvent(repo string, number int, reviewID int64, action string) *github.PullRequestReviewEvent {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pr(repo, number)
	r := s.repo(repo)
	c := s.render()
	for _, rv := range is.reviews {
		if rv.ID == reviewID {
			return &github.PullRequestReviewEvent{
				Action:       ptr(action),
				Review:       c.review(r, is, rv),
				PullRequest:  c.pull(r, is),
				Repo:         c.repository(r),
				Sender:       c.user(rv.Author),
				Installation: c.payloadInstallation(r),
			}
		}
	}
	s.t.Fatalf("fakegithub: PullRequestReviewEvent: %s#%d has no review %d", repo, number, reviewID)
	return nil
}

// zeroSHA is what GitHub sends as "before" of a created ref and "after"
// of a deleted one.
const zeroSHA = "0000000000000000000000000000000000000000"

// PushEvent builds a push webhook payload for ref ("refs/tags/v1.2.0",
// "refs/heads/main") moving from before to after (zeroSHA or "" for a new
// ref). Commits are those of the fake's history reachable from after and
// not from before (for a new ref: not from any other branch), oldest
// first.
func (s *Server) PushEvent(repo, ref, before, after, sender string) *github.PushEvent {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	c := s.render()
	if before == "" {
		before = zeroSHA
	}
	var commits []*github.HeadCommit
	if after != zeroSHA {
		old := r.ancestors(before)
		if before == zeroSHA { // a new ref lists what no branch had
			for name, sha := range r.refs {
				if strings.HasPrefix(name, "refs/heads/") && name != ref {
					for a := range r.ancestors(sha) {
						old[a] = true
					}
				}
			}
		}
		for _, sha := range r.topological(after, func(sha string) bool { return !old[sha] }) {
			commits = append(commits, c.headCommit(r, sha))
		}
	}
	repository := c.repository(r)
	ev := &github.PushEvent{
		Ref:     ptr(ref),
		Before:  ptr(before),
		After:   ptr(after),
		Created: ptr(before == zeroSHA),
		Deleted: ptr(after == zeroSHA),
		Forced:  ptr(false),
		Commits: commits,
		Compare: ptr(fmt.Sprintf("%s/%s/compare/%s...%s", s.srv.URL, r.FullName, before[:12], after)),
		Repo: &github.PushEventRepository{
			ID: repository.ID, NodeID: repository.NodeID, Name: repository.Name, FullName: repository.FullName,
			Owner: repository.Owner, Private: repository.Private, DefaultBranch: repository.DefaultBranch,
			MasterBranch: repository.DefaultBranch, URL: repository.HTMLURL, HTMLURL: repository.HTMLURL,
			CloneURL: repository.CloneURL,
		},
		Pusher:       &github.CommitAuthor{Name: ptr(sender), Email: ptr(sender + "@users.noreply.github.com")},
		Sender:       c.user(sender),
		Installation: c.payloadInstallation(r),
	}
	if after != zeroSHA {
		ev.HeadCommit = c.headCommit(r, after)
	}
	if strings.HasPrefix(ref, "refs/tags/") && r.refs["refs/heads/"+r.DefaultBranch] == after {
		ev.BaseRef = ptr("refs/heads/" + r.DefaultBranch)
	}
	return ev
}

func (c *call) headCommit(r *repoState, sha string) *github.HeadCommit {
	cm := r.commits[sha]
	if cm == nil {
		cm = &Commit{SHA: sha}
	}
	author := &github.CommitAuthor{Name: optional(cm.AuthorName), Email: optional(cm.AuthorEmail), Login: optional(cm.Author)}
	return &github.HeadCommit{
		ID: ptr(sha), TreeID: ptr(madeUpSHA("tree", sha)), Distinct: ptr(true), Message: ptr(cm.Message),
		Timestamp: stamp(cm.Date), Author: author, Committer: author,
		URL: ptr(fmt.Sprintf("%s/%s/commit/%s", c.s.srv.URL, r.FullName, sha)),
	}
}

// CreateEvent builds a create webhook payload: refType "tag" or
// "branch", ref its short name ("v1.2.0").
func (s *Server) CreateEvent(repo, refType, ref, sender string) *github.CreateEvent {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	c := s.render()
	return &github.CreateEvent{
		Ref:          ptr(ref),
		RefType:      ptr(refType),
		MasterBranch: ptr(r.DefaultBranch),
		PusherType:   ptr("user"),
		Repo:         c.repository(r),
		Sender:       c.user(sender),
		Installation: c.payloadInstallation(r),
	}
}

// DeploymentProtectionRuleEvent builds a deployment_protection_rule
// webhook payload ("requested") for a workflow run waiting on
// environment; its deployment_callback_url points at the fake. The
// newest deployment of the environment, if any, is included.
func (s *Server) DeploymentProtectionRuleEvent(repo string, runID int64, environment, sender string) *github.DeploymentProtectionRuleEvent {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	c := s.render()
	event := "workflow_dispatch"
	for _, run := range r.runs {
		if run.ID == runID {
			event = run.Event
		}
	}
	ev := &github.DeploymentProtectionRuleEvent{
		Action:                ptr("requested"),
		Environment:           ptr(environment),
		Event:                 ptr(event),
		DeploymentCallbackURL: ptr(c.apiURL("repos/%s/actions/runs/%d/deployment_protection_rule", r.FullName, runID)),
		Repo:                  c.repository(r),
		Sender:                c.user(sender),
		Installation:          c.payloadInstallation(r),
	}
	for i := len(r.deployments) - 1; i >= 0; i-- {
		if d := r.deployments[i]; d.Environment == environment {
			ev.Deployment = c.deployment(r, d)
			break
		}
	}
	return ev
}
