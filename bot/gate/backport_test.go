package gate

import "testing"

func TestSamePatchesComparesTheChangedLinesOnly(t *testing.T) {
	fix := map[string]string{"q.sql": "@@ -1,3 +1,3 @@ begin\n select 1;\n--- old comment\n+-- new comment\n"}
	for _, tt := range []struct {
		name string
		b    map[string]string
		want bool
	}{
		{"the same lines at another place", map[string]string{"q.sql": "@@ -40,3 +40,3 @@\n select 2;\n--- old comment\n+-- new comment\n"}, true},
		{"another removed line", map[string]string{"q.sql": "@@ -1,3 +1,3 @@\n--- other comment\n+-- new comment\n"}, false},
		{"a file more", map[string]string{"q.sql": fix["q.sql"], "x.go": "@@ -1 +1 @@\n-a\n+b\n"}, false},
		{"another file", map[string]string{"r.sql": fix["q.sql"]}, false},
		{"nothing", map[string]string{}, false},
	} {
		if got := samePatches(fix, tt.b); got != tt.want {
			t.Errorf("%s: samePatches = %v, want %v", tt.name, got, tt.want)
		}
	}
}
