package gitlab

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegitlab"
)

const tagPolicy = `version: 1
tags:
  prefix: v
  branches: [main]
  release: true
`

// tagPush pushes tag at sha as user and delivers its Tag Push Hook.
func (h *harness) tagPush(tag, sha, user string) {
	h.fake.PushTag(h.project, tag, sha, user)
	h.forgedTagPush(tag, sha, user)
}

// forgedTagPush delivers a Tag Push Hook naming user as the pusher, with
// the webhook's token, whoever pushed the tag.
func (h *harness) forgedTagPush(tag, sha, user string) {
	h.deliver("Tag Push Hook", map[string]any{
		"object_kind": "tag_push", "event_name": "tag_push", "ref": "refs/tags/" + tag, "before": strings.Repeat("0", 40),
		"after": sha, "checkout_sha": sha, "user_username": user, "project_id": testProjectID, "project": h.projectJSON(),
	})
}

func TestTagPush(t *testing.T) {
	h := newHarness(t)
	h.people() // bob is a Maintainer, dave a Developer
	h.setPolicy(tagPolicy)
	sha := func(i int) string { return strings.Repeat(string(rune('a'+i)), 40) }
	h.fake.Do(func() {
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		for i, msg := range []string{"feat: gift cards", "fix: rounding", "feat: vouchers (!7)"} {
			h.project.History = append(h.project.History, fakegitlab.Commit{SHA: sha(i), Message: msg, AuthorName: "dave", At: at.Add(time.Duration(i) * time.Hour)})
		}
		h.project.Branches["main"] = sha(2)
		h.project.Branches["old"] = sha(0)
		h.project.Tags["v1.0.0"] = sha(0)
	})
	tests := []struct {
		name, tag string
		sha, user string
		state     string
		descHas   string
		release   bool
	}{
		{"a patch where features need a minor fails", "v1.0.1", sha(2), "bob", "failed", "bump", false},
		{"a name that is not a version fails", "nightly", sha(2), "bob", "failed", "semver", false},
		{"a valid tag pushed by a Developer is no release", "v1.1.0", sha(2), "dave", "failed",
			"is not a release: pushed by dave, who has write access; releasing needs maintain", false},
		{"a valid minor release pushed by a Maintainer is released", "v1.1.0", sha(2), "bob", "success", "released", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.fake.Reset()
			h.tagPush(tt.tag, tt.sha, tt.user)
			h.drain()
			var st fakegitlab.Status
			h.fake.Do(func() {
				for _, s := range h.project.Statuses {
					if s.Name == TagStatusName && strings.HasPrefix(s.Description, tt.tag+" ") {
						st = s
					}
				}
			})
			if st.State != tt.state || !strings.Contains(st.Description, tt.descHas) {
				t.Fatalf("status %q %q, want %q with %q", st.State, st.Description, tt.state, tt.descHas)
			}
			if st.State == "failed" {
				h.fake.Do(func() { delete(h.project.Tags, tt.tag) }) // as the status asks
			}
			released := slices.Contains(h.fake.ReleasesCreated(), testRepo+"@"+tt.tag)
			if released != tt.release {
				t.Errorf("released %v, want %v", released, tt.release)
			}
		})
	}
	var notes string
	h.fake.Do(func() { notes = h.project.Releases[0].Description })
	for _, want := range []string{"vouchers", "rounding"} {
		if !strings.Contains(notes, want) {
			t.Errorf("release notes lack %q:\n%s", want, notes)
		}
	}
}
