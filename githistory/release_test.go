package githistory

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

func TestDefaultBranch(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T) string // returns the repository's directory
		want  string
	}{
		{name: "a repository with main says main", want: "main", setup: func(t *testing.T) string {
			r := newTestRepo(t)
			r.commit("chore: init")
			return r.dir
		}},
		{name: "a repository with master only says master", want: "master", setup: func(t *testing.T) string {
			r := newTestRepo(t)
			r.commit("chore: init")
			r.git("branch", "-m", "master")
			return r.dir
		}},
		{name: "a clone says where origin/HEAD points, whatever the branch's name", want: "trunk", setup: func(t *testing.T) string {
			r := newTestRepo(t)
			r.commit("chore: init")
			r.git("branch", "-m", "trunk")
			r.git("branch", "main") // a branch named main that is not the default
			clone := filepath.Join(t.TempDir(), "clone")
			if out, err := exec.Command("git", "clone", "-q", r.dir, clone).CombinedOutput(); err != nil {
				t.Fatalf("git clone: %v\n%s", err, out)
			}
			return clone
		}},
		{name: "a repository with neither says nothing", want: "", setup: func(t *testing.T) string {
			r := newTestRepo(t)
			r.commit("chore: init")
			r.git("branch", "-m", "dev")
			r.git("branch", "main/old") // below refs/heads/main, not main itself
			return r.dir
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := open(t, tt.setup(t)).DefaultBranch(ctx)
			if err != nil || got != tt.want {
				t.Errorf("DefaultBranch = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// lineHistory is a repository whose main line is at v1.2.0 and whose
// release/1.1, cut at v1.1.0, has a fix (v1.1.1) and one more commit,
// message: SHAs by name.
//
//	main:        init (v1.0.0) ← feat-a (v1.1.0) ← feat-b (v1.2.0)
//	release/1.1:                  feat-a ← fix-c (v1.1.1) ← next
func lineHistory(t *testing.T, message string) (*testRepo, map[string]string) {
	r := newTestRepo(t)
	sha := map[string]string{}
	sha["init"] = r.commit("chore: init")
	r.git("tag", "v1.0.0")
	sha["feat-a"] = r.commit("feat: a")
	r.git("tag", "v1.1.0")
	sha["feat-b"] = r.commit("feat: b")
	r.git("tag", "v1.2.0")
	r.git("switch", "-q", "-c", "release/1.1", "v1.1.0")
	sha["fix-c"] = r.commit("fix: c")
	r.git("tag", "v1.1.1")
	sha["next"] = r.commit(message)
	r.git("switch", "-q", "main")
	return r, sha
}

func TestPlanOnAReleaseLine(t *testing.T) {
	ctx := context.Background()
	s := policies.DefaultReleaseSettings()
	r, sha := lineHistory(t, "fix: d")
	repo := open(t, r.dir)
	tests := []struct {
		name   string
		target Target
		setup  []string // git commands run first
		want   string   // "previous → next on LINE"
	}{
		{name: "a release branch by name is its line", target: Target{Ref: "release/1.1"}, want: "v1.1.1 → v1.1.2 on 1.1"},
		{name: "HEAD on a release branch is its line", target: Target{Ref: "HEAD"}, setup: []string{"switch", "-q", "release/1.1"},
			want: "v1.1.1 → v1.1.2 on 1.1"},
		{name: "a detached commit takes the branches that hold it", target: Target{Ref: sha["next"]}, want: "v1.1.1 → v1.1.2 on 1.1"},
		{name: "a branch named for the run wins over the one its ref names", target: Target{Ref: "release/1.1", Branch: "main", Default: "main"},
			want: "v1.1.1 → v1.3.0 on main line"},
		{name: "main is the main line", target: Target{Ref: "main"}, want: "v1.2.0 → v1.2.0 on main line"},
		{name: "a default branch named for the run is the main line whatever its tags", target: Target{Ref: sha["next"], Branch: "trunk", Default: "trunk"},
			want: "v1.1.1 → v1.3.0 on main line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				r.git(tt.setup...)
				defer r.git("switch", "-q", "main")
			}
			plan, commits, err := repo.Plan(ctx, s, tt.target, "")
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			line := "main line"
			if plan.Line != nil {
				line = fmt.Sprintf("%d.%d", plan.Line.Major, plan.Line.Minor)
			}
			if got := fmt.Sprintf("%s → %s on %s", plan.PreviousTag, plan.NextTag, line); got != tt.want {
				t.Errorf("Plan = %s, want %s", got, tt.want)
			}
			if plan.Commits != len(commits) {
				t.Errorf("Plan counts %d commits, returns %d", plan.Commits, len(commits))
			}
		})
	}
}

func TestPlanOfAFeatureOnAReleaseLine(t *testing.T) {
	r, sha := lineHistory(t, "feat: search")
	plan, commits, err := open(t, r.dir).Plan(context.Background(), policies.DefaultReleaseSettings(), Target{Ref: "release/1.1"}, "")
	var lineErr *release.LineError
	if !errors.As(err, &lineErr) || !strings.Contains(err.Error(), fmt.Sprintf(`need a minor release (%.7s "feat: search")`, sha["next"])) {
		t.Fatalf("Plan error = %v, want a *release.LineError naming the feature", err)
	}
	// What a release with a version of one's own choosing needs is there.
	if plan.PreviousTag != "v1.1.1" || len(commits) != 1 || commits[0].SHA != sha["next"] {
		t.Errorf("with the error: previous %q, commits %v; want v1.1.1 and the feature", plan.PreviousTag, commits)
	}
}

func TestTagCheckTellsTheLine(t *testing.T) {
	r, sha := lineHistory(t, "fix: d")
	check, prev, ok, err := open(t, r.dir).TagCheck(context.Background(), policies.DefaultReleaseSettings(), "v1.1.2", sha["next"], "")
	if err != nil || !ok || prev.Name != "v1.1.1" {
		t.Fatalf("TagCheck = prev %v (%v), %v; want v1.1.1", prev, ok, err)
	}
	var reachable []string
	for _, tag := range check.Reachable {
		reachable = append(reachable, tag.Name)
	}
	if check.Default != "main" || !slices.Equal(check.OnBranches, []string{"release/1.1"}) || !slices.Equal(reachable, []string{"v1.1.1"}) {
		t.Errorf("TagCheck: default %q, on %q, reachable %q; want main, release/1.1, v1.1.1", check.Default, check.OnBranches, reachable)
	}
}
