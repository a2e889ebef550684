package release

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// raCommits builds commits whose SHAs abbreviate to 1111111, 2222222…
func raCommits(messages ...string) []policies.Commit {
	out := make([]policies.Commit, len(messages))
	for i, m := range messages {
		out[i] = policies.Commit{SHA: strings.Repeat(fmt.Sprint(i+1), 40), Message: m}
	}
	return out
}

// TestNextReleaseAs: a Release-As footer sets the next version. Messages
// are newest first, as every caller lists commits.
func TestNextReleaseAs(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	apiPrefix := policies.DefaultReleaseSettings()
	apiPrefix.TagPrefix = "api/v"
	tests := []struct {
		name       string
		settings   policies.ReleaseSettings
		tags       []Tag
		branch     string
		messages   []string
		prerelease string
		wantNext   string
		wantBump   policies.Bump
		wantFrom   string // the commit whose footer won
	}{
		{name: "a greater version is taken whatever the commits ask", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"fix: a", "chore: prepare 2.0\n\nRelease-As: 2.0.0"}, wantNext: "v2.0.0", wantBump: policies.BumpMajor, wantFrom: strings.Repeat("2", 40)},
		{name: "a footer may skip versions", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"feat: a\n\nRelease-As: 1.9.0"}, wantNext: "v1.9.0", wantBump: policies.BumpMinor, wantFrom: strings.Repeat("1", 40)},
		{name: "the tag prefix may be written", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"chore: x\n\nRelease-As: v1.5.0"}, wantNext: "v1.5.0", wantBump: policies.BumpMinor, wantFrom: strings.Repeat("1", 40)},
		{name: "a long prefix may be written, or a bare v", settings: apiPrefix, tags: tagsOf("api/v1.2.3"),
			messages: []string{"chore: x\n\nRelease-As: api/v1.3.0", "chore: y\n\nRelease-As: v1.2.9"}, wantNext: "api/v1.3.0", wantBump: policies.BumpMinor, wantFrom: strings.Repeat("1", 40)},
		{name: "several footers: the newest commit wins", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"fix: newest\n\nRelease-As: 1.4.0", "fix: older\n\nRelease-As: 3.0.0"}, wantNext: "v1.4.0", wantBump: policies.BumpMinor, wantFrom: strings.Repeat("1", 40)},
		{name: "within one commit the last footer wins", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"chore: x\n\nRelease-As: 1.5.0\nrelease-as: 1.6.0"}, wantNext: "v1.6.0", wantBump: policies.BumpMinor, wantFrom: strings.Repeat("1", 40)},
		{name: "a footer in the subject is no footer", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"Release-As: 9.0.0"}, wantNext: "v1.2.3", wantBump: policies.BumpNone},
		{name: "without a previous tag the footer sets the first version", settings: def,
			messages: []string{"feat: a\n\nRelease-As: 1.0.0"}, wantNext: "v1.0.0", wantBump: policies.BumpMinor, wantFrom: strings.Repeat("1", 40)},
		{name: "a pre-release of the footer's version", settings: def, tags: tagsOf("v1.2.3", "v2.0.0-rc.1"), prerelease: "rc",
			messages: []string{"chore: x\n\nRelease-As: 2.0.0"}, wantNext: "v2.0.0-rc.2", wantBump: policies.BumpMajor, wantFrom: strings.Repeat("1", 40)},
		{name: "on a release line a version of the line", settings: def, tags: tagsOf("v1.4.0", "v1.5.0"), branch: "release/1.4",
			messages: []string{"fix: backport\n\nRelease-As: 1.4.3"}, wantNext: "v1.4.3", wantBump: policies.BumpPatch, wantFrom: strings.Repeat("1", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := At{Reachable: tt.tags}
			if tt.branch != "" {
				at = At{Reachable: tt.tags[:1], All: tt.tags, Branches: []string{tt.branch}, Default: "main"}
			}
			p, err := Next(tt.settings, at, raCommits(tt.messages...), tt.prerelease)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			from := ""
			if p.ReleaseAs != nil {
				from = p.ReleaseAs.Commit
			}
			if p.NextTag != tt.wantNext || p.Bump != tt.wantBump || from != tt.wantFrom {
				t.Errorf("Next = %s, bump %s, from %q; want %s, %s, %q", p.NextTag, p.Bump, from, tt.wantNext, tt.wantBump, tt.wantFrom)
			}
		})
	}
}

