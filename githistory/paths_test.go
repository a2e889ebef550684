package githistory

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func TestCommitsForAComponentCarryTheirFiles(t *testing.T) {
	r := newTestRepo(t)
	write := func(name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(r.dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		r.git("add", "--", name)
	}
	write("api/a.go")
	write("web/odd name\twith tab.ts")
	init := r.commit("chore: init")
	r.git("switch", "-q", "-c", "topic")
	if err := os.Mkdir(filepath.Join(r.dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("mv", "api/a.go", "lib/a.go")
	moved := r.commit("refactor: move a out of api")
	r.git("switch", "-q", "main")
	write("web/b.ts")
	webOnly := r.commit("feat(web): b")
	r.tick++
	r.git("merge", "-q", "--no-ff", "-m", "Merge topic", "topic")
	merge := r.git("rev-parse", "HEAD")

	p, err := policies.Load("p.yml", []byte("version: 1\ncomponents:\n  - {name: api, paths: [api/**]}\n  - {name: web, scopes: [web]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	api, _ := p.Component("api")
	web, _ := p.Component("web")
	repo := open(t, r.dir)
	ctx := context.Background()

	commits, err := repo.CommitsFor(ctx, api.Release, "", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]string{}
	for _, c := range commits {
		files[c.SHA] = c.Paths
	}
	for sha, want := range map[string][]string{
		init:    {"api/a.go", "web/odd name\twith tab.ts"},
		moved:   {"api/a.go", "lib/a.go"}, // a rename lists both paths
		webOnly: {"web/b.ts"},
		merge:   {}, // read: a merge changes nothing of its own
	} {
		got := files[sha]
		slices.Sort(got)
		if got == nil || !slices.Equal(got, want) {
			t.Errorf("files of %.7s: %q, want %q", sha, got, want)
		}
	}
	own := api.Release.Own(commits)
	if len(own) != 2 || !slices.ContainsFunc(own, func(c policies.Commit) bool { return c.SHA == moved }) {
		t.Errorf("api's own commits: %v", own)
	}

	// A component named by scopes only needs no files: one git process.
	commits, err = repo.CommitsFor(ctx, web.Release, init, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commits {
		if c.Paths != nil {
			t.Errorf("%.7s got files for a component without paths", c.SHA)
		}
	}
	if own := web.Release.Own(commits); len(own) != 1 || own[0].SHA != webOnly {
		t.Errorf("web's own commits by scope: %v", own)
	}
}
