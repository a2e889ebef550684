package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
	"github.com/shipgate/shipgate/templates"
)

// TestMessageBlocks golden-tests the Block Kit of the deployment message
// in its states (go test ./bot/slack -run TestMessageBlocks -update).
func TestMessageBlocks(t *testing.T) {
	tests := []struct {
		name string
		v    view
	}{
		{"release_created_staging_running", view{SlackDeployment: templates.SlackDeployment{Repo: "acme/widgets", Version: "v1.2.0", Release: true,
			Environments: []templates.SlackEnvironment{{Name: "staging", Status: "running", Detail: "workflow deploy.yml: workflow deploy.yml is queued"}}}}},
		{"approval_requested", view{GateID: "github:acme/widgets:production:v1.2.0", SlackDeployment: templates.SlackDeployment{Repo: "acme/widgets", Version: "v1.2.0", Release: true,
			Environments: []templates.SlackEnvironment{{Name: "staging", Status: "succeeded"}, {Name: "production", Status: "waiting", Detail: "approval"}},
			Gate:         &templates.SlackGate{Environment: "production", Required: 1, From: "alice, slack:U0BOB"}}}},
		{"freeze_override_requested", view{GateID: "github:acme/widgets:staging:v1.2.0", SlackDeployment: templates.SlackDeployment{Repo: "acme/widgets", Version: "v1.2.0",
			Environments: []templates.SlackEnvironment{{Name: "staging", Status: "waiting", Detail: "freeze"}},
			Gate:         &templates.SlackGate{Environment: "staging", Required: 1, From: "@acme/cab", Override: true}}}},
		{"failed_and_rolled_back", view{SlackDeployment: templates.SlackDeployment{Repo: "acme/widgets", Version: "v1.2.0",
			Environments: []templates.SlackEnvironment{{Name: "production", Status: "failed", Detail: "workflow deploy.yml: workflow deploy.yml concluded failure"},
				{Name: "production (rollback to v1.1.0)", Status: "succeeded"}},
			Decisions: []string{"approval approved by alice at 2026-11-16T09:15:00Z"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, blocks, err := render(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.MarshalIndent(blocks, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "blocks_"+tc.name, append(out, '\n'))
		})
	}
}

func TestThreadLines(t *testing.T) {
	for event, want := range map[string]string{
		"started":            ":rocket: Deployment started: x",
		"failed":             ":x: Failed: x",
		"rolled_back":        ":leftwards_arrow_with_hook: Rolled back: x",
		"override_requested": ":snowflake: x",
	} {
		var b strings.Builder
		if err := templates.SlackThread(&b, templates.SlackThreadLine{Event: event, Line: "x"}); err != nil || b.String() != want {
			t.Errorf("%s: %q, %v; want %q", event, b.String(), err, want)
		}
	}
}
