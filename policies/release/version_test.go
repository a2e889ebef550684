package release

import (
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func TestParseTag(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		tag     string
		want    Version
		wantErr string
	}{
		{name: "a plain version tag parses", prefix: "v", tag: "v1.2.3", want: Version{Major: 1, Minor: 2, Patch: 3}},
		{name: "a pre-release and build metadata are kept", prefix: "v", tag: "v2.0.0-rc.1+build.5", want: Version{Major: 2, Prerelease: "rc.1", Metadata: "build.5"}},
		{name: "an empty prefix takes bare versions", prefix: "", tag: "0.1.0", want: Version{Minor: 1}},
		{name: "a longer prefix is stripped", prefix: "api/v", tag: "api/v3.4.5", want: Version{Major: 3, Minor: 4, Patch: 5}},
		{name: "a missing patch is rejected with a corrected example", prefix: "v", tag: "v1.2", wantErr: "v1.2 is not a semantic version: want vMAJOR.MINOR.PATCH, e.g. v1.2.0"},
		{name: "a leading zero is rejected", prefix: "v", tag: "v01.2.3", wantErr: "v01.2.3 is not a semantic version: want vMAJOR.MINOR.PATCH, e.g. v1.2.3"},
		{name: "a leading zero in a numeric pre-release is rejected", prefix: "v", tag: "v1.2.3-rc.01", wantErr: "v1.2.3-rc.01 is not a semantic version: want vMAJOR.MINOR.PATCH, e.g. v1.0.0"},
		{name: "a word is rejected", prefix: "v", tag: "vnext", wantErr: "vnext is not a semantic version: want vMAJOR.MINOR.PATCH, e.g. v1.0.0"},
		{name: "a missing prefix is rejected", prefix: "v", tag: "1.2.3", wantErr: `1.2.3 is not a version tag: want the prefix "v", e.g. v1.2.3`},
		{name: "the prefix is case-sensitive", prefix: "v", tag: "V1.2.3", wantErr: `V1.2.3 is not a version tag: want the prefix "v", e.g. v1.2.3`},
		{name: "a doubled prefix is rejected", prefix: "v", tag: "vv1.2.3", wantErr: "vv1.2.3 is not a semantic version: want vMAJOR.MINOR.PATCH, e.g. v1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTag(tt.prefix, tt.tag)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseTag(%q, %q) error = %v, want %q", tt.prefix, tt.tag, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTag(%q, %q): %v", tt.prefix, tt.tag, err)
			}
			if got != tt.want {
				t.Errorf("ParseTag(%q, %q) = %#v, want %#v", tt.prefix, tt.tag, got, tt.want)
			}
			if back := got.Tag(tt.prefix); back != tt.tag {
				t.Errorf("Tag() = %q, want %q", back, tt.tag)
			}
		})
	}
}

func TestParseVersionRejectsPrefix(t *testing.T) {
	_, err := ParseVersion("v1.2.3")
	if err == nil {
		t.Fatal("ParseVersion(v1.2.3) succeeded, want an error")
	}
	want := `"v1.2.3" is not a semantic version: want MAJOR.MINOR.PATCH, e.g. 1.2.3: invalid characters in version`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestCompareFollowsSemverPrecedence(t *testing.T) {
	// SemVer 2.0.0 §11's example, in ascending order.
	ordered := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"}
	for i := range ordered {
		for j := range ordered {
			a, b := mustVersion(t, ordered[i]), mustVersion(t, ordered[j])
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", a, b, got, want)
			}
		}
	}
	if got := mustVersion(t, "1.0.0+a").Compare(mustVersion(t, "1.0.0+b")); got != 0 {
		t.Errorf("build metadata changed precedence: Compare = %d, want 0", got)
	}
}

func TestVersionBump(t *testing.T) {
	tests := []struct {
		name string
		from string
		bump policies.Bump
		want string
	}{
		{"a major bump resets minor and patch", "1.2.3", policies.BumpMajor, "2.0.0"},
		{"a minor bump resets patch", "1.2.3", policies.BumpMinor, "1.3.0"},
		{"a patch bump increments patch", "1.2.3", policies.BumpPatch, "1.2.4"},
		{"no bump keeps the version", "1.2.3", policies.BumpNone, "1.2.3"},
		{"a bump drops the pre-release and metadata", "1.2.3-rc.1+b", policies.BumpPatch, "1.2.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustVersion(t, tt.from).Bump(tt.bump).String(); got != tt.want {
				t.Errorf("%s.Bump(%s) = %s, want %s", tt.from, tt.bump, got, tt.want)
			}
		})
	}
}

func mustVersion(t testing.TB, s string) Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
