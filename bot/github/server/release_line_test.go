package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// cappedPolicy is releasePolicy with features on release lines capped at
// a patch.
const cappedPolicy = releasePolicy + "semver:\n  release_line_features: patch\n"

// seedReleaseLine adds to seedReleaseHistory's repository main's release
// v1.2.0 (at feat-d) and a feature on release/1.1 after its backport:
//
//	release/1.1: fix-b (v1.1.0) ← backport ← line-feat
//
// line is the head release/1.1 is set to ("backport" or "line-feat"); the
// policy is on main and on release/1.1.
func seedReleaseLine(fake *fakegithub.Server, sha map[string]string, line, policy string) {
	sha["line-feat"] = fake.AddCommit(testRepo, fakegithub.Commit{Message: "feat: search on the line", Author: "bob", Parents: []string{sha["backport"]}})
	fake.AddTag(testRepo, "v1.2.0", sha["feat-d"])
	fake.SetBranch(testRepo, "release/1.1", sha[line])
	fake.SetFile(testRepo, "main", github.PolicyFile, policy)
	fake.SetFile(testRepo, "release/1.1", github.PolicyFile, policy)
}

// lineRefusal is how a feature on release/1.1 is refused.
const lineRefusal = "release/1.1 is release line 1.1, which takes patches only, but the commits since v1.1.0 need a minor release"

func TestTagsOnAReleaseLineInTheBot(t *testing.T) {
	tests := []struct {
		name, policy, tag, at string
		wantStatus            string // "state: description prefix"
	}{
		{name: "the line's next patch after a backport is valid, though main released v1.2.0", policy: releasePolicy, tag: "v1.1.1", at: "backport",
			wantStatus: "success: v1.1.1 is a valid version tag, released"},
		{name: "the line's next patch after a feature takes patches only", policy: releasePolicy, tag: "v1.1.1", at: "line-feat",
			wantStatus: "failure: v1.1.1 is not a valid version tag (line)"},
		{name: "the line's next patch after a feature is valid when the policy caps it", policy: cappedPolicy, tag: "v1.1.1", at: "line-feat",
			wantStatus: "success: v1.1.1 is a valid version tag, released"},
		{name: "a minor on the line is not a version of the line", policy: releasePolicy, tag: "v1.3.0", at: "line-feat",
			wantStatus: "failure: v1.3.0 is not a valid version tag (line)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReleaseRig(t)
			seedReleaseLine(r.fake, r.sha, "line-feat", tt.policy)
			r.tag(t, tt.tag, tt.at)
			sts := r.fake.Statuses(testRepo, r.sha[tt.at])
			if len(sts) != 1 || !strings.HasPrefix(sts[0].State+": "+sts[0].Description, tt.wantStatus) {
				t.Fatalf("statuses on %s = %+v, want one starting %q", tt.at, sts, tt.wantStatus)
			}
			rels := r.fake.Releases()
			if released := strings.HasSuffix(tt.wantStatus, "released"); released != (len(rels) == 1) {
				t.Errorf("releases = %+v, want a release: %v", rels, released)
			}
		})
	}
}

// TestReleaseCommandOnAReleaseLine gives /release on a PR merged into
// release/1.1: the bot cuts the line's next patch, never main's next
// minor, and refuses what the line does not take.
func TestReleaseCommandOnAReleaseLine(t *testing.T) {
	tests := []struct {
		name, policy, line, body string
		// mainReleases are versions main released after v1.2.0.
		mainReleases int
		wantTag      string // "" when nothing is released
		wantReply    string
	}{
		{name: "a maintainer cuts the line's next patch, not main's next minor", policy: releasePolicy, line: "backport", body: "/release", wantTag: "v1.1.1"},
		{name: "the line's previous tag is found however many versions main released since", policy: releasePolicy, line: "line-feat", body: "/release",
			mainReleases: 2 * gate.MaxTagProbes, wantReply: "nothing released from release/1.1: " + lineRefusal},
		{name: "a feature on the line is refused with how to ship it", policy: releasePolicy, line: "line-feat", body: "/release",
			wantReply: "nothing released from release/1.1: " + lineRefusal},
		{name: "a feature on the line is cut as its next patch when the policy caps it", policy: cappedPolicy, line: "line-feat", body: "/release", wantTag: "v1.1.1"},
		{name: "a named minor on the line is refused", policy: releasePolicy, line: "backport", body: "/release 1.3.0",
			wantReply: "v1.3.0 is not a version of its release line: release/1.1 is release line 1.1, which takes 1.1.x versions only: tag v1.1.1 instead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			sha := seedReleaseHistory(t, h.fake)
			seedReleaseLine(h.fake, sha, tt.line, tt.policy)
			for i := 1; i <= tt.mainReleases; i++ {
				h.fake.AddTag(testRepo, fmt.Sprintf("v1.%d.0", 2+i), sha["feat-d"])
			}
			h.fake.AddPR(testRepo, fakegithub.PR{Number: 11, Title: "fix: backport a crash", Author: "erin", State: "closed", Merged: true,
				Base: "release/1.1", MergedAt: fakegithub.DefaultTime(), MergeCommitSHA: sha[tt.line]})
			h.fake.SetPermission(testRepo, "maria", "maintain")
			h.comment(11, "maria", tt.body)
			h.drain()
			refs, rels := h.fake.RefsCreated(), h.fake.Releases()
			if tt.wantTag == "" {
				replies := h.replies(11)
				if len(refs) != 0 || len(rels) != 0 || len(replies) != 1 || !strings.Contains(replies[0], tt.wantReply) {
					t.Fatalf("refs %q, releases %+v, replies %q; want nothing created and a reply with %q", refs, rels, replies, tt.wantReply)
				}
				return
			}
			if want := []string{testRepo + ":refs/tags/" + tt.wantTag + "@" + sha[tt.line]}; !slices.Equal(refs, want) {
				t.Errorf("refs created = %q, want %q", refs, want)
			}
			if len(rels) != 1 || rels[0].TagName != tt.wantTag {
				t.Fatalf("releases = %+v, want %s", rels, tt.wantTag)
			}
			if got := h.audits(store.AuditRelease); !slices.Equal(got, []string{tt.wantTag + ":released by maria"}) {
				t.Errorf("audit = %q", got)
			}
		})
	}
}
