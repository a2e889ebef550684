package gitlab_test

import "github.com/shipgate/shipgate/policies"

// ruleLogicPolicy asks a big change for a second reviewer, lets the SRE
// team or two reviewers approve, skips docs-only titles, and asks the
// security team for changes by people outside @acme/staff.
const ruleLogicPolicy = `version: 1
branches: [main]
approvals:
  - name: big
    when: {changed_lines: {over: 100}, not: {title: ["^docs"]}}
    required: 2
    from: [alice, bob, erin]
  - name: release
    any_of:
      - {name: sre, from: ["@acme/sre"]}
      - {name: pair, required: 2, from: [alice, bob, erin]}
  - name: outsiders
    when: {not: {authors_in: ["@acme/staff"]}}
    from: [bob]
`

func ruleLogicScenarios() []scenario {
	staff := map[string][]string{"acme/staff": {"dave"}, "acme/sre": {"erin"}}
	return []scenario{
		{name: "rule logic: a small change passes with one SRE", policy: ruleLogicPolicy, title: "feat: gift cards", author: "dave",
			files: []string{"app.go"}, lines: map[string][2]int{"app.go": {40, 20}}, approvals: []string{"erin"}, teams: staff, want: policies.Success},
		{name: "rule logic: a big change counts added and deleted lines on both hosts", policy: ruleLogicPolicy, title: "feat: gift cards", author: "dave",
			files: []string{"app.go", "db.go"}, lines: map[string][2]int{"app.go": {40, 20}, "db.go": {30, 11}}, approvals: []string{"erin"}, teams: staff, want: policies.Pending},
		{name: "rule logic: a big docs change is not big by its title", policy: ruleLogicPolicy, title: "docs: rewrite the guide", author: "dave",
			files: []string{"guide.md"}, lines: map[string][2]int{"guide.md": {400, 300}}, approvals: []string{"erin"}, teams: staff, want: policies.Success},
		{name: "rule logic: the pair alternative holds without the SRE", policy: ruleLogicPolicy, title: "feat: gift cards", author: "dave",
			files: []string{"app.go"}, approvals: []string{"alice", "bob"}, teams: staff, want: policies.Success},
		{name: "rule logic: an author outside the staff team needs bob", policy: ruleLogicPolicy, title: "feat: gift cards", author: "alice",
			files: []string{"app.go"}, approvals: []string{"erin"}, teams: staff, want: policies.Pending},
		{name: "rule logic: a team the host does not show leaves its condition unknown, never false", policy: ruleLogicPolicy, title: "feat: gift cards", author: "dave",
			files: []string{"app.go"}, approvals: []string{"erin"}, teams: map[string][]string{"acme/sre": {"erin"}}, want: policies.Pending},
	}
}
