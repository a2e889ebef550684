package review

import (
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

func mustPolicy(t *testing.T, yaml string) *policies.Policy {
	t.Helper()
	p, err := policies.Load(PolicyFile, []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecide(t *testing.T) {
	strict := mustPolicy(t, `version: 1
approvals:
  - name: reviewers
    required: 2
    from: ["@acme/release-managers", alice]
semver:
  labels: {major: "semver:major", minor: "semver:minor", patch: "semver:patch", none: "semver:none"}
`)
	custom := mustPolicy(t, "version: 1\nhold: {label: blocked}\ncommands: {hold: maintain}\n")
	dave := policies.Actor{Login: "dave"}
	change := func(author string, labels []string, perms map[string]policies.Permission) *policies.Change {
		return &policies.Change{Author: policies.Actor{Login: author}, Labels: labels, Permissions: perms}
	}
	tests := []struct {
		name        string
		p           *policies.Policy
		c           *policies.Change
		by          policies.Actor
		body        string
		accepted    []bool
		reasonHas   string
		add, remove []string
		help        bool
	}{
		{"a hold by a triager adds the hold label", strict, change("erin", nil, map[string]policies.Permission{"dave": policies.PermTriage}),
			dave, "/hold", []bool{true}, "", []string{"do-not-merge/hold"}, nil, false},
		{"a hold on a held change adds nothing", strict, change("erin", []string{"do-not-merge/hold"}, map[string]policies.Permission{"dave": policies.PermTriage}),
			dave, "/hold", []bool{true}, "", nil, nil, false},
		{"hold cancel removes the label", strict, change("erin", []string{"Do-Not-Merge/Hold"}, map[string]policies.Permission{"dave": policies.PermTriage}),
			dave, "/hold cancel", []bool{true}, "", nil, []string{"do-not-merge/hold"}, false},
		{"unhold removes the label", strict, change("erin", []string{"do-not-merge/hold"}, map[string]policies.Permission{"dave": policies.PermTriage}),
			dave, "/unhold", []bool{true}, "", nil, []string{"do-not-merge/hold"}, false},
		{"the policy's own hold label and role apply", custom, change("erin", nil, map[string]policies.Permission{"dave": policies.PermWrite}),
			dave, "/hold", []bool{false}, "maintain", nil, nil, false},
		{"a reader cannot hold", strict, change("erin", nil, map[string]policies.Permission{"dave": policies.PermRead}),
			dave, "/hold", []bool{false}, "triage access", nil, nil, false},
		{"the author cannot approve", strict, change("dave", nil, map[string]policies.Permission{"dave": policies.PermAdmin}),
			dave, "/approve", []bool{false}, "cannot approve it yourself", nil, nil, false},
		{"semver sets its label and removes the others", strict, change("dave", []string{"semver:minor", "bug"}, map[string]policies.Permission{"dave": policies.PermRead}),
			dave, "/semver major", []bool{true}, "", []string{"semver:major"}, []string{"semver:minor"}, false},
		{"semver needs a bump", strict, change("dave", nil, map[string]policies.Permission{"dave": policies.PermRead}),
			dave, "/semver huge", []bool{false}, "major, minor, patch or none", nil, nil, false},
		{"change needs an ID", strict, change("dave", nil, nil), dave, "/change", []bool{false}, "change-record ID", nil, nil, false},
		{"release-note needs text", strict, change("dave", nil, nil), dave, "/release-note", []bool{false}, "give the note", nil, nil, false},
		{"an unknown command is refused", strict, change("dave", nil, nil), dave, "/frobnicate", []bool{false}, "not a Shipgate command", nil, nil, false},
		{"a deployment command without deployments is not enabled", strict, change("dave", nil, map[string]policies.Permission{"dave": policies.PermAdmin}),
			dave, "/deploy staging", []bool{false}, "not enabled: this Shipgate does not run deployments", nil, nil, false},
		{"help asks for the table", strict, change("erin", nil, map[string]policies.Permission{"dave": policies.PermRead}),
			dave, "/help", []bool{true}, "", nil, nil, true},
		{"several commands are decided in order", strict, change("erin", nil, map[string]policies.Permission{"dave": policies.PermWrite}),
			dave, "LGTM\n/approve\n> /hold\n/hold\n/recheck", []bool{true, true, true}, "", []string{"do-not-merge/hold"}, nil, false},
		{"a bot gives no command", strict, change("erin", nil, nil), policies.Actor{Login: "ci[bot]", Bot: true},
			"/approve", []bool{false}, "bots", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := Decide(tt.p, tt.c, tt.by, policies.ParseCommands(tt.body), Features{Releases: true})
			var accepted []bool
			var add, remove []string
			help := false
			for i, d := range ds {
				if d.Index != i {
					t.Errorf("decision %d has index %d", i, d.Index)
				}
				accepted = append(accepted, d.Accepted)
				add, remove = append(add, d.AddLabels...), append(remove, d.RemoveLabels...)
				help = help || d.Help
				if !d.Accepted && !strings.Contains(d.Reason, tt.reasonHas) {
					t.Errorf("reason %q does not say %q", d.Reason, tt.reasonHas)
				}
			}
			if !slices.Equal(accepted, tt.accepted) || !slices.Equal(add, tt.add) || !slices.Equal(remove, tt.remove) || help != tt.help {
				t.Errorf("accepted %v, add %q, remove %q, help %v; want %v, %q, %q, %v", accepted, add, remove, help, tt.accepted, tt.add, tt.remove, tt.help)
			}
		})
	}
}

func TestHelpListsWhatThePolicyEnables(t *testing.T) {
	p := mustPolicy(t, "version: 1\ncommands: {hold: maintain}\napprovals: [{required: 1, allow_author: true}]\n")
	var names []string
	for _, e := range HelpEntries(p, Features{Releases: true}) {
		names = append(names, e.Command)
		switch e.Command {
		case "hold":
			if e.Who != "maintain access" {
				t.Errorf("hold: %q, want the policy's role", e.Who)
			}
		case "approve":
			if strings.Contains(e.Who, "not the author") {
				t.Errorf("approve: %q, but the policy lets the author approve", e.Who)
			}
		case "semver":
			if e.Who != "write access, or the author" {
				t.Errorf("semver: %q", e.Who)
			}
		}
	}
	if !slices.Contains(names, "release") {
		t.Error("/help does not list /release, which the GitHub adapter runs")
	}
	for _, off := range []string{"deploy", "rollback", "approve-deploy", "reject-deploy"} {
		if slices.Contains(names, off) {
			t.Errorf("/help lists /%s without deployments", off)
		}
	}
	if !slices.Contains(names, "recheck") || !slices.Contains(names, "help") {
		t.Errorf("/help lists %v", names)
	}
}
