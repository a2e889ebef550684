package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies/release"
)

// TestATagsAuditEventKeepsItsContents: the release page shows a version's
// previous version and notes from its tag's audit event.
func TestATagsAuditEventKeepsItsContents(t *testing.T) {
	h := newHarness(t)
	sha := seedReleaseHistory(t, h.fake)
	h.fake.AddTag(testRepo, "v1.2.0", sha["feat-d"])
	h.deliver("push", h.fake.PushEvent(testRepo, "refs/tags/v1.2.0", "", sha["feat-d"], "alice"))
	h.drain()
	e, err := h.store.LatestAudit(context.Background(), "github", testRepo, store.AuditRelease, "v1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Previous string        `json:"previous"`
		Notes    release.Notes `json:"notes"`
	}
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatal(err)
	}
	if d.Previous != "v1.1.0" || d.Notes.Version != "v1.2.0" || len(d.Notes.Sections) == 0 {
		t.Fatalf("detail: %s", e.Detail)
	}
	var texts []string
	for _, s := range d.Notes.Sections {
		for _, en := range s.Entries {
			texts = append(texts, en.Text)
		}
	}
	if len(texts) == 0 || strings.Join(texts, "") == "" {
		t.Fatalf("no entries in %s", e.Detail)
	}
}
