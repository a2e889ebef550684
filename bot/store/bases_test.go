package store

import (
	"reflect"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

// basesTests run in the store suite, on both dialects.
var basesTests = []struct {
	name string
	run  func(t *testing.T, x *suite)
}{
	{"a push to a base finds the repositories whose policy extends it", testPolicyUsers},
}

func testPolicyUsers(t *testing.T, x *suite) {
	org := policies.Source{Repo: "acme/.github", Path: "shipgate.yml"}
	pinned := policies.Source{Repo: "acme/policies", Path: "strict.yml", Ref: "v1"}
	set := func(repo string, bases ...policies.Source) {
		t.Helper()
		if err := x.s.AddPolicyBases(ctx, policies.GitHub, repo, bases); err != nil {
			t.Fatalf("AddPolicyBases(%s): %v", repo, err)
		}
	}
	set("acme/web", org)
	set("acme/api", pinned)
	set("acme/api", org)                                // another branch's policy
	set("acme/cli", policies.Source{Path: "local.yml"}) // a local file: never pushed to as a base
	set("acme/app", org)
	if err := x.s.AddPolicyBases(ctx, policies.GitLab, "acme/web", []policies.Source{org}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		repo, branch string
		isDefault    bool
		paths, want  []string
	}{
		{"the default branch's file", "acme/.github", "main", true, []string{"shipgate.yml"}, []string{"acme/api", "acme/app", "acme/web"}},
		{"unknown paths count as any", "acme/.github", "main", true, nil, []string{"acme/api", "acme/app", "acme/web"}},
		{"another file of the base repository", "acme/.github", "main", true, []string{"README.md"}, nil},
		{"another branch than the default", "acme/.github", "dev", false, nil, nil},
		{"a pinned ref", "acme/policies", "v1", false, []string{"strict.yml"}, []string{"acme/api"}},
		{"the default branch is not the pinned ref", "acme/policies", "main", true, nil, nil},
	} {
		got, err := x.s.PolicyUsers(ctx, policies.GitHub, tc.repo, tc.branch, tc.isDefault, tc.paths)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: PolicyUsers = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
