package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/github/mergequeue"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fixtures"
)

// openedPayload is a pull_request.opened delivery of PR 1.
func (h *harness) openedPayload() []byte {
	h.t.Helper()
	h.addPR(fakegithub.PR{Number: 1, Title: "Add gift cards", Author: "dave"})
	return h.fake.Payload(h.fake.PullRequestEvent(testRepo, 1, "opened", "dave"))
}

func sha1Signature(secret string, body []byte) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

func TestReceiverRefusesWhatItCannotTrust(t *testing.T) {
	h := newHarness(t)
	body := h.openedPayload()
	tests := []struct {
		name     string
		headers  map[string]string
		body     []byte
		wantCode int
		wantLog  string
	}{
		{"a missing signature is refused", map[string]string{}, body, 401, "missing_signature"},
		{"a forged signature is refused", map[string]string{"X-Hub-Signature-256": sign("guessed", body)}, body, 401, "wrong_signature"},
		{"a signature of another body is refused", map[string]string{"X-Hub-Signature-256": sign(testSecret, []byte("{}"))}, body, 401, "wrong_signature"},
		{"a SHA-1 signature alone is refused, even a correct one", map[string]string{"X-Hub-Signature": sha1Signature(testSecret, body)}, body, 401, "sha1_signature_only"},
		{"a malformed signature is refused", map[string]string{"X-Hub-Signature-256": "sha256=zz"}, body, 401, "wrong_signature"},
		{"a SHA-1 value in the SHA-256 header is refused", map[string]string{"X-Hub-Signature-256": strings.Replace(sha1Signature(testSecret, body), "sha1=", "sha256=", 1)}, body, 401, "wrong_signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.acceptor.calls.Load()
			rec := h.post("pull_request", "delivery-x", tt.body, tt.headers)
			if rec.Code != tt.wantCode {
				t.Fatalf("answered %d %q, want %d", rec.Code, rec.Body, tt.wantCode)
			}
			if got := rec.Body.String(); got != "signature verification failed\n" {
				t.Errorf("body %q, want the fixed one", got)
			}
			if h.acceptor.calls.Load() != before {
				t.Error("a refused delivery reached the store")
			}
			if !strings.Contains(h.logs.String(), tt.wantLog) {
				t.Errorf("the log does not name the reason %s", tt.wantLog)
			}
			if strings.Contains(h.logs.String(), testSecret) {
				t.Error("the secret reached the log")
			}
		})
	}
	if batches, _ := h.store.Claim(context.Background(), "test", 0, 10); len(batches) != 0 {
		t.Errorf("refused deliveries queued %d batches", len(batches))
	}
}

func TestReceiverWithoutSecretRefusesEverything(t *testing.T) {
	h := newHarness(t, harnessOption{srv: func(c *Config) { c.WebhookSecret = "" }})
	body := h.openedPayload()
	rec := h.post("pull_request", "d1", body, map[string]string{"X-Hub-Signature-256": sign("", body)})
	if rec.Code != http.StatusUnauthorized || h.acceptor.calls.Load() != 0 {
		t.Fatalf("answered %d and stored %d, want 401 and nothing", rec.Code, h.acceptor.calls.Load())
	}
}

func TestReceiverRefusesOversizedBodies(t *testing.T) {
	h := newHarness(t)
	body := bytes.Repeat([]byte(" "), MaxBodyBytes+1)
	rec := h.post("pull_request", "big", body, map[string]string{"X-Hub-Signature-256": sign(testSecret, body)})
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("answered %d, want 413", rec.Code)
	}
	if h.acceptor.calls.Load() != 0 {
		t.Error("an oversized delivery reached the store")
	}
}

