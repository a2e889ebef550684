package gate

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// tracedReleaser answers MergedChangesOf from a map.
type tracedReleaser struct {
	Releaser
	changes map[string][]MergedChange
}

func (r tracedReleaser) MergedChangesOf(_ context.Context, sha string) ([]MergedChange, error) {
	return r.changes[sha], nil
}

// verdictsAt is a Store whose VerdictAt answers from a map by "number@sha".
type verdictsAt struct {
	Store
	raw map[string]string
}

func (v verdictsAt) VerdictAt(_ context.Context, _ policies.Host, _ string, number int, sha string) ([]byte, error) {
	raw, ok := v.raw[fmt.Sprintf("%d@%s", number, sha)]
	if !ok {
		return nil, store.ErrNotFound
	}
	return []byte(raw), nil
}

func TestUnreviewedCommitsAreNamedAndUnknownsFailClosed(t *testing.T) {
	ctx := context.Background()
	commits := func(shas ...string) []policies.Commit {
		out := make([]policies.Commit, len(shas))
		for i, s := range shas {
			out[i] = policies.Commit{SHA: s + strings.Repeat("0", 40-len(s))}
		}
		return out
	}
	pad := func(s string) string { return s + strings.Repeat("0", 40-len(s)) }
	st := verdictsAt{raw: map[string]string{
		"1@h1": `{"Conclusion":"success","Gated":true}`,
		"2@h2": `{"Conclusion":"pending","Gated":true}`,
		"3@h3": `{"Conclusion":"success","Gated":false}`,
		"4@h4": `{"Conclusion":`,
	}}
	r := tracedReleaser{changes: map[string][]MergedChange{
		pad("a1"): {{Number: 1, Base: "main", HeadSHA: "h1"}},
		pad("a2"): {{Number: 2, Base: "main", HeadSHA: "h2"}},
		pad("a3"): {{Number: 3, Base: "develop", HeadSHA: "h3"}},
		pad("a4"): {{Number: 4, Base: "main", HeadSHA: "h4"}},
		pad("a5"): {{Number: 5, Base: "main", HeadSHA: "h5"}},
		pad("a6"): {{Number: 2, Base: "main", HeadSHA: "h2"}, {Number: 1, Base: "main", HeadSHA: "h1"}},
	}}
	g := &Gate{host: policies.GitHub, cfg: Config{Store: st}}
	for _, tt := range []struct {
		name    string
		r       Releaser
		commits []policies.Commit
		want    string // "" passes; else a part of the refusal
	}{
		{"a commit of a passing PR", r, commits("a1"), ""},
		{"a commit several PRs hold, one of which passed", r, commits("a6"), ""},
		{"a commit no PR brought", r, commits("a1", "b7"), "1 commit since the previous version came through no PR Shipgate passed: b700000 (no merged PR)"},
		{"a PR merged pending", r, commits("a2"), "a200000 (#2 merged with its verdict pending)"},
		{"a PR into an ungated branch", r, commits("a3"), "#3 into develop, a branch the policy does not gate"},
		{"a verdict that cannot be read", r, commits("a4"), "#4's verdict cannot be read"},
		{"a PR merged at a head never judged", r, commits("a5"), "#5 merged unjudged at h5"},
		{"a host that cannot trace commits", namedReleaser{}, commits("a1"), "this host adapter cannot tell which changes brought a commit"},
		{"a footer no commit list can confirm", r, []policies.Commit{{SHA: pad("a1"), Message: "feat: x (#1)\n\nRelease-As: 2.0.0"}},
			"a100000 (its Release-As: 2.0.0 cannot be traced to #1's commits)"},
		{"more commits than can be traced", r, make([]policies.Commit, maxTraced+1), fmt.Sprintf("traces at most %d commits", maxTraced)},
	} {
		got, err := g.unreviewed(ctx, tt.r, "acme/widgets", tt.commits)
		if err != nil || (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// namedReleaser is a Releaser that traces nothing.
type namedReleaser struct{ Releaser }
