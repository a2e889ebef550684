package main

import (
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/spf13/pflag"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/records"
	"github.com/shipgate/shipgate/policies"
)

func TestServeConfigOfChangeSystems(t *testing.T) {
	host := map[string]string{"SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"}
	tests := []struct {
		name string
		env  map[string]string
		err  []string
	}{
		{"Jira Cloud and ServiceNow with basic auth", map[string]string{"SHIPGATE_JIRA_URL": "https://acme.atlassian.net", "SHIPGATE_JIRA_USER": "bot@acme.example",
			"SHIPGATE_JIRA_TOKEN": "jira-tok", "SHIPGATE_JIRA_WEBHOOK_SECRET": "hook", "SHIPGATE_SERVICENOW_URL": "https://acme.service-now.com",
			"SHIPGATE_SERVICENOW_USER": "u", "SHIPGATE_SERVICENOW_PASSWORD": "pw-secret"}, nil},
		{"every problem is listed, grouped, without the secrets", map[string]string{"SHIPGATE_JIRA_URL": "https://u:pw-secret@acme.atlassian.net",
			"SHIPGATE_SERVICENOW_URL": "https://acme.service-now.com", "SHIPGATE_SERVICENOW_TOKEN": "tok", "SHIPGATE_SERVICENOW_PASSWORD": "pw-secret"},
			[]string{"jira:", "SHIPGATE_JIRA_URL must not hold credentials", "SHIPGATE_JIRA_TOKEN is missing", "servicenow:", "give either SHIPGATE_SERVICENOW_TOKEN"}},
		{"a webhook secret without Jira", map[string]string{"SHIPGATE_JIRA_WEBHOOK_SECRET": "hook"}, []string{"SHIPGATE_JIRA_WEBHOOK_SECRET is set but SHIPGATE_JIRA_URL is not"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c serveConfig
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			c.bindFlags(fs)
			env := map[string]string{}
			for k, v := range host {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			err := c.load(fs, func(k string) string { return env[k] })
			if len(tt.err) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.Records.JiraToken.Reveal() != "jira-tok" || c.Records.ServiceNowPassword.Reveal() != "pw-secret" {
					t.Errorf("settings not read: %+v", c.Records)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.err {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%s", w, err)
				}
			}
			if strings.Contains(err.Error(), "pw-secret") {
				t.Errorf("the error shows a secret:\n%s", err)
			}
		})
	}
}

// The Jira route is served only with Jira's settings, for the hosts that
// are enabled, with the webhook secret.
func TestJiraWebhookIsWiredWithJira(t *testing.T) {
	var c serveConfig
	c.GitHubToken, c.GitHubWebhookSecret = "t", "s"
	v, err := c.Records.Verifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := jiraWebhook(c, zerolog.Nop(), nil, nil, nil, v); h != nil {
		t.Errorf("a Jira route without Jira's settings")
	}
	c.Records = records.Settings{JiraURL: "https://acme.atlassian.net", JiraToken: "tok", JiraWebhookSecret: "hook"}
	if v, err = c.Records.Verifier(nil); err != nil {
		t.Fatal(err)
	}
	h := jiraWebhook(c, zerolog.Nop(), nil, nil, nil, v)
	if h == nil || h.Route() != "/webhooks/jira" || h.Secret.Reveal() != "hook" || h.Jobs[policies.GitHub] == nil || h.Jobs[policies.GitLab] != nil {
		t.Errorf("webhook = %+v", h)
	}
}

// Unsigned Jira webhooks are taken only when asked for by name, and only
// without a secret.
func TestJiraWebhookTakesUnsignedDeliveriesOnlyWhenToldTo(t *testing.T) {
	jira := records.Settings{JiraURL: "https://acme.atlassian.net", JiraToken: "tok"}
	for _, tt := range []struct {
		name, unsigned, secret string
		wantErr                string
		wantUnsigned           bool
	}{
		{name: "neither: refused", wantUnsigned: false},
		{name: "accept", unsigned: "accept", wantUnsigned: true},
		{name: "a secret", secret: "hook", wantUnsigned: false},
		{name: "another word", unsigned: "yes", wantErr: "SHIPGATE_JIRA_WEBHOOK_UNSIGNED=yes: want accept"},
		{name: "both", unsigned: "accept", secret: "hook", wantErr: "are both set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c serveConfig
			c.GitHubToken, c.GitHubWebhookSecret = "t", "s"
			c.Records, c.JiraWebhookUnsigned = jira, tt.unsigned
			c.Records.JiraWebhookSecret = bot.Secret(tt.secret)
			var errs []string
			c.validateRecords(func(group, msg string) { errs = append(errs, group+": "+msg) })
			if got := strings.Join(errs, "\n"); tt.wantErr == "" && got != "" || !strings.Contains(got, tt.wantErr) {
				t.Fatalf("errors %q, want %q", got, tt.wantErr)
			}
			if tt.wantErr != "" {
				return
			}
			v, err := c.Records.Verifier(nil)
			if err != nil {
				t.Fatal(err)
			}
			if h := jiraWebhook(c, zerolog.Nop(), nil, nil, nil, v); h == nil || h.Unsigned != tt.wantUnsigned {
				t.Errorf("webhook = %+v, want Unsigned %v", h, tt.wantUnsigned)
			}
		})
	}
}

// TestServeHelpNamesTheJiraRoute: the Jira webhook's route is in serve
// --help with the other routes, so that an operator finds where to point
// Jira without the README.
func TestServeHelpNamesTheJiraRoute(t *testing.T) {
	code, out, errOut := runCLI("serve", "--help")
	if code != exitOK || !strings.Contains(strings.Join(strings.Fields(out), " "), "POST "+records.JiraRoute+" (with "+records.EnvJiraURL+")") {
		t.Errorf("serve --help: exit %d, no POST %s route\n%s\n%s", code, records.JiraRoute, out, errOut)
	}
}