func TestReceiverAnswers(t *testing.T) {
	h := newHarness(t)
	opened := h.openedPayload()
	id := h.fake.AddComment(testRepo, 1, fakegithub.Comment{Author: "renovate[bot]", Body: "/approve"})
	botComment := h.fake.Payload(h.fake.IssueCommentEvent(testRepo, id, "created"))
	h.fake.AddIssue(testRepo, fakegithub.Issue{Number: 7, Title: "bug", Author: "carol"})
	issueID := h.fake.AddComment(testRepo, 7, fakegithub.Comment{Author: "carol", Body: "/hold"})
	issueComment := h.fake.Payload(h.fake.IssueCommentEvent(testRepo, issueID, "created"))
	assigned := h.fake.Payload(h.fake.PullRequestEvent(testRepo, 1, "assigned", "dave"))
	form := []byte("payload=" + url.QueryEscape(string(opened)))
	tests := []struct {
		name, event, delivery string
		body                  []byte
		contentType           string
		wantCode              int
		wantBody              string
		wantJobs              int
	}{
		{"ping is answered", "ping", "p1", []byte(`{"zen":"Design for failure."}`), "", 200, "pong", 0},
		{"an unused event is accepted and ignored", "star", "s1", []byte(`{"action":"created"}`), "", 202, "ignored", 0},
		{"an action that changes no verdict is ignored", "pull_request", "a1", assigned, "", 202, "ignored", 0},
		{"a bot's comment is ignored", "issue_comment", "b1", botComment, "", 202, "ignored", 0},
		{"a comment on an issue is ignored", "issue_comment", "i1", issueComment, "", 202, "ignored", 0},
		{"a PR event is queued", "pull_request", "o1", opened, "", 202, "queued", 1},
		{"a repeated delivery is answered and not queued again", "pull_request", "o1", opened, "", 200, "duplicate", 0},
		{"a form-encoded delivery is read", "pull_request", "f1", form, "application/x-www-form-urlencoded", 202, "queued", 1},
		{"an unreadable payload is a bad request", "pull_request", "u1", []byte("{"), "", 400, "unreadable", 0},
		{"a delivery without ID is a bad request", "pull_request", "", opened, "", 400, "required", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{"X-Hub-Signature-256": sign(testSecret, tt.body)}
			if tt.contentType != "" {
				headers["Content-Type"] = tt.contentType
			}
			if tt.delivery == "" {
				headers["X-GitHub-Delivery"] = ""
			}
			before := countJobs(t, h)
			rec := h.post(tt.event, tt.delivery, tt.body, headers)
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("answered %d %q, want %d %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
			if got := countJobs(t, h) - before; got != tt.wantJobs {
				t.Errorf("queued %d jobs, want %d", got, tt.wantJobs)
			}
		})
	}
}

// countJobs counts the queued jobs (ready and leased).
func countJobs(t *testing.T, h *harness) int {
	t.Helper()
	st, err := h.store.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Ready + st.Leased
}

