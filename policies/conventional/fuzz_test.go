package conventional

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks the parser's invariants on arbitrary input: it never
// panics; every failure wraps ErrNotConventional; a success reports the
// type written at the start of the header, round-trips its header through
// Header and ParseTitle, and is breaking exactly when the header has `!` or
// a footer is BREAKING CHANGE. The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, message string) {
		c, err := Parse(message)
		if err != nil {
			if !errors.Is(err, ErrNotConventional) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrNotConventional", message, err)
			}
			return
		}
		header := strings.TrimLeft(strings.ReplaceAll(message, "\r\n", "\n"), " \t\n")
		header, _, _ = strings.Cut(header, "\n")

		if c.Type == "" || c.Type != strings.ToLower(c.Type) {
			t.Fatalf("Parse(%q).Type = %q, want a non-empty lower-case type", message, c.Type)
		}
		if !strings.EqualFold(header[:len(c.Type)], c.Type) {
			t.Fatalf("Parse(%q).Type = %q, but the header starts with %q", message, c.Type, header[:len(c.Type)])
		}
		afterType := header[len(c.Type):]
		if c.Scope != "" {
			if want := "(" + c.Scope + ")"; !strings.HasPrefix(afterType, want) {
				t.Fatalf("Parse(%q).Scope = %q, but the header continues with %q", message, c.Scope, afterType)
			}
			afterType = afterType[len(c.Scope)+2:]
		}
		bang := strings.HasPrefix(afterType, "!")
		breakingFooter := false
		for _, ft := range c.Footers {
			if ft.Value == "" || (ft.Separator != SeparatorColon && ft.Separator != SeparatorHash) {
				t.Fatalf("Parse(%q) gave a malformed footer %#v", message, ft)
			}
			if ft.Token != BreakingChange && strings.ContainsAny(ft.Token, " \t\n") {
				t.Fatalf("Parse(%q) gave footer token %q with white space", message, ft.Token)
			}
			breakingFooter = breakingFooter || ft.IsBreaking()
		}
		if c.Breaking != (bang || breakingFooter) {
			t.Fatalf("Parse(%q).Breaking = %v, want %v (bang %v, breaking footer %v)", message, c.Breaking, bang || breakingFooter, bang, breakingFooter)
		}

		again, err := ParseTitle(c.Header())
		if err != nil {
			t.Fatalf("ParseTitle(%q) of a parsed header failed: %v", c.Header(), err)
		}
		if again.Type != c.Type || again.Scope != c.Scope || again.Subject != c.Subject || again.Breaking != c.Breaking {
			t.Fatalf("header %q did not round-trip: got %#v from %#v", c.Header(), again, c)
		}
		title, err := ParseTitle(header)
		if err != nil {
			t.Fatalf("ParseTitle(%q) failed where Parse succeeded: %v", header, err)
		}
		if title.Type != c.Type || title.Scope != c.Scope || title.Subject != c.Subject || title.Breaking != bang {
			t.Fatalf("ParseTitle(%q) = %#v, disagrees with Parse = %#v", header, title, c)
		}
	})
}
