package release

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func tagsOf(names ...string) []Tag {
	out := make([]Tag, len(names))
	for i, n := range names {
		out[i] = Tag{Name: n, SHA: sha(100 + i)}
	}
	return out
}

func TestNext(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	noPrefix := policies.DefaultReleaseSettings()
	noPrefix.TagPrefix = ""
	initialOne := policies.DefaultReleaseSettings()
	initialOne.Initial = "1.0.0"

	tests := []struct {
		name       string
		settings   policies.ReleaseSettings
		tags       []Tag
		messages   []string
		prerelease string
		wantPrev   string
		wantNext   string
		wantBump   policies.Bump
	}{
		{name: "a feature after v1.2.3 gives v1.3.0", settings: def, tags: tagsOf("v1.2.3", "v1.2.2", "v1.1.0"),
			messages: []string{"fix: a", "feat: b"}, wantPrev: "v1.2.3", wantNext: "v1.3.0", wantBump: policies.BumpMinor},
		{name: "a fix after v1.2.3 gives v1.2.4", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"fix: a", "docs: b"}, wantPrev: "v1.2.3", wantNext: "v1.2.4", wantBump: policies.BumpPatch},
		{name: "a breaking change after v1.2.3 gives v2.0.0", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"feat(api)!: c"}, wantPrev: "v1.2.3", wantNext: "v2.0.0", wantBump: policies.BumpMajor},
		{name: "no releasable commit keeps the previous version", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"chore: a", "ci: b"}, wantPrev: "v1.2.3", wantNext: "v1.2.3", wantBump: policies.BumpNone},
		{name: "no commit at all keeps the previous version", settings: def, tags: tagsOf("v1.2.3"),
			wantPrev: "v1.2.3", wantNext: "v1.2.3", wantBump: policies.BumpNone},
		{name: "without a tag the next version is the initial one", settings: def,
			messages: []string{"feat!: a"}, wantPrev: "", wantNext: "v0.1.0", wantBump: policies.BumpMajor},
		{name: "without a tag and with nothing to release the initial version is still proposed", settings: def,
			messages: []string{"chore: init"}, wantPrev: "", wantNext: "v0.1.0", wantBump: policies.BumpNone},
		{name: "a configured initial version is used", settings: initialOne,
			messages: []string{"feat: a"}, wantPrev: "", wantNext: "v1.0.0", wantBump: policies.BumpMinor},
		{name: "the previous version is the highest stable tag, not the latest pre-release", settings: def,
			tags: tagsOf("v1.2.3", "v2.0.0-rc.1", "v1.10.0", "v1.9.0"), messages: []string{"fix: a"},
			wantPrev: "v1.10.0", wantNext: "v1.10.1", wantBump: policies.BumpPatch},
		{name: "tags that are not versions are ignored", settings: def, tags: tagsOf("v1.2.3", "latest", "v1.3", "1.4.0", "vX"),
			messages: []string{"feat: a"}, wantPrev: "v1.2.3", wantNext: "v1.3.0", wantBump: policies.BumpMinor},
		{name: "an empty prefix reads bare version tags", settings: noPrefix, tags: tagsOf("1.2.3", "v9.0.0"),
			messages: []string{"fix: a"}, wantPrev: "1.2.3", wantNext: "1.2.4", wantBump: policies.BumpPatch},
		{name: "a first release candidate is rc.1", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"feat: a"}, prerelease: "rc", wantPrev: "v1.2.3", wantNext: "v1.3.0-rc.1", wantBump: policies.BumpMinor},
		{name: "the next release candidate is one above the highest", settings: def, tags: tagsOf("v1.2.3", "v1.3.0-rc.1", "v1.3.0-rc.10", "v1.3.0-rc.2", "v1.3.0-beta.40", "v1.4.0-rc.7"),
			messages: []string{"feat: a"}, prerelease: "rc", wantPrev: "v1.2.3", wantNext: "v1.3.0-rc.11", wantBump: policies.BumpMinor},
		{name: "a pre-release without a tag numbers from the initial version", settings: def,
			messages: []string{"feat: a"}, prerelease: "beta", wantPrev: "", wantNext: "v0.1.0-beta.1", wantBump: policies.BumpMinor},
		{name: "a pre-release is not proposed when nothing is to be released", settings: def, tags: tagsOf("v1.2.3"),
			messages: []string{"chore: a"}, prerelease: "rc", wantPrev: "v1.2.3", wantNext: "v1.2.3", wantBump: policies.BumpNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			commits := commitsOf(tt.messages...)
			p, err := Next(tt.settings, At{Reachable: tt.tags}, commits, tt.prerelease)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if p.PreviousTag != tt.wantPrev || p.NextTag != tt.wantNext || p.Bump != tt.wantBump || p.Commits != len(commits) {
				t.Errorf("Next = {previous %q, next %q, bump %s, commits %d}, want {%q, %q, %s, %d}",
					p.PreviousTag, p.NextTag, p.Bump, p.Commits, tt.wantPrev, tt.wantNext, tt.wantBump, len(commits))
			}
			if (p.Previous == nil) != (tt.wantPrev == "") {
				t.Errorf("Previous = %v, want nil iff no previous tag", p.Previous)
			}
			if p.Next.Tag(tt.settings.TagPrefix) != p.NextTag {
				t.Errorf("Next %s and NextTag %s disagree", p.Next, p.NextTag)
			}
		})
	}
}

func TestNextRejectsBadInput(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	badInitial := policies.DefaultReleaseSettings()
	badInitial.Initial = "1.0"
	tests := []struct {
		name       string
		settings   policies.ReleaseSettings
		prerelease string
		wantErr    string
	}{
		{"a numeric pre-release identifier is rejected", def, "1", `pre-release identifier "1": want letters, digits and hyphens with at least one non-digit, e.g. rc`},
		{"a dotted pre-release identifier is rejected", def, "rc.1", `pre-release identifier "rc.1"`},
		{"an invalid initial version is reported", badInitial, "", `initial version: "1.0" is not a semantic version`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Next(tt.settings, At{}, nil, tt.prerelease)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Next error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPreviousTag(t *testing.T) {
	tags := tagsOf("v1.2.3", "v1.3.0-rc.1", "v1.2.10", "v1.3.0", "v2.0.0", "latest")
	tests := []struct {
		name   string
		of     string
		want   string
		wantOK bool
	}{
		{"a stable version follows the highest stable below it", "v1.3.0", "v1.2.10", true},
		{"a release candidate follows the highest stable below it", "v1.4.0-rc.1", "v1.3.0", true},
		{"a patch on an older line follows its own predecessor", "v1.2.11", "v1.2.10", true},
		{"the first version has no predecessor", "v1.2.3", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseTag("v", tt.of)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := PreviousTag("v", tags, v)
			if got.Name != tt.want || ok != tt.wantOK {
				t.Errorf("PreviousTag(%s) = %q, %v; want %q, %v", tt.of, got.Name, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestLatestTag(t *testing.T) {
	tags := tagsOf("v1.2.3", "v1.10.0-rc.1", "v1.9.0", "latest", "1.99.0")
	got, ok := LatestTag("v", tags)
	if !ok || got != tags[2] {
		t.Errorf("LatestTag = %v, %v; want %v", got, ok, tags[2])
	}
	if got, ok := LatestTag("v", tagsOf("v1.0.0-rc.1", "main")); ok {
		t.Errorf("LatestTag of pre-releases only = %v, want none", got)
	}
}