func TestTranslateKeysAndPayloads(t *testing.T) {
	h := newHarness(t)
	h.addPR(fakegithub.PR{Number: 4, Title: "feat: x", Body: "SHOP-1", Author: "dave", Labels: []string{"semver:minor"}})
	id := h.fake.AddComment(testRepo, 4, fakegithub.Comment{Author: "bob", Body: "/hold\n/semver patch"})
	rid := h.fake.AddReview(testRepo, 4, fakegithub.Review{Author: "alice", State: "APPROVED"})
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\n")
	main, _ := h.fake.Ref(testRepo, "heads/main")
	push := h.fake.PushEvent(testRepo, "refs/heads/main", "", main, "alice")
	push.Commits = []*gh.HeadCommit{{ID: gh.String(main), Modified: []string{github.PolicyFile}}}
	// job is what a job's payload says, in either of the adapter's formats
	// (gate.Event for a pull request, Event for its own jobs).
	type job struct {
		Kind, Event, Action, Repo, Branch, Sender, DeliveryID string
		Number                                                int
	}
	tests := []struct {
		name    string
		event   string
		payload any
		want    job
		wantKey string
	}{
		{"a synchronize holds the PR and when it happened", "pull_request", h.fake.PullRequestEvent(testRepo, 4, "synchronize", "dave"),
			job{Kind: gate.KindChange, Action: "synchronize", Repo: testRepo, Number: 4, Sender: "dave"}, "github:acme/shop#4"},
		{"a comment holds the comment and the issue", "issue_comment", h.fake.IssueCommentEvent(testRepo, id, "created"),
			job{Kind: gate.KindComment, Action: "created", Repo: testRepo, Number: 4, Sender: "bob"}, "github:acme/shop#4"},
		{"a review holds the review", "pull_request_review", h.fake.PullRequestReviewEvent(testRepo, 4, rid, "submitted"),
			job{Kind: gate.KindReview, Action: "submitted", Repo: testRepo, Number: 4, Sender: "alice"}, "github:acme/shop#4"},
		{"a push that changes the policy queues its branch", "push", push,
			job{Event: "push", Repo: testRepo, Branch: "main", Sender: "alice"}, "github:acme/shop@main"},
		// A tag push queues a KindTag job: TestTagWebhooks.
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, ignored, err := h.srv.translate(tt.event, "d-1", h.fake.Payload(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if tt.event == "push" {
				want = 2 // .shipgate.yml may be another repository's base too
				if len(jobs) == 2 && (jobs[1].Kind != KindBaseChanged || jobs[1].Key != tt.wantKey+":bases") {
					t.Errorf("second job %s %s, want %s %s:bases", jobs[1].Kind, jobs[1].Key, KindBaseChanged, tt.wantKey)
				}
			}
			if len(jobs) != want {
				t.Fatalf("%d jobs (ignored: %q), want %d", len(jobs), ignored, want)
			}
			j := jobs[0]
			if j.Key != tt.wantKey {
				t.Errorf("key %q, want %q", j.Key, tt.wantKey)
			}
			var got job
			if err := json.Unmarshal(j.Payload, &got); err != nil {
				t.Fatal(err)
			}
			got.DeliveryID, tt.want.DeliveryID = "", ""
			if got != tt.want {
				t.Errorf("job %+v, want %+v", got, tt.want)
			}
			if tt.event != "push" {
				checkChangeJob(t, tt.event, j.Payload)
			}
			if len(j.Payload) > 4096 {
				t.Errorf("the job payload is %d bytes: keep it small", len(j.Payload))
			}
		})
	}
}

// checkChangeJob checks that a pull request's job keeps what its event
// told: the PR, the comment with its issue, the review.
func checkChangeJob(t *testing.T, event string, payload []byte) {
	t.Helper()
	var e gate.Event
	if err := json.Unmarshal(payload, &e); err != nil {
		t.Fatal(err)
	}
	if e.V != gate.Version || e.DeliveryID != "d-1" {
		t.Errorf("format %d, delivery %q: want %d, d-1", e.V, e.DeliveryID, gate.Version)
	}
	switch event {
	case "pull_request":
		if e.Change == nil || e.Change.Body != "SHOP-1" || e.At.IsZero() || len(e.Change.Labels) != 1 || !e.Pushed {
			t.Errorf("the PR was not kept: %+v", e)
		}
	case "issue_comment":
		if e.Comment == nil || e.Comment.Body != "/hold\n/semver patch" || e.Issue == nil || e.Issue.Title != "feat: x" {
			t.Errorf("the comment was not kept: %+v", e.Comment)
		}
	case "pull_request_review":
		if e.Review == nil || e.Review.Author.Login != "alice" || e.Change == nil {
			t.Errorf("the review was not kept: %+v", e.Review)
		}
	}
}

