package review

import (
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func TestSemverOfAComponent(t *testing.T) {
	p := mustPolicy(t, `version: 1
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
components:
  - {name: api, paths: ["services/api/**"]}
  - {name: web, paths: ["apps/web/**"]}
`)
	dave := policies.Actor{Login: "dave"}
	perms := map[string]policies.Permission{"dave": policies.PermWrite}
	for _, tc := range []struct {
		name, body  string
		labels      []string
		accepted    bool
		reasonHas   string
		add, remove []string
	}{
		{"/semver api minor sets api's label and removes its others", "/semver api minor", []string{"semver:api:patch", "semver:web:patch", "semver:minor"},
			true, "", []string{"semver:api:minor"}, []string{"semver:api:patch"}},
		{"the name compares without case", "/semver API major", nil, true, "", []string{"semver:api:major"}, nil},
		{"an unknown component is refused with the names there are", "/semver mobile minor", nil, false, "no component mobile; its components: api, web", nil, nil},
		{"/semver minor stays the repository's", "/semver minor", []string{"semver:api:patch"}, true, "", []string{"semver:minor"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &policies.Change{Author: dave, Labels: tc.labels, Permissions: perms}
			ds := Decide(p, c, dave, policies.ParseCommands(tc.body), Features{})
			if len(ds) != 1 {
				t.Fatalf("%d decisions", len(ds))
			}
			d := ds[0]
			if d.Accepted != tc.accepted || !strings.Contains(d.Reason, tc.reasonHas) || !slices.Equal(d.AddLabels, tc.add) || !slices.Equal(d.RemoveLabels, tc.remove) {
				t.Errorf("accepted %v (%q), add %q, remove %q; want %v (%q), %q, %q", d.Accepted, d.Reason, d.AddLabels, d.RemoveLabels, tc.accepted, tc.reasonHas, tc.add, tc.remove)
			}
		})
	}
}
