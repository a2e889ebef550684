package policies

import (
	"strings"
	"testing"
)

func TestLoadRuleLogicErrorsWithTheirPlace(t *testing.T) {
	// Sources start after "version: 1\n", so their first line is line 2.
	tests := []struct {
		name, src string
		want      []string
	}{
		{"any_of and all_of together",
			"approvals:\n  - any_of: [{from: [a]}]\n    all_of: [{from: [b]}]\n",
			[]string{`p.yml:4:13: approvals[0].all_of: give any_of or all_of, not both; nest one inside the other, e.g. any_of: [{all_of: [...]}, {...}]`}},
		{"counting keys on a combination",
			"approvals:\n  - any_of: [{from: [a]}]\n    required: 2\n    from: [b]\n",
			[]string{
				`p.yml:4:15: approvals[0].required: required belongs on the rules inside any_of/all_of: an entry that combines rules has only name, when and the rules`,
				`p.yml:5:11: approvals[0].from: from belongs on the rules inside any_of/all_of: an entry that combines rules has only name, when and the rules`,
			}},
		{"an empty any_of",
			"approvals:\n  - name: x\n    any_of: []\n",
			[]string{`p.yml:4:13: approvals[0].any_of: empty any_of; list the approval rules it combines, e.g. any_of: [{from: ["@acme/sre"]}, {required: 2}]`}},
		{"an error inside a nested rule has its full path",
			"approvals:\n  - any_of:\n      - all_of:\n          - {from: [a], required: 0}\n",
			[]string{`p.yml:5:35: approvals[0].any_of[0].all_of[0].required: 0 is out of range; allowed: 1 to 100`}},
		{"duplicate member names",
			"approvals:\n  - any_of:\n      - {name: sre, from: [a]}\n      - {name: SRE, from: [b]}\n",
			[]string{`p.yml:5:16: approvals[0].any_of[1].name: duplicate rule name "SRE" (also approvals[0].any_of[0]); names must differ`}},
		{"nesting too deep",
			"approvals:\n  - any_of:\n    - all_of:\n      - any_of:\n        - all_of:\n          - any_of: [{from: [a]}]\n",
			[]string{`p.yml:7:21: approvals[0].any_of[0].all_of[0].any_of[0].all_of[0].any_of: any_of and all_of nest more than 4 deep; flatten the rules`}},
		{"too many ways",
			"approvals:\n  - name: big\n    all_of:\n" + strings.Repeat("      - any_of: [{from: [a]}, {from: [b]}]\n", 6),
			[]string{`p.yml:5:7: approvals[0].all_of: "big" can be satisfied in 64 ways (the product of its any_of sizes); at most 32 are allowed: split it into separate entries`}},
		{"authors_in takes teams only",
			"title:\n  when: {authors_in: [alice]}\n",
			[]string{`p.yml:3:23: title.when.authors_in[0]: "alice" is not a team; authors_in takes teams written @org/team (GitLab: @group/subgroup); list single people under authors`}},
		{"changed_lines needs a bound",
			"title:\n  when: {changed_lines: {}}\n",
			[]string{`p.yml:3:25: title.when.changed_lines: give over, under or both, e.g. changed_lines: {over: 500}`}},
		{"changed_lines bounds that hold for nothing",
			"title:\n  when: {changed_lines: {over: 10, under: 11}}\n",
			[]string{`p.yml:3:25: title.when.changed_lines: over 10 and under 11 hold for no change: no line count is above 10 and below 11`}},
		{"changed_lines under 0",
			"title:\n  when: {changed_lines: {under: 0}}\n",
			[]string{`p.yml:3:33: title.when.changed_lines.under: 0 holds for no change; under counts lines and must be at least 1`}},
		{"a bad title pattern",
			"title:\n  when: {title: ['(']}\n",
			[]string{"p.yml:3:18: title.when.title[0]: invalid regular expression \"(\": missing closing ): `(` (RE2 syntax: no look-around or back-references)"}},
		{"an empty not",
			"title:\n  when: {not: {}}\n",
			[]string{`p.yml:3:15: title.when.not: not: {} holds for no change, so the rule would never apply; give the condition to negate, e.g. not: {labels: [trivial]}`}},
		{"an error inside not has its path",
			"title:\n  when: {not: {authors_in: [bob]}}\n",
			[]string{`p.yml:3:29: title.when.not.authors_in[0]: "bob" is not a team; authors_in takes teams written @org/team (GitLab: @group/subgroup); list single people under authors`}},
		{"empty_release takes none or patch",
			"semver:\n  empty_release: minor\n",
			[]string{`p.yml:3:18: semver.empty_release: "minor" is not allowed; allowed values: none, patch`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadErrorLines(t, "version: 1\n"+tt.src)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadRuleLogic(t *testing.T) {
	p := loadPolicyOK(t, `version: 1
approvals:
  - name: release
    when: {branches: [main]}
    any_of:
      - {name: sre, from: ["@acme/sre"]}
      - all_of:
          - {from: [alice, bob], required: 2}
          - {codeowners: true}
hotfix:
  branches: ["hotfix/*"]
  approvals:
    any_of: [{from: ["@acme/sre"]}, {required: 2}]
semver:
  empty_release: patch
`)
	r := p.Approvals[0]
	if r.Name != "release" || len(r.AnyOf) != 2 || len(r.AnyOf[1].AllOf) != 2 || r.AnyOf[0].Name != "sre" || r.AnyOf[1].AllOf[0].Required != 2 || !r.AnyOf[1].AllOf[1].CodeOwners {
		t.Errorf("approvals[0] = %+v", r)
	}
	if got := r.Describe(); got != "any_of (1 from @acme/sre, all_of (2 from alice, bob, 1))" {
		t.Errorf("Describe() = %s", got)
	}
	if h := p.Hotfix.Approval; h == nil || len(h.AnyOf) != 2 {
		t.Errorf("hotfix.approvals = %+v", h)
	}
	if p.Release.EmptyRelease != BumpPatch {
		t.Errorf("EmptyRelease = %q", p.Release.EmptyRelease)
	}
	if d := loadPolicyOK(t, "version: 1\n"); d.Release.EmptyRelease != BumpNone {
		t.Errorf("default EmptyRelease = %q, want none", d.Release.EmptyRelease)
	}
}
