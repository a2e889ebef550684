package store

import (
	"reflect"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

var citationTests = []struct {
	name string
	run  func(t *testing.T, x *suite)
}{
	{"the open changes citing a record are found, and a change's citations are replaced whole", testCitations},
}

func testCitations(t *testing.T, x *suite) {
	s := x.s
	for _, p := range []PRState{
		{Host: policies.GitHub, Repo: "acme/shop", Number: 1, State: PROpen},
		{Host: policies.GitHub, Repo: "acme/shop", Number: 2, State: PROpen},
		{Host: policies.GitLab, Repo: "acme/group/api", Number: 7, State: PROpen},
		{Host: policies.GitHub, Repo: "acme/shop", Number: 3, State: PRClosed},
	} {
		if err := s.PutPR(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	cite := func(h policies.Host, repo string, n int, ids ...string) {
		t.Helper()
		if err := s.CiteRecords(ctx, h, repo, n, ids); err != nil {
			t.Fatal(err)
		}
	}
	cite(policies.GitHub, "acme/shop", 1, "ACME-1", "CHG0000001", "ACME-1")
	cite(policies.GitHub, "acme/shop", 2, "ACME-1")
	cite(policies.GitLab, "acme/group/api", 7, "ACME-1")
	cite(policies.GitHub, "acme/shop", 3, "ACME-1")
	got, err := s.ChangesCiting(ctx, "ACME-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Citation{{policies.GitHub, "acme/shop", 1}, {policies.GitHub, "acme/shop", 2}, {policies.GitLab, "acme/group/api", 7}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("citing ACME-1 = %+v, want %+v (open changes only)", got, want)
	}
	cite(policies.GitHub, "acme/shop", 2)
	cite(policies.GitHub, "acme/shop", 1, "ACME-2")
	if got, _ := s.ChangesCiting(ctx, "ACME-1"); !reflect.DeepEqual(got, []Citation{{policies.GitLab, "acme/group/api", 7}}) {
		t.Errorf("after the citations changed: %+v", got)
	}
	if got, _ := s.ChangesCiting(ctx, "CHG0000001"); len(got) != 0 {
		t.Errorf("a citation dropped by its change is still found: %+v", got)
	}
	if err := s.CiteRecords(ctx, policies.GitHub, "", 1, nil); err == nil {
		t.Errorf("a citation without a repository was taken")
	}
}
