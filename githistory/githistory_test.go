package githistory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies/release"
)

// testRepo is a temporary git repository built by a test.
type testRepo struct {
	t    *testing.T
	dir  string
	tick int
}

// newTestRepo creates an empty repository on branch main. It works on a
// fresh machine: identity and dates come from the environment, signing and
// hooks are off.
func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

// git runs a git command in the repository and returns its trimmed output.
func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	return runGit(r.t, r.dir, r.tick, args...)
}

func runGit(t *testing.T, dir string, tick int, args ...string) string {
	t.Helper()
	date := fmt.Sprintf("%d +0000", 1_700_000_000+tick*60)
	cmd := exec.Command("git", append([]string{
		"-c", "user.name=Test", "-c", "user.email=test@example.com",
		"-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false", "-c", "core.hooksPath=/dev/null",
	}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_COMMITTER_DATE="+date,
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit makes an empty commit and returns its SHA.
func (r *testRepo) commit(message string, env ...string) string {
	r.t.Helper()
	r.tick++
	args := []string{"commit", "-q", "--allow-empty", "-m", message}
	if len(env) > 0 {
		args = append(args, "--author", env[0])
	}
	r.git(args...)
	return r.git("rev-parse", "HEAD")
}

func open(t *testing.T, dir string) *Repo {
	t.Helper()
	repo, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return repo
}

func TestTags(t *testing.T) {
	r := newTestRepo(t)
	c1 := r.commit("feat: one")
	r.git("tag", "v0.1.0")
	c2 := r.commit("fix: two")
	r.git("tag", "-a", "-m", "release 0.1.1", "v0.1.1")
	r.git("tag", "-a", "-m", "a tree", "tree-tag", "HEAD^{tree}")
	r.git("switch", "-q", "-c", "side")
	c3 := r.commit("feat: side")
	r.git("tag", "v0.2.0-rc.1")
	r.git("switch", "-q", "main")

	ctx := context.Background()
	repo := open(t, r.dir)
	tests := []struct {
		name   string
		merged string
		want   []release.Tag
	}{
		{"tags reachable from main leave the side branch's out, annotated tags peeled", "main",
			[]release.Tag{{Name: "v0.1.0", SHA: c1}, {Name: "v0.1.1", SHA: c2}}},
		{"tags reachable from the side branch include its own", "side",
			[]release.Tag{{Name: "v0.1.0", SHA: c1}, {Name: "v0.1.1", SHA: c2}, {Name: "v0.2.0-rc.1", SHA: c3}}},
		{"all tags without a ref, except the tag of a tree", "",
			[]release.Tag{{Name: "v0.1.0", SHA: c1}, {Name: "v0.1.1", SHA: c2}, {Name: "v0.2.0-rc.1", SHA: c3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := repo.Tags(ctx, tt.merged)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Tags(%q) = %v, want %v", tt.merged, got, tt.want)
			}
		})
	}
	if _, err := repo.Tags(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "listing tags reachable from nope in "+r.dir) {
		t.Errorf("Tags(nope) error = %v, want one naming the ref and the repository", err)
	}
}

func TestCommits(t *testing.T) {
	r := newTestRepo(t)
	first := r.commit("chore: init")
	r.git("tag", "v1.0.0")
	msg := "feat(api): add x\n\nBody with \"quotes\", tabs\tand\n\n\nblank lines.\n\nBREAKING CHANGE: y"
	second := r.commit(msg, "Alice Example <12345+alice@users.noreply.github.com>")
	third := r.commit("fix: ünïcödé", "Bob <bob@users.noreply.github.com>")

	ctx := context.Background()
	repo := open(t, r.dir)
	got, err := repo.Commits(ctx, "v1.0.0", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Commits(v1.0.0..HEAD) gave %d commits, want 2: %+v", len(got), got)
	}
	if got[0].SHA != third || got[0].Message != "fix: ünïcödé" || got[0].AuthorName != "Bob" || got[0].Author.Login != "bob" {
		t.Errorf("newest commit = %+v", got[0])
	}
	if got[1].SHA != second || got[1].Message != "feat(api): add x\n\nBody with \"quotes\", tabs\tand\n\nblank lines.\n\nBREAKING CHANGE: y" ||
		got[1].AuthorName != "Alice Example" || got[1].Author.Login != "alice" {
		t.Errorf("second commit = %+v", got[1])
	}
	if want := time.Unix(1_700_000_000+2*60, 0).UTC(); !got[1].Time.Equal(want) {
		t.Errorf("second commit time = %v, want %v", got[1].Time, want)
	}

	all, err := repo.Commits(ctx, "", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[2].SHA != first || all[2].Author.Login != "" {
		t.Errorf("Commits(HEAD) = %+v, want 3 commits ending with %s by an unknown login", all, first)
	}
	none, err := repo.Commits(ctx, "HEAD", "HEAD")
	if err != nil || len(none) != 0 {
		t.Errorf("Commits(HEAD..HEAD) = %v, %v; want none", none, err)
	}
	if _, err := repo.Commits(ctx, "v9.9.9", "HEAD"); err == nil || !strings.Contains(err.Error(), "listing commits v9.9.9..HEAD in "+r.dir) {
		t.Errorf("Commits(v9.9.9..HEAD) error = %v, want one naming the range", err)
	}
}

func TestBranchesContaining(t *testing.T) {
	r := newTestRepo(t)
	base := r.commit("chore: init")
	r.git("switch", "-q", "-c", "release/1.0")
	onRelease := r.commit("fix: backport")
	r.git("switch", "-q", "main")
	r.commit("feat: later")

	clone := t.TempDir()
	runGit(t, clone, 0, "clone", "-q", r.dir, ".")
	runGit(t, clone, 0, "switch", "-q", "-c", "local-only")

	tests := []struct {
		name string
		dir  string
		sha  string
		want []string
	}{
		{"a base commit is on every branch", r.dir, base, []string{"main", "release/1.0"}},
		{"a backport is only on its release branch", r.dir, onRelease, []string{"release/1.0"}},
		{"remote-tracking branches count without their remote, HEAD is skipped, names are de-duplicated", clone, base, []string{"local-only", "main", "release/1.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := open(t, tt.dir).BranchesContaining(context.Background(), tt.sha)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BranchesContaining(%s) = %q, want %q", tt.sha[:7], got, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	r := newTestRepo(t)
	c1 := r.commit("chore: init")
	r.git("tag", "-a", "-m", "annotated", "v1.0.0")
	c2 := r.commit("fix: x")
	repo := open(t, r.dir)
	ctx := context.Background()
	for ref, want := range map[string]string{"HEAD": c2, "main": c2, "v1.0.0": c1, "HEAD~1": c1, c1[:10]: c1} {
		got, err := repo.Resolve(ctx, ref)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	for _, ref := range []string{"v2.0.0", "--help", "main~5"} {
		_, err := repo.Resolve(ctx, ref)
		if !errors.Is(err, ErrUnknownRef) {
			t.Errorf("Resolve(%q) error = %v, want ErrUnknownRef", ref, err)
		}
	}
}

func TestOpenRejectsShallowClonesAndNonRepositories(t *testing.T) {
	r := newTestRepo(t)
	r.commit("chore: one")
	r.commit("chore: two")
	shallow := t.TempDir()
	runGit(t, shallow, 0, "clone", "-q", "--depth=1", "file://"+r.dir, ".")

	_, err := Open(context.Background(), shallow)
	if !errors.Is(err, ErrShallow) {
		t.Fatalf("Open(shallow clone) error = %v, want ErrShallow", err)
	}
	if !strings.Contains(err.Error(), "fetch-depth: 0") || !strings.Contains(err.Error(), shallow) {
		t.Errorf("error %q should name the directory and say to use fetch-depth: 0", err)
	}

	plain := t.TempDir()
	_, err = Open(context.Background(), filepath.Join(plain))
	if err == nil || !strings.Contains(err.Error(), "opening git repository "+plain) || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("Open(plain directory) error = %v", err)
	}
}

func TestLoginFromEmail(t *testing.T) {
	tests := []struct{ email, want string }{
		{"12345+alice@users.noreply.github.com", "alice"},
		{"bob@users.noreply.github.com", "bob"},
		{"carol@example.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := loginFromEmail(tt.email); got != tt.want {
			t.Errorf("loginFromEmail(%q) = %q, want %q", tt.email, got, tt.want)
		}
	}
}