func TestNextReleaseAsRefusesWhatCannotBeReleased(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	tests := []struct {
		name     string
		tags     []Tag
		branch   string
		messages []string
		want     string
	}{
		{name: "a version below the previous one", tags: tagsOf("v1.4.0"),
			messages: []string{"fix: a", "chore: x\n\nRelease-As: 1.2.0"},
			want:     "Release-As: commit 2222222 says Release-As: 1.2.0, which is not greater than the previous version v1.4.0: a release cannot go back; amend or revert that commit, or add a commit with a Release-As above 1.4.0, e.g. Release-As: 1.4.1"},
		{name: "the previous version itself", tags: tagsOf("v1.4.0"),
			messages: []string{"chore: x\n\nRelease-As: v1.4.0"},
			want:     "commit 1111111 says Release-As: v1.4.0, which is not greater than the previous version v1.4.0"},
		{name: "a version released elsewhere", tags: tagsOf("v1.4.0", "v2.0.0"), branch: "main",
			messages: []string{"chore: x\n\nRelease-As: 2.0.0"},
			want:     "commit 1111111 says Release-As: 2.0.0, which is released already (v2.0.0): write a version that does not exist"},
		{name: "a version outside the release line", tags: tagsOf("v1.4.0", "v1.5.0"), branch: "release/1.4",
			messages: []string{"chore: x\n\nRelease-As: 1.6.0"},
			want:     "commit 1111111 says Release-As: 1.6.0, which is not a version of release line 1.4, which takes 1.4.x versions only: release 1.6.0 from the main line"},
		{name: "not a version", tags: tagsOf("v1.4.0"),
			messages: []string{"chore: x\n\nRelease-As: next"},
			want:     "commit 1111111 says Release-As: next, which is not a stable version: write MAJOR.MINOR.PATCH"},
		{name: "a pre-release", tags: tagsOf("v1.4.0"),
			messages: []string{"chore: x\n\nRelease-As: 2.0.0-rc.1"},
			want:     "commit 1111111 says Release-As: 2.0.0-rc.1, which is not a stable version"},
		{name: "the newest footer decides even when an older one is fine", tags: tagsOf("v1.4.0"),
			messages: []string{"chore: x\n\nRelease-As: 1.0.0", "chore: y\n\nRelease-As: 2.0.0"},
			want:     "commit 1111111 says Release-As: 1.0.0, which is not greater than the previous version v1.4.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := At{Reachable: tt.tags[:1], All: tt.tags}
			if tt.branch != "" {
				at.Branches, at.Default = []string{tt.branch}, "main"
			}
			_, err := Next(def, at, raCommits(tt.messages...), "")
			if !errors.Is(err, ErrReleaseAs) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Next error = %v\nwant ErrReleaseAs containing %q", err, tt.want)
			}
		})
	}
}

func TestFindReleaseAsOrdersByTimeWhenKnown(t *testing.T) {
	// Listed oldest first by mistake: the commit times still tell.
	commits := raCommits("chore: old\n\nRelease-As: 3.0.0", "chore: new\n\nRelease-As: 2.0.0")
	commits[0].Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	commits[1].Time = commits[0].Time.Add(time.Hour)
	ra, err := FindReleaseAs("v", commits)
	if err != nil || ra == nil || ra.Text != "2.0.0" || ra.Commit != strings.Repeat("2", 40) {
		t.Errorf("FindReleaseAs = %+v, %v; want 2.0.0 from the newer commit", ra, err)
	}
}

