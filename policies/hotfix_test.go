package policies

import (
	"errors"
	"testing"
)

func TestMergeBackOwed(t *testing.T) {
	globs := func(ps ...string) []Glob {
		var out []Glob
		for _, p := range ps {
			g, err := NewGlob(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, g)
		}
		return out
	}
	every := &HotfixRule{Branches: globs("hotfix/*"), Into: globs("release/*"), MergeBackTo: "main", MergeBackEveryChange: true}
	named := *every
	named.MergeBackEveryChange = false
	none := *every
	none.MergeBackTo = ""
	errDown := errors.New("store down")
	for _, tc := range []struct {
		name       string
		rule       *HotfixRule
		head, base string
		declared   bool
		declErr    error
		want       bool
		wantErr    error
	}{
		{name: "any change into a release line owes it (the default)", rule: every, head: "fix/crash", base: "release/1.2", want: true},
		{name: "a change into the main line owes nothing", rule: every, head: "fix/crash", base: "main"},
		{name: "a change into a branch that is no release line owes nothing", rule: every, head: "hotfix/x", base: "develop"},
		{name: "nothing is owed without merge_back_to", rule: &none, head: "hotfix/x", base: "release/1.2"},
		{name: "no hotfix key, nothing owed", rule: nil, head: "hotfix/x", base: "release/1.2"},
		{name: "off: a hotfix branch owes it, declared or not", rule: &named, head: "hotfix/x", base: "release/1.2", want: true},
		{name: "off: a declared change from another branch owes it", rule: &named, head: "fix/crash", base: "release/1.2", declared: true, want: true},
		{name: "off: an undeclared change from another branch owes none", rule: &named, head: "fix/crash", base: "release/1.2"},
		{name: "off: a declaration that cannot be read is an error", rule: &named, head: "fix/crash", base: "release/1.2", declErr: errDown, wantErr: errDown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked := false
			got, err := tc.rule.MergeBackOwed(tc.head, tc.base, func() (bool, error) { asked = true; return tc.declared, tc.declErr })
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("owed = %v, %v; want %v, %v", got, err, tc.want, tc.wantErr)
			}
			if asked && (tc.rule == every || matchAny(tc.rule.Branches, tc.head)) {
				t.Error("the declaration was read although the branch or the policy decided")
			}
		})
	}
}
