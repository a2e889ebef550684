package testbed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	ghdeploy "github.com/shipgate/shipgate/bot/github/deployments"
	ghserver "github.com/shipgate/shipgate/bot/github/server"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/policies"
)

// GitHubRepo is the repository of a GitHub world.
const GitHubRepo = "acme/shop"

// GitHub is a world on a fake GitHub: Shipgate runs as the App
// "shipgate[bot]" with a token.
type GitHub struct {
	*world
	Fake    *fakegithub.Server
	App     *github.App
	Server  *ghserver.Server
	cfg     github.Config
	commits map[int][]fakegithub.Commit
}

// NewGitHub builds a GitHub world with the policy on main and the people
// given as login → role ("write", "maintain", …).
func NewGitHub(t testing.TB, policy string, people map[string]string) *GitHub {
	t.Helper()
	w := newWorld(t)
	fake := fakegithub.New(t, fakegithub.WithClock(w.Clock.Now), fakegithub.WithToken("ghs_testbed"))
	fake.AddRepo(fakegithub.Repo{FullName: GitHubRepo})
	fake.SetFile(GitHubRepo, "main", github.PolicyFile, policy)
	for login, role := range people {
		fake.SetPermission(GitHubRepo, login, role)
	}
	g := &GitHub{world: w, Fake: fake, commits: map[int][]fakegithub.Commit{}}
	g.cfg = github.Config{
		APIURL: fake.URL(), Token: "ghs_testbed", Transport: fake.HTTPClient().Transport, Now: w.Clock.Now,
		Sleep:  func(_ context.Context, d time.Duration) error { w.Clock.Advance(d); return nil },
		Logger: zerolog.Nop(), RequestTimeout: 2 * time.Second,
	}
	g.Restart()
	return g
}

// SetPolicy puts policy on branch (it is read from each change's base).
func (g *GitHub) SetPolicy(branch, policy string) {
	g.Fake.SetFile(GitHubRepo, branch, github.PolicyFile, policy)
}

// Restart replaces the adapter with a new one on the same store and fake,
// as a new process would be: every in-memory cache is gone.
func (g *GitHub) Restart() {
	g.t.Helper()
	app, err := github.New(g.cfg)
	if err != nil {
		g.t.Fatal(err)
	}
	g.App = app
	srv, err := ghserver.New(ghserver.Config{App: app, WebhookSecret: Secret, Store: g.Store, Acceptor: g.Store, Now: g.Clock.Now, Logger: zerolog.Nop()})
	if err != nil {
		g.t.Fatal(err)
	}
	g.Server = srv
	dep := ghdeploy.New(app)
	o := g.orchestrator(policies.GitHub, dep.Integrations())
	gt, err := gate.New(gate.Config{Host: app, Store: g.Store, Acceptor: g.Store, Deployer: o, Announcer: g.announcer(), Now: g.Clock.Now, Logger: zerolog.Nop(), Legacy: ghserver.DecodeLegacy})
	if err != nil {
		g.t.Fatal(err)
	}
	g.register(policies.GitHub, gate.Rechecker(policies.GitHub), srv, gt, o, ghdeploy.DeployHooks{Orchestrator: o, Protection: dep})
}

// Replica makes replica i (0 is the first) receive and process from now
// on: another process of a cluster on the same store and fake, with its
// own adapters and their in-memory caches, kept while other replicas run.
func (g *GitHub) Replica(i int) {
	g.switchReplica(i, g.Restart, func() func() {
		app, srv, ps := g.App, g.Server, g.processors
		return func() { g.App, g.Server, g.processors = app, srv, ps }
	})
}

// Deliver signs and sends a webhook payload; a non-2xx answer fails the
// test.
func (g *GitHub) Deliver(event string, payload any) {
	g.t.Helper()
	body, ok := payload.([]byte)
	if !ok {
		body = g.Fake.Payload(payload)
	}
	mac := hmac.New(sha256.New, []byte(Secret))
	mac.Write(body)
	req := httptest.NewRequest(http.MethodPost, ghserver.Route, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", g.nextDelivery("gh"))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	rec := httptest.NewRecorder()
	g.Server.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		g.t.Fatalf("delivering %s: %d %s", event, rec.Code, rec.Body)
	}
}

