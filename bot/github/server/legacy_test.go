package server

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// Jobs queued by the version before the gate, in the format it wrote them
// (go-github structs), run after an upgrade as they would have.
const (
	legacyPRJob = `{"event":"pull_request","action":"opened","delivery_id":"d-old-1","repo":"acme/shop","number":1,
"head_sha":"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1","sender":"dave","at":"2026-11-30T10:00:00Z",
"pull_request":{"number":1,"title":"Add gift cards (SHOP-12)","body":"` + "```release-note\\nGift cards.\\n```" + `","state":"open",
"draft":false,"merged":false,"user":{"login":"dave","type":"User"},"labels":[{"name":"semver:minor"}],
"base":{"ref":"main","sha":"0000000000000000000000000000000000000000","repo":{"name":"shop","owner":{"login":"acme"}}},
"head":{"ref":"gift-cards","sha":"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"}}}`
	legacyCommentJob = `{"event":"issue_comment","action":"created","delivery_id":"d-old-2","repo":"acme/shop","number":1,
"sender":"erin","at":"2026-11-30T10:05:00Z","comment":{"id":%d,"author":"erin","body":"/hold","created_at":"2026-11-30T10:05:00Z"},
"issue":{"number":1,"title":"Add gift cards (SHOP-12)","body":"x","state":"open","labels":[{"name":"semver:minor"}]}}`
	legacyTagJob = `{"event":"push","delivery_id":"d-old-3","repo":"acme/shop","tag":"nightly","default_branch":"main","sender":"bob"}`
)

func TestJobsQueuedInTheFormatBeforeTheGateStillRun(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.fake.SetFile(testRepo, "main", github.PolicyFile, strictPolicy)
	h.addPR(fakegithub.PR{Number: 1, Title: "Add gift cards (SHOP-12)", Author: "dave", Head: "gift-cards", HeadSHA: shaA, Labels: []string{"semver:minor"}})
	id := h.fake.AddComment(testRepo, 1, fakegithub.Comment{Author: "erin", Body: "/hold"})
	sha := h.fake.AddCommit(testRepo, fakegithub.Commit{Message: "chore: init"})
	h.fake.AddTag(testRepo, "nightly", sha)
	ctx := context.Background()
	jobs := []store.Job{
		{Kind: "github.pr", Key: "github:acme/shop#1", Payload: []byte(legacyPRJob)},
		{Kind: "github.pr", Key: "github:acme/shop#1", Payload: []byte(fmt.Sprintf(legacyCommentJob, id))},
		{Kind: "github.tag", Key: "github:acme/shop@refs/tags/nightly", Payload: []byte(legacyTagJob)},
	}
	if _, err := h.store.Accept(ctx, store.Delivery{Host: "github", ID: "old", Event: "pull_request", Payload: []byte("{}")}, jobs...); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if len(h.failures) > 0 {
		t.Fatalf("processing failed: %v", h.failures)
	}
	h.wantCheck(shaA, "completed", "failure", "hold")
	if got := h.fake.Labels(testRepo, 1); !strings.Contains(strings.Join(got, ","), "do-not-merge/hold") {
		t.Errorf("labels %v: the queued /hold was not carried out", got)
	}
	var tagStatus string
	for _, st := range h.fake.Statuses(testRepo, sha) {
		tagStatus = st.State + " " + st.Description
	}
	if !strings.HasPrefix(tagStatus, "failure nightly is not a valid version tag") {
		t.Errorf("the queued tag got %q, want its failing status", tagStatus)
	}
}
