package server

import (
	"context"
	"slices"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// TestLoginEmailsAreTheOnesGitHubVouchesFor: the public address and those
// of verified commits link a login; an address anyone can write into an
// unverified commit, another author's, and a noreply address do not.
func TestLoginEmailsAreTheOnesGitHubVouchesFor(t *testing.T) {
	h := newHarness(t)
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
	h := newHarness(t)
	for range 2 {
		if login, err := h.app.Self(context.Background()); err != nil || login != "shipgate[bot]" {
			t.Fatalf("Self = %q, %v", login, err)
		}
	}
	if n := h.fake.CallsByRoute()["GET /user"]; n != 1 {
		t.Errorf("GET /user called %d times, want once", n)
	}
}
