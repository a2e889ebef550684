package gitlab

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegitlab"
)

const shaInit = "1111111111111111111111111111111111111111"

// Jobs queued by the version before the gate, in the format it wrote them
// (the adapter's Event), run after an upgrade as they would have.
func TestJobsQueuedInTheFormatBeforeTheGateStillRun(t *testing.T) {
	h := newHarness(t)
	h.people()
	h.setPolicy(glPolicy + "tags:\n  prefix: v\n  branches: [main]\n")
	h.fake.Do(func() {
		h.project.MRs[1] = &fakegitlab.MR{IID: 1, Title: "Add gift cards", Author: h.user("dave"), SourceBranch: "feature", TargetBranch: "main",
			SHA: shaA, State: "opened", CreatedAt: h.clock.Now(), Commits: []fakegitlab.Commit{{SHA: shaA, Message: "Add gift cards", AuthorName: "dave"}}}
		h.project.MRs[1].Notes = append(h.project.MRs[1].Notes, &fakegitlab.Note{ID: 5, Author: h.user("erin"), Body: "/hold", CreatedAt: h.clock.Now()})
		h.project.History = []fakegitlab.Commit{{SHA: shaInit, Message: "chore: init"}}
		h.project.Branches["main"] = shaInit
		h.project.Tags["nightly"] = shaInit
	})
	jobs := []store.Job{
		{Kind: "gitlab.mr", Key: "gitlab:" + testRepo + "!1", Payload: []byte(fmt.Sprintf(`{"delivery_id":"old-1","kind":"merge_request","action":"open",
"project_id":%d,"repo":%q,"iid":1,"head_sha":%q,"sender":"dave","at":"2026-11-30T10:00:00Z"}`, testProjectID, testRepo, shaA))},
		{Kind: "gitlab.mr", Key: "gitlab:" + testRepo + "!1", Payload: []byte(fmt.Sprintf(`{"delivery_id":"old-2","kind":"note","action":"create",
"project_id":%d,"repo":%q,"iid":1,"head_sha":%q,"sender":"erin","note":{"id":5,"author":"erin","body":"/hold","created_at":"2026-11-30T10:05:00Z"},
"at":"2026-11-30T10:05:00Z"}`, testProjectID, testRepo, shaA))},
		{Kind: "gitlab.tag", Key: "gitlab:" + testRepo + "@refs/tags/nightly", Payload: []byte(fmt.Sprintf(`{"delivery_id":"old-3","kind":"tag_push",
"project_id":%d,"repo":%q,"default_branch":"main","tag":"nightly","sha":%q,"sender":"bob","at":"2026-11-30T10:06:00Z"}`, testProjectID, testRepo, shaInit))},
	}
	if _, err := h.store.Accept(context.Background(), store.Delivery{Host: "gitlab", ID: "old", Event: "merge_request", Payload: []byte("{}")}, jobs...); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.wantStatus(shaA, "failed", "hold")
	var labels []string
	h.fake.Do(func() { labels = h.project.MRs[1].Labels })
	if !slices.Contains(labels, "do-not-merge/hold") {
		t.Errorf("labels %v: the queued /hold was not carried out", labels)
	}
	if st := h.lastStatus(shaInit, TagStatusName); st.State != "failed" {
		t.Errorf("the queued tag got %+v, want its failing status", st)
	}
}
