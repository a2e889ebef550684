package main

import (
	"strings"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/records"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// recordSettings are the change systems' settings of `shipgate serve`
// (change_record.verify): Jira and ServiceNow.
func (c *serveConfig) recordSettings() []setting {
	r := &c.Records
	return []setting{
		stringSetting(&r.JiraURL, "jira-url", records.EnvJiraURL, "jira", "", "Jira site that verifies change records, e.g. https://acme.atlassian.net"),
		stringSetting(&r.JiraUser, "jira-user", records.EnvJiraUser, "jira", "", "Jira Cloud account e-mail (basic auth with the API token); empty: the token is a Data Center personal access token"),
		secretSetting(&r.JiraToken, "jira-token", records.EnvJiraToken, "jira", "Jira API token (Cloud) or personal access token (Data Center)"),
		secretSetting(&r.JiraWebhookSecret, "jira-webhook-secret", records.EnvJiraWebhookSecret, "jira", "secret that signs Jira's webhooks on /webhooks/jira (X-Hub-Signature)"),
		stringSetting(&c.JiraWebhookUnsigned, "jira-webhook-unsigned", envJiraWebhookUnsigned, "jira", "",
			"accept: take unsigned Jira webhooks when no secret is set (Jira Data Center before 10 cannot sign); otherwise they are refused"),
		stringSetting(&r.ServiceNowURL, "servicenow-url", records.EnvServiceNowURL, "servicenow", "", "ServiceNow instance that verifies change requests, e.g. https://acme.service-now.com"),
		stringSetting(&r.ServiceNowUser, "servicenow-user", records.EnvServiceNowUser, "servicenow", "", "ServiceNow user (basic auth, with the password)"),
		secretSetting(&r.ServiceNowPassword, "servicenow-password", records.EnvServiceNowPassword, "servicenow", "ServiceNow password"),
		secretSetting(&r.ServiceNowToken, "servicenow-token", records.EnvServiceNowToken, "servicenow", "ServiceNow OAuth access token (instead of user and password)"),
	}
}

// validateRecords checks the change systems' settings.
func (c *serveConfig) validateRecords(add func(group, msg string)) {
	if _, err := c.Records.Verifier(nil); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			group, msg, ok := strings.Cut(line, ": ")
			if !ok {
				group, msg = "records", line
			}
			add(group, msg)
		}
	}
	if c.Records.JiraWebhookSecret != "" && c.Records.JiraURL == "" {
		add("jira", records.EnvJiraWebhookSecret+" is set but "+records.EnvJiraURL+" is not: the webhook re-reads the issue from Jira")
	}
	switch {
	case c.JiraWebhookUnsigned != "" && c.JiraWebhookUnsigned != "accept":
		add("jira", envJiraWebhookUnsigned+"="+c.JiraWebhookUnsigned+": want accept, or leave it unset to refuse unsigned Jira webhooks")
	case c.JiraWebhookUnsigned != "" && c.Records.JiraWebhookSecret != "":
		add("jira", envJiraWebhookUnsigned+" and "+records.EnvJiraWebhookSecret+" are both set: with a secret every delivery must be signed; unset "+envJiraWebhookUnsigned)
	}
}

// envJiraWebhookUnsigned lets /webhooks/jira take unsigned deliveries.
const envJiraWebhookUnsigned = "SHIPGATE_JIRA_WEBHOOK_UNSIGNED"

// jiraWebhook is the /webhooks/jira receiver when Jira is configured (nil
// otherwise): Jira's issue events re-evaluate the open changes of every
// enabled host that cite the issue.
func jiraWebhook(cfg serveConfig, log zerolog.Logger, m *bot.Metrics, st *store.Store, a bot.Acceptor, v *records.Verifier) *records.JiraWebhook {
	if cfg.Records.JiraURL == "" {
		return nil
	}
	unsigned := cfg.Records.JiraWebhookSecret == "" && cfg.JiraWebhookUnsigned == "accept"
	switch {
	case unsigned:
		log.Warn().Msg(envJiraWebhookUnsigned + "=accept: unsigned Jira webhooks are taken (each only makes Shipgate read the issue from Jira again); give Jira a secret and set " + records.EnvJiraWebhookSecret + " instead once it can sign")
	case cfg.Records.JiraWebhookSecret == "":
		log.Warn().Msg(records.EnvJiraWebhookSecret + " is not set: Jira webhooks are refused (401); set it to the webhook's secret, or " + envJiraWebhookUnsigned + "=accept for a Jira that cannot sign")
	}
	jobs := map[policies.Host]records.Recheck{}
	if cfg.githubEnabled() {
		jobs[policies.GitHub] = gate.RecordRechecker(policies.GitHub)
	}
	if cfg.gitlabEnabled() {
		jobs[policies.GitLab] = gate.RecordRechecker(policies.GitLab)
	}
	return &records.JiraWebhook{Secret: cfg.Records.JiraWebhookSecret, Unsigned: unsigned, Store: st, Acceptor: a, Jobs: jobs, Forget: v.Forget, Logger: log, Metrics: m}
}

// The change systems' clients are what the gates and the orchestrator
// ask for.
var (
	_ gate.RecordVerifier   = (*records.Verifier)(nil)
	_ deploy.ChangeRequests = (*records.ServiceNow)(nil)
)
