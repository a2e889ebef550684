package fakegithub

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

func TestETagAnswers304WithoutCharging(t *testing.T) {
	s := New(t)
	s.AddPR(repo, PR{Number: 42, Title: "t", Author: "alice"})
	gh := s.Client("")

	_, resp, err := gh.PullRequests.Get(ctx(t), "acme", "widgets", 42)
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on a GET")
	}
	remaining := resp.Rate.Remaining

	req, _ := gh.NewRequest("GET", "repos/acme/widgets/pulls/42", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = gh.Do(ctx(t), req, nil)
	if resp == nil || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET answered %v (%v), want 304", resp, err)
	}
	equal(t, "remaining after a 304", resp.Rate.Remaining, remaining)

	// A change makes the old ETag stale.
	s.AddPR(repo, PR{Number: 42, Title: "new title", Author: "alice"})
	req, _ = gh.NewRequest("GET", "repos/acme/widgets/pulls/42", nil)
	req.Header.Set("If-None-Match", etag)
	if resp, err = gh.Do(ctx(t), req, nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET after a change answered %v, want 200", err)
	}

	equal(t, "calls", s.CountCalls(false), 3)
	equal(t, "charged calls", s.CountCalls(true), 2)
	reqs := s.Requests()
	equal(t, "conditional and 304", []bool{reqs[1].Conditional, reqs[1].NotModified, reqs[2].NotModified}, []bool{true, true, false})
	equal(t, "calls by route", s.CallsByRoute(), map[string]int{"GET /repos/{owner}/{repo}/pulls/{pull_number}": 3})
}

func TestPaginationFollowsLinks(t *testing.T) {
	s := New(t)
	s.AddPR(repo, PR{Number: 42, Author: "alice"})
	for i := 0; i < 75; i++ {
		s.AddComment(repo, 42, Comment{Author: "bob", Body: "c"})
	}
	gh := s.Client("")
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 30}}
	var sizes []int
	for {
		page, resp, err := gh.Issues.ListComments(ctx(t), "acme", "widgets", 42, opts)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page))
		if opts.Page == 0 {
			link := resp.Header.Get("Link")
			if !strings.Contains(link, "/api/v3/repos/acme/widgets/issues/42/comments?page=2&per_page=30>; rel=\"next\"") ||
				!strings.Contains(link, `page=3&per_page=30>; rel="last"`) {
				t.Errorf("Link = %s", link)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	equal(t, "page sizes", sizes, []int{30, 30, 15})
}

func TestRateLimitHeadersAndExhaustion(t *testing.T) {
	s := New(t, WithRateLimit(2))
	gh := s.Client("")
	for i := 0; i < 2; i++ {
		_, resp, err := gh.Repositories.Get(ctx(t), "acme", "nothing")
		if resp == nil || resp.StatusCode != 404 {
			t.Fatalf("call %d: %v", i, err)
		}
		equal(t, "remaining", resp.Rate.Remaining, 1-i)
		equal(t, "resource", resp.Header.Get("X-RateLimit-Resource"), "core")
		equal(t, "used", resp.Header.Get("X-RateLimit-Used"), []string{"1", "2"}[i])
	}
	_, _, err := s.Client("").Repositories.Get(ctx(t), "acme", "nothing")
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Remaining != 0 {
		t.Fatalf("third call: %v, want a primary rate limit", err)
	}
}

func TestTokenAuth(t *testing.T) {
	s := New(t, WithToken("s3cret"))
	s.AddRepo(Repo{FullName: repo})
	if _, _, err := s.Client("s3cret").Repositories.Get(ctx(t), "acme", "widgets"); err != nil {
		t.Fatal(err)
	}
	req, _ := s.Client("").NewRequest("GET", "repos/acme/widgets", nil)
	req.Header.Set("Authorization", "token s3cret")
	if _, err := s.Client("").Do(ctx(t), req, nil); err != nil {
		t.Fatalf(`"token" scheme: %v`, err)
	}
	for _, token := range []string{"", "wrong"} {
		_, resp, err := s.Client(token).Repositories.Get(ctx(t), "acme", "widgets")
		if err == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token %q: %v, want 401", token, err)
		}
	}
}

func TestAppAuth(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	s := New(t, WithApp(App{ID: 42, Slug: "shipgate-test", PublicKey: &key.PublicKey}))
	s.AddRepo(Repo{FullName: repo, InstallationID: 7})
	jwt := appJWT(t, key, 42, time.Now())
	app := s.Client(jwt)

	inst := got(app.Apps.FindRepositoryInstallation(ctx(t), "acme", "widgets")).must(t)
	equal(t, "installation", inst.GetID(), int64(7))
	tok := got(app.Apps.CreateInstallationToken(ctx(t), 7, nil)).must(t)
	if !strings.HasPrefix(tok.GetToken(), "ghs_") {
		t.Errorf("token %q", tok.GetToken())
	}
	bot := s.Client(tok.GetToken())
	c := got(bot.Issues.CreateComment(ctx(t), "acme", "widgets", 1, &github.IssueComment{Body: github.String("x")}))
	if c.err == nil {
		t.Error("a comment on an absent issue succeeded")
	}
	s.AddIssue(repo, Issue{Number: 1})
	cm := got(bot.Issues.CreateComment(ctx(t), "acme", "widgets", 1, &github.IssueComment{Body: github.String("x")})).must(t)
	equal(t, "comment author", cm.GetUser().GetLogin(), "shipgate-test[bot]")
	equal(t, "tokens issued", s.TokensIssued(), []string{"installation-7"})

	for name, client := range map[string]*github.Client{
		"the JWT on a repository call":  app,
		"no credentials":                s.Client(""),
		"an unknown token":              s.Client("ghs_nope"),
		"a JWT as an installation call": s.Client(appJWT(t, other, 42, time.Now())),
	} {
		if _, resp, err := client.Issues.ListComments(ctx(t), "acme", "widgets", 1, nil); err == nil || resp.StatusCode != 401 {
			t.Errorf("%s: %v, want 401", name, err)
		}
	}
	for name, token := range map[string]string{
		"a JWT signed by another key": appJWT(t, other, 42, time.Now()),
		"another App's JWT":           appJWT(t, key, 43, time.Now()),
		"an expired JWT":              appJWT(t, key, 42, time.Now().Add(-time.Hour)),
		"an installation token":       tok.GetToken(),
		"no JWT":                      "",
	} {
		if _, resp, err := s.Client(token).Apps.CreateInstallationToken(ctx(t), 7, nil); err == nil || resp.StatusCode != 401 {
			t.Errorf("%s: %v, want 401", name, err)
		}
	}
	if _, resp, err := app.Apps.CreateInstallationToken(ctx(t), 99, nil); err == nil || resp.StatusCode != 404 {
		t.Errorf("an unknown installation: %v, want 404", err)
	}
}