// TestNextEmptyRelease: semver.empty_release: patch cuts a patch release
// from commits that ask for no bump; none (the default) does not.
func TestNextEmptyRelease(t *testing.T) {
	patch := policies.DefaultReleaseSettings()
	patch.EmptyRelease = policies.BumpPatch
	def := policies.DefaultReleaseSettings()
	tests := []struct {
		name      string
		settings  policies.ReleaseSettings
		tags      []Tag
		branch    string
		messages  []string
		wantNext  string
		wantBump  policies.Bump
		wantEmpty bool
	}{
		{name: "by default commits that ask for nothing release nothing", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"chore: deps", "docs: x"}, wantNext: "v1.2.3", wantBump: policies.BumpNone},
		{name: "empty_release: patch releases them as a patch", settings: patch, tags: tagsOf("v1.2.3"),
			messages: []string{"chore: deps", "docs: x"}, wantNext: "v1.2.4", wantBump: policies.BumpPatch, wantEmpty: true},
		{name: "non-conventional commits are released as a patch too", settings: patch, tags: tagsOf("v1.2.3"),
			messages: []string{"Update README"}, wantNext: "v1.2.4", wantBump: policies.BumpPatch, wantEmpty: true},
		{name: "a feature still makes a minor", settings: patch, tags: tagsOf("v1.2.3"),
			messages: []string{"feat: x", "chore: y"}, wantNext: "v1.3.0", wantBump: policies.BumpMinor},
		{name: "no commit at all is still nothing to release", settings: patch, tags: tagsOf("v1.2.3"),
			wantNext: "v1.2.3", wantBump: policies.BumpNone},
		{name: "without a previous tag the initial version stands", settings: patch,
			messages: []string{"chore: init"}, wantNext: "v0.1.0", wantBump: policies.BumpNone},
		{name: "on a release line the line's next patch", settings: patch, tags: tagsOf("v1.4.0", "v1.5.0"), branch: "release/1.4",
			messages: []string{"chore: bump base image"}, wantNext: "v1.4.1", wantBump: policies.BumpPatch, wantEmpty: true},
		{name: "the main line moves past a version released elsewhere", settings: patch, tags: tagsOf("v1.4.0", "v1.5.0"), branch: "main",
			messages: []string{"chore: x"}, wantNext: "v1.6.0", wantBump: policies.BumpMinor, wantEmpty: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := At{Reachable: tt.tags}
			if tt.branch != "" {
				at = At{Reachable: tt.tags[:1], All: tt.tags, Branches: []string{tt.branch}, Default: "main"}
			}
			p, err := Next(tt.settings, at, raCommits(tt.messages...), "")
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if p.NextTag != tt.wantNext || p.Bump != tt.wantBump || p.Empty != tt.wantEmpty {
				t.Errorf("Next = %s, bump %s, empty %v; want %s, %s, %v", p.NextTag, p.Bump, p.Empty, tt.wantNext, tt.wantBump, tt.wantEmpty)
			}
		})
	}
}

func TestValidateTagReleaseAs(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	tests := []struct {
		name  string
		check TagCheck
		want  []Problem
	}{
		{name: "the footer's version is valid though it skips versions",
			check: TagCheck{Name: "v3.0.0", AllTags: tagsOf("v1.2.3"), Commits: raCommits("fix: a", "chore: x\n\nRelease-As: 3.0.0")}},
		{name: "a pre-release of the footer's version is valid",
			check: TagCheck{Name: "v3.0.0-rc.1", AllTags: tagsOf("v1.2.3"), Commits: raCommits("chore: x\n\nRelease-As: 3.0.0")}},
		{name: "the footer's patch is valid though a feature asks for a minor (the footer decides)",
			check: TagCheck{Name: "v1.2.4", AllTags: tagsOf("v1.2.3"), Commits: raCommits("feat: a\n\nRelease-As: 1.2.4")}},
		{name: "another version than the footer's is refused",
			check: TagCheck{Name: "v1.3.0", AllTags: tagsOf("v1.2.3"), Commits: raCommits("feat: a", "chore: x\n\nRelease-As: 2.0.0")},
			want:  []Problem{{Kind: ProblemReleaseAs, Message: "commit 2222222 sets the next version with Release-As: 2.0.0: tag v2.0.0 (or a pre-release of it) instead of v1.3.0"}}},
		{name: "a downgrading footer is refused with its commit",
			check: TagCheck{Name: "v1.0.0", AllTags: tagsOf("v1.2.3"), Reachable: tagsOf("v1.2.3"), Commits: raCommits("chore: x\n\nRelease-As: 1.0.0")},
			want:  []Problem{{Kind: ProblemReleaseAs, Message: "commit 1111111 says Release-As: 1.0.0, which is not greater than the previous version v1.2.3: a release cannot go back; amend or revert that commit, or add a commit with a Release-As above 1.2.3, e.g. Release-As: 1.2.4"}}},
		{name: "a malformed footer is refused",
			check: TagCheck{Name: "v1.3.0", AllTags: tagsOf("v1.2.3"), Commits: raCommits("chore: x\n\nRelease-As: soon")},
			want:  []Problem{{Kind: ProblemReleaseAs, Message: "Release-As: commit 1111111 says Release-As: soon, which is not a stable version: write MAJOR.MINOR.PATCH, e.g. Release-As: 1.0.0 (a pre-release is asked for with the pre-release option)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateTag(def, tt.check)
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("problem %d = %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
