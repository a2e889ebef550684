package policies

import (
	"strings"
	"testing"
)

func TestReleaseAsFooter(t *testing.T) {
	tests := []struct {
		message, want string
		ok            bool
	}{
		{"chore: x\n\nRelease-As: 2.0.0", "2.0.0", true},
		{"chore: x\n\nbody\n\nrelease-as: v1.2.3\r\nSigned-off-by: a", "v1.2.3", true},
		{"chore: x\n\nRelease-As: 1.0.0\nRelease-As: 1.1.0", "1.1.0", true},
		{"Release-As: 9.0.0", "", false},
		{"chore: x\n\nThe Release-As: footer is explained here", "", false},
	}
	for _, tt := range tests {
		got, ok := ReleaseAsFooter(tt.message)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ReleaseAsFooter(%q) = %q, %v; want %q, %v", tt.message, got, ok, tt.want, tt.ok)
		}
	}
}

// TestSemverRuleShowsReleaseAs: a PR whose commit sets the next version
// says so to its reviewers, and one no release could follow fails before
// it merges (the version math refuses a footer that goes back when the
// release is cut: policies/release).
func TestSemverRuleShowsReleaseAs(t *testing.T) {
	p := mustLoad(t, fullPolicy)
	c := basePR()
	c.Commits = append(c.Commits, Commit{SHA: "abcdef123456", Message: "chore: open 2.0\n\nRelease-As: 2.0.0"})
	r := resultOf(t, Evaluate(p, c, now0), "semver")
	if r.Status != Pass || r.Message != "bump: minor; commit abcdef1 sets the next release's version: Release-As: 2.0.0 (it must be above the previous version when released)" {
		t.Errorf("semver = %s %q", r.Status, r.Message)
	}
	c.Commits = append(c.Commits, Commit{SHA: "0123456789", Message: "chore: oops\n\nRelease-As: two"})
	r = resultOf(t, Evaluate(p, c, now0), "semver")
	if r.Status != Fail || !strings.HasPrefix(r.Message, "commit 0123456 says Release-As: two, which is not a stable version") {
		t.Errorf("semver with a bad footer = %s %q", r.Status, r.Message)
	}
}

func resultOf(t *testing.T, v Verdict, rule string) Result {
	t.Helper()
	for _, r := range v.Results {
		if r.Rule == rule {
			return r
		}
	}
	t.Fatalf("no %s result in %+v", rule, v.Results)
	return Result{}
}
