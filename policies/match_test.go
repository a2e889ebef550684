package policies

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hmarr/codeowners"
)

// TestCodeOwnersAgreesWithTheParserLibrary checks the glob matcher against
// hmarr/codeowners' own regular-expression matcher on GitHub's documented
// pattern forms.
func TestCodeOwnersAgreesWithTheParserLibrary(t *testing.T) {
	file := []byte(`# comment
*       @acme/everyone
*.js    @js-owner
*.go    docs@example.com @gopher
/build/logs/ @doctocat
docs/*  docs@example.com
apps/   @octocat
/docs/  @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/github
db/migrations/**/*.sql @acme/dba
`)
	paths := []string{
		"README.md", "web/app.js", "main.go", "cmd/x/main.go", "build/logs/a.txt", "x/build/logs/a.txt",
		"docs/getting-started.md", "docs/build-app/troubleshooting.md", "apps/a.txt", "x/apps/b/c.txt",
		"scripts/run.sh", "deeply/nested/logs/z", "logs", "apps/github/x.go", "apps/github", "db/migrations/1/up.sql",
		"db/migrations/up.sql", "db/migrations/up.txt", "src/docs/a.md",
	}
	ours, err := ParseCodeOwners(file)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := codeowners.ParseFile(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		var want []Principal
		if r, _ := theirs.Match(p); r != nil {
			want = ownersOf(r.Owners)
		}
		if got := ours.Owners(p); !reflect.DeepEqual(got, want) {
			t.Errorf("Owners(%q) = %v, library says %v", p, got, want)
		}
	}
}

func TestGlobMatchesLikeDoublestar(t *testing.T) {
	patterns := []string{"**/*.go", "**/logs", "db/migrations/**", "release/*", "*.md", "**/a/*.txt", "docs/**/*.md", "x{a,b}/**", "**/[ab]*", "**", "docs/**", "x/**/y", "**/b/**", "db/**", "**/*", "**/.go", "a/b/**"}
	names := []string{"main.go", "cmd/x/main.go", "logs", "a/logs", "a/logs/x", "db/migrations/1.sql", "db/x", "release/1.2",
		"release/1.2/x", "README.md", "docs/README.md", "a/a/b.txt", "docs/x/y.md", "xa/1", "xc/1", "b", "dir/bee", "dir/", "", "db/migrations", "docs", "x", "db", "dbx/y", "db/", ".go", "a/.go", "a/b", "a/bc/d", "a/b/c/d", "x.go/", "dir/x.go"}
	for _, p := range patterns {
		g, err := NewGlob(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			want, _ := doublestar.Match(p, n)
			if got := g.Match(n); got != want {
				t.Errorf("Glob(%q).Match(%q) = %v, doublestar says %v", p, n, got, want)
			}
		}
	}
}

func TestParsePrincipal(t *testing.T) {
	tests := []struct {
		in   string
		want Principal
		err  bool
	}{
		{"alice", Principal{Login: "alice"}, false},
		{"@alice", Principal{Login: "alice"}, false},
		{"@acme/sre", Principal{Team: "acme/sre"}, false},
		{"slack:U024BE7LH", Principal{SlackUser: "U024BE7LH"}, false},
		{"slack:S0614TZR7", Principal{SlackGroup: "S0614TZR7"}, false},
		{"slack:#releases", Principal{}, true},
		{"@acme/", Principal{}, true},
		{"acme/sre", Principal{}, true},
		{"", Principal{}, true},
	}
	for _, tt := range tests {
		got, err := ParsePrincipal(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParsePrincipal(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
