package policies

import (
	"strings"
	"testing"
)

// TestAGateMixingGitHubAndSlackWithoutAMappingIsWarned: Shipgate refuses
// approvals it cannot tell apart, so a policy whose gate mixes GitHub and
// Slack approvers says, at validation, which ones need a mapping.
func TestAGateMixingGitHubAndSlackWithoutAMappingIsWarned(t *testing.T) {
	tests := []struct {
		name  string
		from  string
		users string
		want  string // "" for no warning
	}{
		{"logins and a Slack user, none mapped", `[alice, "slack:U0BOB"]`, `{}`, "does not link alice, slack:U0BOB"},
		{"one of them mapped", `[alice, "slack:U0BOB"]`, `{alice: U0ALICE}`, "does not link slack:U0BOB"},
		{"a team and a Slack group, nothing mapped", `["@acme/sre", "slack:S0SRE"]`, `{}`, "does not link @acme/sre, slack:S0SRE"},
		{"every login and Slack user mapped", `[alice, "slack:U0BOB"]`, `{alice: U0ALICE, bob: U0BOB}`, ""},
		{"a team and a group beside mappings", `["@acme/sre", "slack:S0SRE"]`, `{alice: U0ALICE}`, ""},
		{"GitHub approvers only", `[alice, "@acme/sre"]`, `{}`, ""},
		{"Slack approvers only", `["slack:U0BOB", "slack:S0SRE"]`, `{}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "version: 1\ndeploy:\n  environments:\n    - name: production\n      approval: {required: 1, from: " + tc.from +
				"}\n      steps:\n        - wait: 1m\nnotify:\n  slack: {channel: \"#releases\", users: " + tc.users + "}\n"
			p, err := Load("p.yml", []byte(src))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var got []string
			for _, w := range p.Warnings {
				if strings.HasSuffix(w.Path, "approval.from") {
					got = append(got, w.Error())
				}
			}
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("warnings: %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want) || !strings.Contains(got[0], "p.yml:5:")):
				t.Errorf("warnings: %q, want one at p.yml:5 saying %q", got, tc.want)
			}
		})
	}
}