// TestFixturesConformance delivers every recorded GitHub payload with a
// correct signature, and processes what they queue against the fake
// (which checks each request against GitHub's API description).
func TestFixturesConformance(t *testing.T) {
	files := fixtures.Glob(t, "github/webhooks/*.json")
	h := newHarness(t)
	queued := 0
	for _, file := range files {
		name := filepath.Base(file)
		event, _, _ := strings.Cut(name, ".")
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		seedFromPayload(t, h.fake, body)
		rec := h.post(event, "fixture-"+name, body, map[string]string{"X-Hub-Signature-256": sign(testSecret, body)})
		if rec.Code/100 != 2 {
			t.Errorf("%s: answered %d %q", name, rec.Code, rec.Body)
		}
		if strings.HasPrefix(rec.Body.String(), "queued") {
			queued++
		}
	}
	t.Logf("%d of %d fixtures queued work", queued, len(files))
	if queued == 0 {
		t.Error("no fixture queued work")
	}
	h.drain()
	if got := len(h.fake.Requests()); got == 0 {
		t.Error("processing the fixtures sent no request")
	}
	for _, err := range h.failures {
		t.Errorf("processing failed: %v", err)
	}
}

// seedFromPayload gives the fake the repository and the PRs a payload
// names, so that the jobs it queues find them.
func seedFromPayload(t *testing.T, fake *fakegithub.Server, body []byte) {
	t.Helper()
	var p struct {
		Repository *struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
		Number      int `json:"number"`
		PullRequest *struct {
			Number int `json:"number"`
			Head   struct{ Ref, SHA string }
			Base   struct{ Ref string }
		} `json:"pull_request"`
		Issue *struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
		CheckRun *struct {
			PullRequests []struct {
				Number int `json:"number"`
			} `json:"pull_requests"`
		} `json:"check_run"`
		CheckSuite *struct {
			PullRequests []struct {
				Number int `json:"number"`
			} `json:"pull_requests"`
		} `json:"check_suite"`
		Group *mergequeue.MergeGroup `json:"merge_group"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Repository == nil {
		return
	}
	repo := p.Repository.FullName
	fake.AddRepo(fakegithub.Repo{FullName: repo})
	add := func(n int, head, base string) {
		if n > 0 {
			fake.AddPR(repo, fakegithub.PR{Number: n, Title: "fixture", Author: "octocat", Head: head, Base: base})
		}
	}
	if pr := p.PullRequest; pr != nil {
		add(pr.Number, pr.Head.Ref, pr.Base.Ref)
	}
	if is := p.Issue; is != nil && len(is.PullRequest) > 0 {
		add(is.Number, "", "")
	}
	if g := p.Group; g != nil {
		seedMergeGroup(fake, repo, *g)
	}
	for _, c := range []*struct {
		PullRequests []struct {
			Number int `json:"number"`
		} `json:"pull_requests"`
	}{p.CheckRun, p.CheckSuite} {
		if c != nil {
			for _, pr := range c.PullRequests {
				add(pr.Number, "", "")
			}
		}
	}
}

// seedMergeGroup gives the fake the group a merge_group payload names: its
// base branch at base_sha, the pull request of its queue branch with one
// commit, and the group's merge commit on its queue branch.
func seedMergeGroup(fake *fakegithub.Server, repo string, g mergequeue.MergeGroup) {
	n, ok := g.QueuedPR()
	if !ok {
		return
	}
	fake.AddCommit(repo, fakegithub.Commit{SHA: g.BaseSHA, Message: "base"})
	fake.SetBranch(repo, g.Base(), g.BaseSHA)
	fake.AddPR(repo, fakegithub.PR{Number: n, Title: "fixture", Author: "octocat", Base: g.Base()})
	head := strings.Repeat("f1", 20)
	fake.SetPRCommits(repo, n, []fakegithub.Commit{{SHA: head, Message: "fixture"}})
	fake.AddCommit(repo, fakegithub.Commit{SHA: g.HeadSHA, Message: "Merge pull request", Parents: []string{g.BaseSHA, head}})
	fake.SetBranch(repo, strings.TrimPrefix(g.HeadRef, "refs/heads/"), g.HeadSHA)
}
