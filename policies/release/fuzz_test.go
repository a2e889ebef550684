package release

import (
	"strings"
	"testing"
)

// FuzzParseTag checks that tag parsing never panics, that every error names
// the tag, and that an accepted tag is canonical: formatting it gives the
// same name back and it compares equal to itself. The seed corpus is in
// testdata/fuzz/FuzzParseTag.
func FuzzParseTag(f *testing.F) {
	f.Fuzz(func(t *testing.T, prefix, name string) {
		v, err := ParseTag(prefix, name)
		if err != nil {
			if !strings.HasPrefix(err.Error(), name+" is not a ") {
				t.Fatalf("ParseTag(%q, %q) error %q does not start with the name", prefix, name, err)
			}
			return
		}
		if got := v.Tag(prefix); got != name {
			t.Fatalf("ParseTag(%q, %q) = %#v, formats back as %q", prefix, name, v, got)
		}
		again, err := ParseVersion(v.String())
		if err != nil || again != v {
			t.Fatalf("ParseVersion(%q) = %#v, %v; want %#v", v.String(), again, err, v)
		}
		if v.Compare(v) != 0 || v.Core().Compare(v) < 0 {
			t.Fatalf("%s compares wrongly with itself or its core", v)
		}
		if next := v.Bump("patch"); next.Compare(v) <= 0 {
			t.Fatalf("%s bumped to %s, which is not greater", v, next)
		}
	})
}
