package conventional

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		message string
		want    Commit
	}{
		{
			name:    "spec example: a BREAKING CHANGE footer marks the commit breaking",
			message: "feat: allow provided config object to extend other configs\n\nBREAKING CHANGE: `extends` key in config file is now used for extending other config files",
			want: Commit{Type: "feat", Breaking: true, Subject: "allow provided config object to extend other configs",
				Footers: []Footer{{Token: "BREAKING CHANGE", Separator: ": ", Value: "`extends` key in config file is now used for extending other config files"}}},
		},
		{
			name:    "spec example: ! draws attention to a breaking change",
			message: "feat!: send an email to the customer when a product is shipped",
			want:    Commit{Type: "feat", Breaking: true, Subject: "send an email to the customer when a product is shipped"},
		},
		{
			name:    "spec example: ! follows the scope",
			message: "feat(api)!: send an email to the customer when a product is shipped",
			want:    Commit{Type: "feat", Scope: "api", Breaking: true, Subject: "send an email to the customer when a product is shipped"},
		},
		{
			name:    "spec example: ! and a BREAKING CHANGE footer together",
			message: "chore!: drop support for Node 6\n\nBREAKING CHANGE: use JavaScript features not available in Node 6.",
			want: Commit{Type: "chore", Breaking: true, Subject: "drop support for Node 6",
				Footers: []Footer{{Token: "BREAKING CHANGE", Separator: ": ", Value: "use JavaScript features not available in Node 6."}}},
		},
		{
			name:    "spec example: a commit with no body",
			message: "docs: correct spelling of CHANGELOG",
			want:    Commit{Type: "docs", Subject: "correct spelling of CHANGELOG"},
		},
		{
			name:    "spec example: a scope",
			message: "feat(lang): add Polish language",
			want:    Commit{Type: "feat", Scope: "lang", Subject: "add Polish language"},
		},
		{
			name: "spec example: a multi-paragraph body and multiple footers",
			message: "fix: prevent racing of requests\n\n" +
				"Introduce a request id and a reference to latest request. Dismiss\nincoming responses other than from latest request.\n\n" +
				"Remove timeouts which were used to mitigate the racing issue but are\nobsolete now.\n\n" +
				"Reviewed-by: Z\nRefs: #123\n",
			want: Commit{Type: "fix", Subject: "prevent racing of requests",
				Body: "Introduce a request id and a reference to latest request. Dismiss\nincoming responses other than from latest request.\n\n" +
					"Remove timeouts which were used to mitigate the racing issue but are\nobsolete now.",
				Footers: []Footer{{Token: "Reviewed-by", Separator: ": ", Value: "Z"}, {Token: "Refs", Separator: ": ", Value: "#123"}}},
		},
		{
			name:    "spec example: revert with a Refs footer",
			message: "revert: let us never again speak of the noodle incident\n\nRefs: 676104e, a215868",
			want: Commit{Type: "revert", Subject: "let us never again speak of the noodle incident",
				Footers: []Footer{{Token: "Refs", Separator: ": ", Value: "676104e, a215868"}}},
		},
		{
			name:    "BREAKING-CHANGE is a synonym of BREAKING CHANGE",
			message: "fix: x\n\nBREAKING-CHANGE: the API changed",
			want: Commit{Type: "fix", Breaking: true, Subject: "x",
				Footers: []Footer{{Token: "BREAKING-CHANGE", Separator: ": ", Value: "the API changed"}}},
		},
		{
			name:    "a lower-case breaking change footer is not breaking",
			message: "fix: x\n\nbreaking-change: maybe",
			want:    Commit{Type: "fix", Subject: "x", Footers: []Footer{{Token: "breaking-change", Separator: ": ", Value: "maybe"}}},
		},
		{
			name:    "a hash separator footer keeps the value after the hash",
			message: "fix: crash on start\n\nCloses #42\nFixes #43",
			want: Commit{Type: "fix", Subject: "crash on start",
				Footers: []Footer{{Token: "Closes", Separator: " #", Value: "42"}, {Token: "Fixes", Separator: " #", Value: "43"}}},
		},
		{
			name:    "a footer value spans lines until the next token",
			message: "feat: y\n\nBREAKING CHANGE: first line\nsecond line\n\nthird paragraph\nAcked-by: Bob",
			want: Commit{Type: "feat", Breaking: true, Subject: "y",
				Footers: []Footer{{Token: "BREAKING CHANGE", Separator: ": ", Value: "first line\nsecond line\n\nthird paragraph"}, {Token: "Acked-by", Separator: ": ", Value: "Bob"}}},
		},
		{
			name:    "a BREAKING CHANGE line inside a body paragraph is still found",
			message: "refactor: z\n\nSome text\nBREAKING CHANGE: gone",
			want: Commit{Type: "refactor", Breaking: true, Subject: "z", Body: "Some text",
				Footers: []Footer{{Token: "BREAKING CHANGE", Separator: ": ", Value: "gone"}}},
		},
		{
			name:    "a colon inside a body paragraph does not start the footers",
			message: "fix: a\n\nThe cause was simple\nNote: only on Linux",
			want:    Commit{Type: "fix", Subject: "a", Body: "The cause was simple\nNote: only on Linux"},
		},
		{
			name:    "a URL at the start of a paragraph is not a footer",
			message: "docs: link\n\nhttps://example.com/x",
			want:    Commit{Type: "docs", Subject: "link", Body: "https://example.com/x"},
		},
		{
			name:    "the type is case-insensitive and reported in lower case",
			message: "FEAT(Parser): Add arrays",
			want:    Commit{Type: "feat", Scope: "Parser", Subject: "Add arrays"},
		},
		{
			name:    "CRLF line endings are accepted",
			message: "fix: a\r\n\r\nbody\r\n\r\nRefs: #1\r\n",
			want:    Commit{Type: "fix", Subject: "a", Body: "body", Footers: []Footer{{Token: "Refs", Separator: ": ", Value: "#1"}}},
		},
		{
			name:    "a body without the blank line after the header is accepted",
			message: "fix: a\nbody right away",
			want:    Commit{Type: "fix", Subject: "a", Body: "body right away"},
		},
		{
			name:    "extra spaces around the description are trimmed",
			message: "fix:   spaced out   \n",
			want:    Commit{Type: "fix", Subject: "spaced out"},
		},
		{
			name:    "a BREAKING CHANGE with a hash is not a footer",
			message: "fix: a\n\nBREAKING-CHANGE #12",
			want:    Commit{Type: "fix", Subject: "a", Body: "BREAKING-CHANGE #12"},
		},
		{
			name:    "footers directly after the header without a body",
			message: "fix: a\n\nSigned-off-by: Alice <a@example.com>",
			want:    Commit{Type: "fix", Subject: "a", Footers: []Footer{{Token: "Signed-off-by", Separator: ": ", Value: "Alice <a@example.com>"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.message)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.message, got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name    string
		message string
		wantErr string
	}{
		{"an empty message is not conventional", "", `"" is not a conventional commit: the message is empty; write TYPE[(SCOPE)][!]: DESCRIPTION, e.g. "fix(api): reject empty tokens"`},
		{"a plain sentence has no colon after its first word", "Update README", `"Update README" is not a conventional commit: no colon after the type "Update"; write TYPE[(SCOPE)][!]: DESCRIPTION, e.g. "fix(api): reject empty tokens"`},
		{"a GitHub merge commit is not conventional", "Merge pull request #12 from a/b\n\nfeat: x", `"Merge pull request #12 from a/b" is not a conventional commit: no colon after the type "Merge"`},
		{"a colon without a space is rejected", "fix:thing", `the colon must be followed by a space`},
		{"an empty description is rejected", "fix: ", `the description is empty`},
		{"a bare colon is rejected", "fix:", `the description is empty`},
		{"an empty scope is rejected", "fix(): x", `the scope is empty`},
		{"an unclosed scope is rejected", "fix(api: x", `the scope is not closed with )`},
		{"a nested parenthesis in the scope is rejected", "fix(a(b)): x", `the scope is not closed with )`},
		{"a space before the scope is rejected", "fix (api): x", `no colon after the type "fix"`},
		{"a header starting with punctuation has no type", "[fix]: x", `it does not start with a type`},
		{"a type must start with a letter", "1fix: x", `it does not start with a type`},
		{"a long header is shortened in the error", "this is a very long commit message header that goes on and on and on and on", `"this is a very long commit message header that goes on and on and on ..."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.message)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error", tt.message)
			}
			if !errors.Is(err, ErrNotConventional) {
				t.Errorf("error %v does not wrap ErrNotConventional", err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *SyntaxError", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseTitle(t *testing.T) {
	tests := []struct {
		name    string
		title   string
		want    Commit
		wantErr string
	}{
		{name: "a PR title with scope and bang", title: "feat(api)!: drop v1 endpoints", want: Commit{Type: "feat", Scope: "api", Breaking: true, Subject: "drop v1 endpoints"}},
		{name: "a PR title with surrounding spaces", title: "  fix: trim  ", want: Commit{Type: "fix", Subject: "trim"}},
		{name: "a title never has footers, even when it looks like one", title: "BREAKING CHANGE: x", wantErr: `no colon after the type "BREAKING"`},
		{name: "a title with a line break is rejected", title: "fix: a\nb", wantErr: "a title must be a single line"},
		{name: "a plain title is rejected", title: "Add caching", wantErr: `no colon after the type "Add"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTitle(tt.title)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrNotConventional) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTitle(%q) error = %v, want one containing %q", tt.title, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTitle: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseTitle(%q)\n got %#v\nwant %#v", tt.title, got, tt.want)
			}
		})
	}
}

