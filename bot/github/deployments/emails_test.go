package deployments

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// TestLoginEmailsAreTheOnesGitHubVouchesFor: the public address and those
// of verified commits link a login; an address anyone can write into an
// unverified commit, another author's, and a noreply address do not.
func TestLoginEmailsAreTheOnesGitHubVouchesFor(t *testing.T) {
	h := newRig(t)
	h.fake.SetUserEmail("dave", "Dave@Acme.example")
	h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "signed", Author: "dave", AuthorEmail: "dave@home.example", Verified: true})
	h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "unsigned", Author: "dave", AuthorEmail: "ceo@acme.example"})
	h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "noreply", Author: "dave", AuthorEmail: "1+dave@users.noreply.github.com", Verified: true})
	h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "erin's", Author: "erin", AuthorEmail: "erin@acme.example", Verified: true})
	got, err := h.app.LoginEmails(context.Background(), testRepo, "dave")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"dave@acme.example", "dave@home.example"}; !slices.Equal(got, want) {
		t.Errorf("LoginEmails = %q, want %q", got, want)
	}
	if got, err := h.app.LoginEmails(context.Background(), testRepo, "nobody"); err != nil || len(got) != 0 {
		t.Errorf("a login without addresses: %q, %v", got, err)
	}
}

// TestSelfIsWhoTheCredentialsActAs: with a token, GET /user, asked once.
func TestSelfIsWhoTheCredentialsActAs(t *testing.T) {
	h := newRig(t)
	for range 2 {
		if login, err := h.app.Self(context.Background()); err != nil || login != "shipgate[bot]" {
			t.Fatalf("Self = %q, %v", login, err)
		}
	}
	if n := h.fake.CallsByRoute()["GET /user"]; n != 1 {
		t.Errorf("GET /user called %d times, want once", n)
	}
}

const (
	testRepo  = "acme/shop"
	testToken = "ghs_test_token"
)

// rig is a fake GitHub and GitHub's deployment integrations on it.
type rig struct {
	fake *fakegithub.Server
	app  *GitHub
}

func newRig(t *testing.T) *rig {
	t.Helper()
	fake := fakegithub.New(t, fakegithub.WithToken(testToken))
	fake.AddRepo(fakegithub.Repo{FullName: testRepo})
	app, err := github.New(github.Config{APIURL: fake.URL(), Token: testToken, Transport: fake.HTTPClient().Transport,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{fake: fake, app: New(app)}
}
