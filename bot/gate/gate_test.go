package gate

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

func TestDecodeTellsFormats(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		legacy  bool
		errHas  string
	}{
		{"a payload without a version is the host's earlier format", `{"event":"pull_request","repo":"a/b","number":1}`, true, ""},
		{"the current format", `{"v":1,"kind":"change","host":"github","repo":"a/b","number":1}`, false, ""},
		{"a newer format asks for an upgrade", `{"v":2,"kind":"change","repo":"a/b","number":1}`, false, "upgrade"},
		{"garbage", `{`, false, "unexpected end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, legacy, err := decode([]byte(tt.payload))
			if legacy != tt.legacy || (tt.errHas == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("decode = %+v, %v, %v", e, legacy, err)
			}
			if !legacy && err == nil && (e.Repo != "a/b" || e.Number != 1) {
				t.Errorf("decoded %+v", e)
			}
		})
	}
}

func TestEncodeWritesTheCurrentVersion(t *testing.T) {
	e, legacy, err := decode(Encode(Event{Kind: KindComment, Repo: "a/b", Number: 3, Comment: &Comment{ID: 9, Body: "/hold"}}))
	if err != nil || legacy || e.V != Version || e.Comment.Body != "/hold" {
		t.Fatalf("round trip: %+v, %v, %v", e, legacy, err)
	}
}

func TestRelabel(t *testing.T) {
	got := relabel([]string{"semver:minor", "Do-Not-Merge/Hold"}, []string{"semver:minor", "x"}, []string{"do-not-merge/hold"})
	if want := []string{"semver:minor", "x"}; !slices.Equal(got, want) {
		t.Errorf("relabel = %q, want %q", got, want)
	}
}

// The people whose role can change a verdict are read, among them who
// added the hotfix label (a maintainer's label declares a hotfix), and
// never a bot.
func TestDeciders(t *testing.T) {
	p, err := policies.Load("p.yml", []byte("version: 1\nhotfix:\n  branches: [hotfix/*]\n  label: hotfix\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := &policies.Change{
		Comments: []policies.Comment{{Author: policies.Actor{Login: "erin"}, Body: "/hold"}, {Author: policies.Actor{Login: "zed"}, Body: "nice"},
			{Author: policies.Actor{Login: "ci[bot]", Bot: true}, Body: "/approve"}},
		Reviews: []policies.Review{{Author: policies.Actor{Login: "alice"}, State: policies.ReviewApproved},
			{Author: policies.Actor{Login: "bob"}, State: policies.ReviewCommented}, {Author: policies.Actor{Login: "Erin"}, State: policies.ReviewChangesRequested}},
		LabelEvents: []policies.LabelEvent{{Label: "hotfix", Actor: policies.Actor{Login: "mona"}, Added: true}, {Label: "other", Actor: policies.Actor{Login: "otto"}, Added: true}},
	}
	if got, want := deciders(c, p), []string{"erin", "alice", "mona"}; !slices.Equal(got, want) {
		t.Errorf("deciders = %q, want %q", got, want)
	}
}

// A batch's review and comment events apply to what the last evaluation
// read: a dismissed review is dismissed, a deleted comment gone, an edited
// one edited, Shipgate's own comment a bot's.
func TestKnownFactsFollowTheBatchsEvents(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	reviews := applyReviewEvents([]policies.Review{{ID: 1, Author: policies.Actor{Login: "alice"}, State: policies.ReviewApproved}},
		[]Event{{Kind: KindReview, Review: &Review{ID: 1, Author: policies.Actor{Login: "alice"}, State: policies.ReviewDismissed}},
			{Kind: KindReview, Review: &Review{ID: 2, Author: policies.Actor{Login: "bob"}, State: policies.ReviewApproved, SubmittedAt: at}}}, "shipgate")
	if len(reviews) != 2 || reviews[0].State != policies.ReviewDismissed || reviews[1].Author.Login != "bob" {
		t.Errorf("reviews = %+v", reviews)
	}
	comments := applyCommentEvents([]policies.Comment{{ID: 1, Body: "/hold"}, {ID: 2, Body: "hi"}}, []Event{
		{Kind: KindComment, Comment: &Comment{ID: 1, Deleted: true}},
		{Kind: KindComment, Comment: &Comment{ID: 2, Body: "/approve", CreatedAt: at, UpdatedAt: at.Add(time.Minute), Edited: true}},
		{Kind: KindComment, Comment: &Comment{ID: 3, Author: "shipgate", Body: "/hold", CreatedAt: at}},
	}, "shipgate")
	if len(comments) != 2 || comments[0].ID != 2 || !comments[0].Edited || !comments[1].Author.Bot {
		t.Errorf("comments = %+v", comments)
	}
}
