package server

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// audits lists the store's audit log of a kind as "subject:outcome by actor".
func (h *harness) audits(kind string) []string {
	h.t.Helper()
	var out []string
	err := h.store.ExportAudit(context.Background(), store.AuditFilter{Kinds: []string{kind}}, func(e store.AuditEvent) error {
		out = append(out, e.Subject+":"+e.Outcome+" by "+e.Actor)
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// TestTagWebhooks delivers the push and the create of a tag, as GitHub
// sends both, through the receiver and the queue: the tag is validated
// once, its commit gets the shipgate/tag status, the audit log a record,
// and (tags.release) the release exists with its notes.
func TestTagWebhooks(t *testing.T) {
	h := newHarness(t)
	sha := seedReleaseHistory(t, h.fake)
	h.fake.AddTag(testRepo, "v1.2.0", sha["feat-d"])
	h.deliver("push", h.fake.PushEvent(testRepo, "refs/tags/v1.2.0", "", sha["feat-d"], "alice"))
	h.deliver("create", h.fake.CreateEvent(testRepo, "tag", "v1.2.0", "alice"))
	h.drain()

	sts := h.fake.Statuses(testRepo, sha["feat-d"])
	if len(sts) != 1 || sts[0].Context != gate.TagStatus || sts[0].State != "success" {
		t.Fatalf("statuses = %+v, want one successful %s", sts, gate.TagStatus)
	}
	if got := h.audits(store.AuditRelease); !slices.Equal(got, []string{"v1.2.0:released by alice"}) {
		t.Errorf("audit = %q", got)
	}
	rels := h.fake.Releases()
	if len(rels) != 1 || rels[0].TagName != "v1.2.0" || !strings.Contains(rels[0].Body, "Totals are rounded to the cent") {
		t.Fatalf("releases = %+v", rels)
	}
	if sts[0].TargetURL == "" {
		t.Error("the status does not link the release")
	}
}

func TestTagWebhookOfAnInvalidTag(t *testing.T) {
	h := newHarness(t)
	sha := seedReleaseHistory(t, h.fake)
	h.fake.AddTag(testRepo, "v1.1.1", sha["feat-d"])
	h.deliver("push", h.fake.PushEvent(testRepo, "refs/tags/v1.1.1", "", sha["feat-d"], "alice"))
	h.drain()
	sts := h.fake.Statuses(testRepo, sha["feat-d"])
	if len(sts) != 1 || sts[0].State != "failure" || !strings.HasPrefix(sts[0].Description, "v1.1.1 is not a valid version tag (bump)") {
		t.Fatalf("statuses = %+v", sts)
	}
	if rels := h.fake.Releases(); len(rels) != 0 {
		t.Errorf("releases = %+v, want none", rels)
	}
}

// TestReleaseCommand gives /release on merged and open PRs: a maintainer
// cuts the next release from the head of the base branch; everyone else,
// an open PR and an invalid version are told why not.
func TestReleaseCommand(t *testing.T) {
	tests := []struct {
		name, by, role, body string
		number               int
		wantTag              string // "" when nothing is released
		wantReply            string
	}{
		{name: "a maintainer cuts the next release from main", by: "maria", role: "maintain", body: "/release", number: 7, wantTag: "v1.2.0"},
		{name: "a maintainer may name the version", by: "maria", role: "maintain", body: "/release 1.2.0", number: 7, wantTag: "v1.2.0"},
		{name: "a writer may not release", by: "walt", role: "write", body: "/release", number: 7, wantReply: "maintain"},
		{name: "an open pull request cannot release", by: "maria", role: "maintain", body: "/release", number: 9, wantReply: "only a merged pull request can cut a release"},
		{name: "a version that skips one is refused", by: "maria", role: "maintain", body: "/release v1.4.0", number: 7,
			wantReply: "v1.4.0 at "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			sha := seedReleaseHistory(t, h.fake)
			h.fake.AddPR(testRepo, fakegithub.PR{Number: 9, Title: "feat: open work", Author: "erin", HeadSHA: sha["unmerged"]})
			h.fake.SetPermission(testRepo, tt.by, tt.role)
			h.comment(tt.number, tt.by, tt.body)
			h.drain()
			refs := h.fake.RefsCreated()
			rels := h.fake.Releases()
			if tt.wantTag == "" {
				if len(refs) != 0 || len(rels) != 0 {
					t.Errorf("refs %q, releases %+v; want nothing", refs, rels)
				}
				replies := h.replies(tt.number)
				if len(replies) != 1 || !strings.Contains(replies[0], tt.wantReply) {
					t.Errorf("replies = %q, want one saying %q", replies, tt.wantReply)
				}
				return
			}
			if want := []string{testRepo + ":refs/tags/" + tt.wantTag + "@" + sha["feat-d"]}; !slices.Equal(refs, want) {
				t.Errorf("refs created = %q, want %q", refs, want)
			}
			if len(rels) != 1 || rels[0].TagName != tt.wantTag {
				t.Fatalf("releases = %+v, want %s", rels, tt.wantTag)
			}
			if got := h.audits(store.AuditRelease); !slices.Equal(got, []string{tt.wantTag + ":released by " + tt.by}) {
				t.Errorf("audit = %q", got)
			}
			if replies := h.replies(tt.number); len(replies) != 0 {
				t.Errorf("replies = %q, want none (a 👍)", replies)
			}
			if got := h.fake.Reactions(); len(got) != 1 || !strings.HasSuffix(got[0], "+1") {
				t.Errorf("reactions = %q, want a 👍", got)
			}
		})
	}
}
