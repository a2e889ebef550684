package githistory

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies/release"
)

func TestReleaseTags(t *testing.T) {
	r := newTestRepo(t)
	c1 := r.commit("chore: init")
	r.git("tag", "v1.0.0")
	r.commit("feat: a")
	c2 := r.commit("fix: b")
	r.git("tag", "-a", "-m", "1.1.0", "v1.1.0")
	r.git("tag", "not-a-version")
	r.git("branch", "release/1.1")
	r.commit("feat: c")
	rc1 := r.commit("feat: d")
	r.git("tag", "v1.2.0-rc.1")
	r.git("tag", "nightly")
	head := r.commit("fix: e")
	r.git("switch", "-q", "release/1.1")
	backport := r.commit("fix: backport")
	r.git("switch", "-q", "-c", "future", "main")
	r.commit("feat: f")
	r.git("tag", "v2.0.0") // newer than everything, not reachable from main or release/1.1
	r.git("switch", "-q", "main")

	untagged := newTestRepo(t)
	untagged.commit("chore: one")

	below := func(s string) *release.Version {
		v, err := release.ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	tests := []struct {
		name   string
		repo   *testRepo
		to     string
		prefix string
		below  *release.Version
		want   []release.Tag
	}{
		{"on main the pre-releases above the latest stable tag come with it", r, "main", "v", nil,
			[]release.Tag{{Name: "v1.2.0-rc.1", SHA: rc1}, {Name: "v1.1.0", SHA: c2}}},
		{"at a tag the tag itself is the latest", r, "v1.1.0", "v", nil,
			[]release.Tag{{Name: "v1.1.0", SHA: c2}}},
		{"a bound leaves out the versions at and above it", r, head, "v", below("1.1.0"),
			[]release.Tag{{Name: "v1.0.0", SHA: c1}}},
		{"a release branch does not see the tags made on main after it forked", r, backport, "v", nil,
			[]release.Tag{{Name: "v1.1.0", SHA: c2}}},
		{"another prefix finds nothing", r, "main", "release-", nil, nil},
		{"a repository without tags has none", untagged, "HEAD", "v", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := open(t, tt.repo.dir).ReleaseTags(context.Background(), tt.to, tt.prefix, tt.below)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReleaseTags(%s) = %v, want %v", tt.to, got, tt.want)
			}
		})
	}

	_, err := open(t, r.dir).ReleaseTags(context.Background(), "nope", "v", nil)
	if err == nil || !strings.Contains(err.Error(), "listing tags reachable from nope in "+r.dir) {
		t.Errorf("ReleaseTags(nope) error = %v, want one naming the ref and the repository", err)
	}
}
