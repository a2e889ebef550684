package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

// TestReadmeOrganisationExample holds the README's worked organisation
// example true: the base and the repository's policy merge into what the
// text says, and the weakening it quotes gives the error it quotes.
func TestReadmeOrganisationExample(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "**A worked example.**")
	if start < 0 {
		t.Fatal("the README has no worked organisation example")
	}
	section := readme[start:]
	section = section[:strings.Index(section, "\n## ")]
	fence := regexp.MustCompile("(?ms)^```([a-z]*)\n(.*?)^```$")
	blocks := fence.FindAllStringSubmatch(section, -1)
	if len(blocks) != 3 {
		t.Fatalf("%d fenced blocks in the example, want the base, the repository's policy and an error", len(blocks))
	}
	base, repo, quoted := blocks[0][2], blocks[1][2], strings.TrimSpace(blocks[2][2])
	const ref = "acme/.github:shipgate.yml@main"
	resolve := func(src policies.Source) ([]byte, error) {
		if src.String() != ref {
			t.Fatalf("asked for %s", src)
		}
		return []byte(base), nil
	}
	src := policies.Source{Repo: "acme/payments", Path: ".shipgate.yml", Ref: "main"}
	p, _, err := policies.LoadExtended(".shipgate.yml", src, []byte(repo), resolve)
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	var names []string
	for _, a := range p.Approvals {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, ","); got != "reviewers,docs,security" || p.Approvals[0].Required != 3 || !p.Approvals[0].CodeOwners ||
		p.Approvals[1].From[0].Team != "acme/payments" || len(p.Freeze.Windows) != 1 || p.ChangeRecord == nil || len(p.Branches) != 2 {
		t.Errorf("merged: approvals %s %+v, freeze %+v, branches %v", got, p.Approvals, p.Freeze, p.Branches)
	}
	weak := strings.Replace(repo, "required: 3                  # stricter: fine", "required: 1", 1)
	_, _, err = policies.LoadExtended(".shipgate.yml", src, []byte(weak), resolve)
	if err == nil || err.Error() != quoted {
		t.Errorf("required: 1 gives\n%v\nthe README quotes\n%s", err, quoted)
	}
}
