package githistory

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func TestCurrentBranchAndOrigin(t *testing.T) {
	r := newTestRepo(t)
	repo := open(t, r.dir)
	ctx := context.Background()
	// No commit yet: the branch is known all the same.
	if b, err := repo.CurrentBranch(ctx); err != nil || b != "main" {
		t.Errorf("CurrentBranch of an empty repository = %q, %v; want main", b, err)
	}
	if u, err := repo.OriginURL(ctx); err != nil || u != "" {
		t.Errorf("OriginURL without origin = %q, %v; want empty", u, err)
	}
	r.git("remote", "add", "origin", "git@github.com:acme/widgets.git")
	if u, _ := repo.OriginURL(ctx); u != "git@github.com:acme/widgets.git" {
		t.Errorf("OriginURL = %q", u)
	}
	r.git("checkout", "-q", "-b", "trunk")
	sha := r.commit("feat: one")
	if b, _ := repo.CurrentBranch(ctx); b != "trunk" {
		t.Errorf("CurrentBranch = %q, want trunk", b)
	}
	r.git("checkout", "-q", sha)
	if b, err := repo.CurrentBranch(ctx); err != nil || b != "" {
		t.Errorf("CurrentBranch detached = %q, %v; want empty", b, err)
	}
	sub := filepath.Join(r.dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	top, err := open(t, sub).TopLevel(ctx)
	if want, _ := filepath.EvalSymlinks(r.dir); err != nil || top != want {
		t.Errorf("TopLevel from a subdirectory = %q, %v; want %s", top, err, want)
	}
}

func TestFragments(t *testing.T) {
	r := newTestRepo(t)
	repo := open(t, r.dir)
	ctx := context.Background()
	glob, _ := policies.NewGlob(".changes/**/*.md")
	if got, err := repo.Fragments(ctx, glob); err != nil || len(got) != 0 {
		t.Fatalf("Fragments without a directory = %v, %v; want none", got, err)
	}
	for path, content := range map[string]string{
		".changes/b.md":        "---\ntype: fix\n---\nNo crash.\n",
		".changes/team/a.md":   "Nested.\n",
		".changes/notes.txt":   "not matched",
		"docs/.changes/x.md":   "outside the glob",
		".changes/empty/.keep": "",
	} {
		file := filepath.Join(r.dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := repo.Fragments(ctx, glob)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range got {
		paths = append(paths, f.Path+"="+f.Type+":"+f.Text)
	}
	if want := ".changes/b.md=fix:No crash.|.changes/team/a.md=:Nested."; strings.Join(paths, "|") != want {
		t.Errorf("Fragments = %s, want %s", strings.Join(paths, "|"), want)
	}
	if err := os.WriteFile(filepath.Join(r.dir, ".changes", "bad.md"), []byte("   \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Fragments(ctx, glob); err == nil || !strings.Contains(err.Error(), ".changes/bad.md: the fragment has no note") {
		t.Errorf("an empty fragment: err %v", err)
	}
}