func TestCommitAccessors(t *testing.T) {
	c, err := Parse("feat(ui)!: new layout\n\nbody\n\nreviewed-by: Ann\nBREAKING CHANGE: sidebar moved\nRefs #7")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Header(), "feat(ui)!: new layout"; got != want {
		t.Errorf("Header() = %q, want %q", got, want)
	}
	if v, ok := c.Footer("Reviewed-By"); !ok || v != "Ann" {
		t.Errorf(`Footer("Reviewed-By") = %q, %v; want "Ann", true`, v, ok)
	}
	if _, ok := c.Footer("breaking change"); ok {
		t.Errorf(`Footer("breaking change") found a footer; BREAKING CHANGE must match exactly`)
	}
	if got, want := c.BreakingNote(), "sidebar moved"; got != want {
		t.Errorf("BreakingNote() = %q, want %q", got, want)
	}
	if got, want := c.Footers[2].String(), "Refs #7"; got != want {
		t.Errorf("Footer.String() = %q, want %q", got, want)
	}
	if got, want := (Commit{Type: "fix", Subject: "x"}).Header(), "fix: x"; got != want {
		t.Errorf("Header() = %q, want %q", got, want)
	}
}

var benchMessages = []string{
	"feat(api): add pagination to the list endpoint (#1234)",
	"fix: prevent racing of requests\n\nIntroduce a request id and a reference to latest request.\n\nReviewed-by: Z\nRefs: #123",
	"chore(deps): bump golang.org/x/net from 0.20.0 to 0.21.0",
	"feat!: drop support for Go 1.20\n\nBREAKING CHANGE: the minimum Go version is now 1.21.",
	"Merge pull request #99 from acme/feature",
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = Parse(benchMessages[i%len(benchMessages)])
	}
}

func BenchmarkParseTitle(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseTitle("feat(api): add pagination to the list endpoint")
	}
}
