package policies

import (
	"slices"
	"testing"
)

func TestPolicyTeams(t *testing.T) {
	p, err := Load(".shipgate.yml", []byte(`version: 1
approvals:
  - {name: a, required: 1, from: ["@acme/release", alice, "@acme/Release"]}
  - {name: b, required: 1, from: ["@acme/platform/dba"], when: {authors: ["@acme/contractors"]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Teams(), []string{"acme/release", "acme/platform/dba", "acme/contractors"}; !slices.Equal(got, want) {
		t.Errorf("Teams() = %q, want %q", got, want)
	}
}
