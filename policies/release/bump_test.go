package release

import (
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func TestBumpOf(t *testing.T) {
	s := policies.DefaultReleaseSettings()
	s.Types["docs"] = policies.BumpNone
	tests := []struct {
		name    string
		message string
		want    policies.Bump
	}{
		{"a feature bumps minor", "feat: add x", policies.BumpMinor},
		{"a fix bumps patch", "fix(api): y", policies.BumpPatch},
		{"a performance change bumps patch", "perf: faster", policies.BumpPatch},
		{"a revert bumps patch", "revert: undo z", policies.BumpPatch},
		{"a chore bumps nothing", "chore: tidy", policies.BumpNone},
		{"an unknown type bumps nothing", "wip: stuff", policies.BumpNone},
		{"a bang makes any type major", "chore!: drop Node 6", policies.BumpMajor},
		{"a BREAKING CHANGE footer makes a fix major", "fix: a\n\nBREAKING CHANGE: b", policies.BumpMajor},
		{"the type is case-insensitive", "FEAT: shout", policies.BumpMinor},
		{"a non-conventional message bumps nothing", "Update README.md", policies.BumpNone},
		{"a merged PR is judged by its title", "Merge pull request #7 from a/b\n\nfeat: from the PR title", policies.BumpMinor},
		{"a merge of a branch bumps nothing", "Merge branch 'main' into feature\n\nfeat: not a change", policies.BumpNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BumpOf(s, tt.message); got != tt.want {
				t.Errorf("BumpOf(%q) = %s, want %s", tt.message, got, tt.want)
			}
		})
	}
}

func TestBumpOfUsesConfiguredTypes(t *testing.T) {
	s := policies.DefaultReleaseSettings()
	s.Types["deps"] = policies.BumpPatch
	s.Types["feat"] = policies.BumpPatch
	if got := BumpOf(s, "deps: bump x"); got != policies.BumpPatch {
		t.Errorf("BumpOf(deps) = %s, want patch", got)
	}
	if got := BumpOf(s, "feat: y"); got != policies.BumpPatch {
		t.Errorf("BumpOf(feat) = %s, want patch", got)
	}
}

func TestRequired(t *testing.T) {
	def := policies.DefaultReleaseSettings()
	breakingMinor := policies.DefaultReleaseSettings()
	breakingMinor.PreMajorBreaking = policies.BumpMinor
	featuresPatch := policies.DefaultReleaseSettings()
	featuresPatch.PreMajorFeatures = policies.BumpPatch
	both := policies.DefaultReleaseSettings()
	both.PreMajorBreaking, both.PreMajorFeatures = policies.BumpMinor, policies.BumpPatch
	customMinor := policies.DefaultReleaseSettings()
	customMinor.Types["deps"] = policies.BumpMinor
	customMinor.PreMajorFeatures = policies.BumpPatch

	tests := []struct {
		name     string
		settings policies.ReleaseSettings
		prev     string
		messages []string
		want     policies.Bump
	}{
		{"no commits require nothing", def, "1.2.3", nil, policies.BumpNone},
		{"only chores require nothing", def, "1.2.3", []string{"chore: a", "docs: b", "Merge branch 'x'"}, policies.BumpNone},
		{"the highest bump wins", def, "1.2.3", []string{"fix: a", "feat: b", "chore: c"}, policies.BumpMinor},
		{"a breaking change after 1.0 is major", def, "1.2.3", []string{"fix: a", "feat!: b"}, policies.BumpMajor},
		{"a breaking change below 1.0 is major by default", def, "0.4.1", []string{"feat!: b"}, policies.BumpMajor},
		{"a breaking change below 1.0 is minor when configured", breakingMinor, "0.4.1", []string{"feat!: b"}, policies.BumpMinor},
		{"pre_major_breaking minor does not apply from 1.0", breakingMinor, "1.0.0", []string{"feat!: b"}, policies.BumpMajor},
		{"a feature below 1.0 is minor by default", def, "0.4.1", []string{"feat: b"}, policies.BumpMinor},
		{"a feature below 1.0 is patch when configured", featuresPatch, "0.4.1", []string{"feat: b"}, policies.BumpPatch},
		{"pre_major_features patch does not apply from 1.0", featuresPatch, "1.4.1", []string{"feat: b"}, policies.BumpMinor},
		{"a downgraded breaking change is not downgraded twice", both, "0.4.1", []string{"feat!: b"}, policies.BumpMinor},
		{"pre_major_features applies to any type that maps to minor", customMinor, "0.4.1", []string{"deps: c"}, policies.BumpPatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Required(tt.settings, mustVersion(t, tt.prev), commitsOf(tt.messages...)); got != tt.want {
				t.Errorf("Required(%s, %q) = %s, want %s", tt.prev, tt.messages, got, tt.want)
			}
		})
	}
}

// commitsOf builds commits with SHAs c1, c2… (padded to 40 characters).
func commitsOf(messages ...string) []policies.Commit {
	out := make([]policies.Commit, len(messages))
	for i, m := range messages {
		out[i] = policies.Commit{SHA: sha(i + 1), Message: m}
	}
	return out
}

func sha(n int) string {
	const hex = "0123456789abcdef"
	b := []byte("0000000000000000000000000000000000000000")
	for i := 39; n > 0; i-- {
		b[i] = hex[n%16]
		n /= 16
	}
	b[0] = 'c'
	return string(b)
}
