package release

import (
	"reflect"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func TestValidateTag(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	branches := policies.DefaultReleaseSettings()
	branches.TagBranches = []policies.Glob{{Pattern: "main"}, {Pattern: "release/*"}}
	tagged := sha(42)

	tests := []struct {
		name     string
		settings policies.ReleaseSettings
		check    TagCheck
		want     []Problem
	}{
		{name: "the next minor with a feature since the previous tag is valid", settings: branches,
			check: TagCheck{Name: "v1.3.0", AllTags: tagsOf("v1.2.3", "v1.2.2"), Commits: commitsOf("feat: a", "fix: b"), OnBranches: []string{"main"}}},
		{name: "the tag itself among all tags is skipped", settings: def,
			check: TagCheck{Name: "v1.2.4", AllTags: tagsOf("v1.2.3", "v1.2.4"), Commits: commitsOf("fix: a")}},
		{name: "a first tag is valid whatever its version", settings: def,
			check: TagCheck{Name: "v0.3.0", Commits: commitsOf("feat!: a")}},
		{name: "a larger bump than required is valid", settings: def,
			check: TagCheck{Name: "v2.0.0", AllTags: tagsOf("v1.2.3"), Commits: commitsOf("fix: a")}},
		{name: "a pre-release of the next version is valid", settings: def,
			check: TagCheck{Name: "v1.3.0-rc.2", AllTags: tagsOf("v1.2.3", "v1.3.0-rc.1"), Commits: commitsOf("feat: a")}},
		{name: "the stable version after its release candidates is valid", settings: def,
			check: TagCheck{Name: "v1.3.0", AllTags: tagsOf("v1.2.3", "v1.3.0-rc.1"), Commits: commitsOf("feat: a")}},
		{name: "a patch on a release branch is checked against its own line", settings: branches,
			check: TagCheck{Name: "v1.2.4", AllTags: tagsOf("v1.2.3", "v1.3.0", "v2.0.0"), Commits: commitsOf("fix: backport"), OnBranches: []string{"release/1.2"}}},
		{name: "a name that is not a version gives only that problem", settings: branches,
			check: TagCheck{Name: "v1.3", AllTags: tagsOf("v1.2.3"), OnBranches: []string{"feature/x"}},
			want:  []Problem{{Kind: ProblemSemver, Message: "v1.3 is not a semantic version: want vMAJOR.MINOR.PATCH, e.g. v1.3.0"}}},
		{name: "a tag below an existing one is out of order", settings: def,
			check: TagCheck{Name: "v1.2.4", AllTags: tagsOf("v1.2.3", "v1.3.0"), Commits: commitsOf("fix: a")},
			want:  []Problem{{Kind: ProblemOrder, Message: "v1.2.4 is not greater than v1.3.0, the highest tag of the repository: delete v1.2.4 and tag a version above v1.3.0, e.g. v1.3.1"}}},
		{name: "a patch on main is compared with every tag, not only its line", settings: branches,
			check: TagCheck{Name: "v1.2.4", AllTags: tagsOf("v1.2.3", "v1.3.0"), Commits: commitsOf("fix: a"), OnBranches: []string{"main", "release/1.2"}},
			want:  []Problem{{Kind: ProblemOrder, Message: "v1.2.4 is not greater than v1.3.0, the highest tag of the repository: delete v1.2.4 and tag a version above v1.3.0, e.g. v1.3.1"}}},
		{name: "a tag equal to a pre-release's version is above it", settings: def,
			check: TagCheck{Name: "v1.3.0-rc.1", AllTags: tagsOf("v1.2.3", "v1.3.0-rc.1+other"), Commits: commitsOf("feat: a")},
			want:  []Problem{{Kind: ProblemOrder, Message: "v1.3.0-rc.1 is not greater than v1.3.0-rc.1+other, the highest tag of the repository: delete v1.3.0-rc.1 and tag a version above v1.3.0-rc.1+other, e.g. v1.3.1"}}},
		{name: "a tag on a release branch below its line's highest is out of order", settings: branches,
			check: TagCheck{Name: "v1.2.3", AllTags: tagsOf("v1.2.3-rc.1", "v1.2.5"), OnBranches: []string{"release/1.2"}},
			want:  []Problem{{Kind: ProblemOrder, Message: "v1.2.3 is not greater than v1.2.5, the highest tag of release line 1.2: delete v1.2.3 and tag a version above v1.2.5, e.g. v1.2.6"}}},
		{name: "a skipped patch is reported", settings: def,
			check: TagCheck{Name: "v1.2.5", AllTags: tagsOf("v1.2.3"), Commits: commitsOf("fix: a")},
			want:  []Problem{{Kind: ProblemSkip, Message: "v1.2.5 skips versions after v1.2.3: tag the next patch v1.2.4, minor v1.3.0 or major v2.0.0 (or a pre-release of one of them) instead"}}},
		{name: "a skipped major is reported", settings: def,
			check: TagCheck{Name: "v3.0.0", AllTags: tagsOf("v1.2.3"), Commits: commitsOf("feat!: a")},
			want:  []Problem{{Kind: ProblemSkip, Message: "v3.0.0 skips versions after v1.2.3: tag the next patch v1.2.4, minor v1.3.0 or major v2.0.0 (or a pre-release of one of them) instead"}}},
		{name: "a pre-release of a skipped version is reported", settings: def,
			check: TagCheck{Name: "v1.4.0-rc.1", AllTags: tagsOf("v1.2.3"), Commits: commitsOf("feat: a")},
			want:  []Problem{{Kind: ProblemSkip, Message: "v1.4.0-rc.1 skips versions after v1.2.3: tag the next patch v1.2.4, minor v1.3.0 or major v2.0.0 (or a pre-release of one of them) instead"}}},
		{name: "a patch where a feature requires a minor is reported with the commits", settings: def,
			check: TagCheck{Name: "v1.2.4", AllTags: tagsOf("v1.2.3"), Commits: commitsOf("fix: a", "feat(api): add b\n\nbody", "feat: c", "feat: d", "feat: e")},
			want:  []Problem{{Kind: ProblemBump, Message: `v1.2.4 is a patch release, but the commits since v1.2.3 require a minor release (c000000 "feat(api): add b", c000000 "feat: c", c000000 "feat: d" and 1 more): tag v1.3.0 instead`}}},
		{name: "a minor where a breaking change requires a major is reported", settings: def,
			check: TagCheck{Name: "v1.3.0-rc.1", AllTags: tagsOf("v1.2.3"), Commits: []policies.Commit{{SHA: "abcdef0123456789", Message: "fix!: drop x"}}},
			want:  []Problem{{Kind: ProblemBump, Message: `v1.3.0-rc.1 is a minor release, but the commits since v1.2.3 require a major release (abcdef0 "fix!: drop x"): tag v2.0.0 instead`}}},
		{name: "below 1.0 a breaking change needs only a minor when configured", settings: func() policies.ReleaseSettings {
			s := policies.DefaultReleaseSettings()
			s.PreMajorBreaking = policies.BumpMinor
			return s
		}(), check: TagCheck{Name: "v0.5.0", AllTags: tagsOf("v0.4.2"), Commits: commitsOf("feat!: a")}},
		{name: "a commit on a feature branch only is reported", settings: branches,
			check: TagCheck{Name: "v1.2.4", Commit: tagged, AllTags: tagsOf("v1.2.3"), Commits: commitsOf("fix: a"), OnBranches: []string{"feature/x", "hotfix/y"}},
			want:  []Problem{{Kind: ProblemBranch, Message: "commit c000000 of v1.2.4 is on feature/x, hotfix/y, none of the allowed branches (main, release/*): merge it into one of them and tag the merged commit"}}},
		{name: "a commit on no branch is reported", settings: branches,
			check: TagCheck{Name: "v1.2.4", Commit: tagged, AllTags: tagsOf("v1.2.3"), Commits: commitsOf("fix: a")},
			want:  []Problem{{Kind: ProblemBranch, Message: "commit c000000 of v1.2.4 is on no branch, none of the allowed branches (main, release/*): merge it into one of them and tag the merged commit"}}},
		{name: "without tag branches any branch is allowed", settings: def,
			check: TagCheck{Name: "v1.2.4", Commit: tagged, AllTags: tagsOf("v1.2.3"), Commits: commitsOf("fix: a"), OnBranches: []string{"feature/x"}}},
		{name: "several problems are all reported", settings: branches,
			check: TagCheck{Name: "v1.2.9", Commit: tagged, AllTags: tagsOf("v1.2.3"), Commits: commitsOf("feat: a"), OnBranches: []string{"dev"}},
			want: []Problem{
				{Kind: ProblemSkip, Message: "v1.2.9 skips versions after v1.2.3: tag the next patch v1.2.4, minor v1.3.0 or major v2.0.0 (or a pre-release of one of them) instead"},
				{Kind: ProblemBump, Message: `v1.2.9 is a patch release, but the commits since v1.2.3 require a minor release (c000000 "feat: a"): tag v1.3.0 instead`},
				{Kind: ProblemBranch, Message: "commit c000000 of v1.2.9 is on dev, none of the allowed branches (main, release/*): merge it into one of them and tag the merged commit"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateTag(tt.settings, tt.check)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ValidateTag(%s) =\n%#v\nwant\n%#v", tt.check.Name, got, tt.want)
			}
		})
	}
}
