package release

import (
	"slices"
	"testing"
)

func TestPreviousCandidates(t *testing.T) {
	tags := []Tag{{Name: "v1.2.0"}, {Name: "v1.10.0"}, {Name: "v1.3.0-rc.1"}, {Name: "latest"}, {Name: "v2.0.0"}, {Name: "v0.9.1"}}
	v, _ := ParseTag("v", "v2.0.0")
	tests := []struct {
		name string
		v    *Version
		want []string
	}{
		{"stable tags below the version, highest first", &v, []string{"v1.10.0", "v1.2.0", "v0.9.1"}},
		{"without a version every stable tag counts", nil, []string{"v2.0.0", "v1.10.0", "v1.2.0", "v0.9.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range PreviousCandidates("v", tags, tt.v) {
				got = append(got, c.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