// Open adds a PR with one commit at sha (and its files) and delivers
// opened.
func (g *GitHub) Open(pr fakegithub.PR, sha string, files ...fakegithub.File) {
	g.t.Helper()
	pr.HeadSHA = sha
	g.Fake.AddPR(GitHubRepo, pr)
	if files != nil {
		g.Fake.SetPRFiles(GitHubRepo, pr.Number, files)
	}
	g.commits[pr.Number] = []fakegithub.Commit{{SHA: sha, Message: pr.Title, Author: pr.Author, Date: g.Clock.Now()}}
	g.Fake.SetPRCommits(GitHubRepo, pr.Number, g.commits[pr.Number])
	g.PREvent(pr.Number, "opened", pr.Author)
}

// Push adds a commit (its new head) by pusher to PR n, with files, and
// delivers synchronize.
func (g *GitHub) Push(n int, c fakegithub.Commit, pusher string, files ...fakegithub.File) {
	g.t.Helper()
	g.Clock.Advance(time.Minute)
	if c.Date.IsZero() {
		c.Date = g.Clock.Now()
	}
	g.commits[n] = append(g.commits[n], c)
	g.Fake.SetPRCommits(GitHubRepo, n, g.commits[n])
	if files != nil {
		g.Fake.SetPRFiles(GitHubRepo, n, files)
	}
	g.Fake.UpdatePR(GitHubRepo, n, func(pr *fakegithub.PR) { pr.HeadSHA = c.SHA })
	g.PREvent(n, "synchronize", pusher)
}

// PREvent delivers a pull_request event built from the fake's state.
func (g *GitHub) PREvent(n int, action, sender string) {
	g.t.Helper()
	g.Deliver("pull_request", g.Fake.PullRequestEvent(GitHubRepo, n, action, sender))
}

// Comment adds a comment and delivers issue_comment created; it returns
// the comment's ID.
func (g *GitHub) Comment(n int, author, body string) int64 {
	g.t.Helper()
	g.Clock.Advance(time.Second)
	id := g.Fake.AddComment(GitHubRepo, n, fakegithub.Comment{Author: author, Body: body})
	g.Deliver("issue_comment", g.Fake.IssueCommentEvent(GitHubRepo, id, "created"))
	return id
}

// EditComment changes a comment as editor did in GitHub's interface, and
// delivers issue_comment edited with editor as its sender.
func (g *GitHub) EditComment(id int64, editor, body string) {
	g.t.Helper()
	g.Clock.Advance(time.Second)
	g.Fake.EditComment(GitHubRepo, id, body)
	ev := g.Fake.IssueCommentEvent(GitHubRepo, id, "edited")
	ev.Sender.Login = &editor
	g.Deliver("issue_comment", ev)
}

// Review adds a review of the PR's current head and delivers
// pull_request_review submitted.
func (g *GitHub) Review(n int, author, state string) {
	g.t.Helper()
	g.Clock.Advance(time.Second)
	id := g.Fake.AddReview(GitHubRepo, n, fakegithub.Review{Author: author, State: state, SubmittedAt: g.Clock.Now()})
	g.Deliver("pull_request_review", g.Fake.PullRequestReviewEvent(GitHubRepo, n, id, "submitted"))
}

// Dismiss dismisses author's approval of PR n and delivers
// pull_request_review dismissed.
func (g *GitHub) Dismiss(n int, author string) {
	g.t.Helper()
	g.Clock.Advance(time.Second)
	id := g.Fake.DismissReview(GitHubRepo, n, author)
	g.Deliver("pull_request_review", g.Fake.PullRequestReviewEvent(GitHubRepo, n, id, "dismissed"))
}

// Check returns the newest `shipgate: <base>` check run on sha, the one
// GitHub's required check reads; ok is false when there is none.
func (g *GitHub) Check(sha, base string) (cr fakegithub.CheckRun, ok bool) {
	for _, r := range g.Fake.CheckRuns(GitHubRepo, sha) {
		if r.Name == review.CheckName(base) && (!ok || r.ID > cr.ID) {
			cr, ok = r, true
		}
	}
	return cr, ok
}

// Passes reports whether GitHub would let a PR of sha into base merge on
// Shipgate's required check: the newest run of its name succeeded.
func (g *GitHub) Passes(sha, base string) bool {
	cr, ok := g.Check(sha, base)
	return ok && cr.Status == "completed" && slices.Contains([]string{"success", "neutral", "skipped"}, cr.Conclusion)
}
