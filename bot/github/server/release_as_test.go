package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// seedReleaseAs puts on main, after feat-d, a merged PR #12 whose commit
// carries a Release-As footer.
func seedReleaseAs(fake *fakegithub.Server, sha map[string]string, footer string) {
	sha["pin"] = fake.AddCommit(testRepo, fakegithub.Commit{Message: "chore: set the version (#12)\n\nRelease-As: " + footer, Author: "mallory", Parents: []string{sha["feat-d"]}})
	fake.SetBranch(testRepo, "main", sha["pin"])
	fake.AddPR(testRepo, fakegithub.PR{Number: 12, Title: "chore: set the version", Author: "mallory", State: "closed", Merged: true,
		Base: "main", MergedAt: fakegithub.DefaultTime(), MergeCommitSHA: sha["pin"], Labels: []string{"release-note-none"}})
}

func TestReleaseCommandFollowsReleaseAs(t *testing.T) {
	tests := []struct {
		name, footer string
		wantTag      string
		wantReply    string
	}{
		{name: "a footer above the previous version is released as written", footer: "2.0.0", wantTag: "v2.0.0"},
		{name: "attack: a PR's footer that goes back releases nothing", footer: "1.0.1",
			wantReply: "nothing released from main: Release-As: commit "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			sha := seedReleaseHistory(t, h.fake)
			seedReleaseAs(h.fake, sha, tt.footer)
			h.fake.SetPermission(testRepo, "maria", "maintain")
			h.comment(12, "maria", "/release")
			h.drain()
			refs, rels := h.fake.RefsCreated(), h.fake.Releases()
			if tt.wantTag == "" {
				replies := h.replies(12)
				if len(refs) != 0 || len(rels) != 0 || len(replies) != 1 || !strings.Contains(replies[0], tt.wantReply) ||
					!strings.Contains(replies[0], "which is not greater than the previous version v1.1.0") {
					t.Fatalf("refs %q, releases %+v, replies %q; want nothing created and a reply naming the footer", refs, rels, replies)
				}
				return
			}
			if want := []string{testRepo + ":refs/tags/" + tt.wantTag + "@" + sha["pin"]}; !slices.Equal(refs, want) {
				t.Errorf("refs created = %q, want %q", refs, want)
			}
		})
	}
}

func TestTagAgainstReleaseAsInTheBot(t *testing.T) {
	tests := []struct {
		name, tag  string
		wantStatus string
	}{
		{name: "the footer's version is valid though it skips versions", tag: "v3.0.0",
			wantStatus: "success: v3.0.0 is a valid version tag"},
		{name: "the version the commits would give is refused for the footer's", tag: "v1.2.0",
			wantStatus: "failure: v1.2.0 is not a valid version tag (release_as)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReleaseRig(t)
			seedReleaseAs(r.fake, r.sha, "3.0.0")
			r.tag(t, tt.tag, "pin")
			sts := r.fake.Statuses(testRepo, r.sha["pin"])
			if len(sts) != 1 || !strings.HasPrefix(sts[0].State+": "+sts[0].Description, tt.wantStatus) {
				t.Fatalf("statuses on pin = %+v, want one starting %q", sts, tt.wantStatus)
			}
		})
	}
}
