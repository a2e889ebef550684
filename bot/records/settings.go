package records

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot"
)

// Settings are the change systems' settings, from SHIPGATE_JIRA_* and
// SHIPGATE_SERVICENOW_* (the server, `shipgate check` and the Action read
// the same variables).
type Settings struct {
	// JiraURL is the Jira site (https://acme.atlassian.net, or a Data
	// Center URL with its context path). JiraUser with JiraToken is Jira
	// Cloud's basic auth (an e-mail and an API token); JiraToken alone is
	// a Data Center personal access token (bearer).
	JiraURL   string
	JiraUser  string
	JiraToken bot.Secret
	// JiraWebhookSecret checks Jira's X-Hub-Signature on /webhooks/jira.
	JiraWebhookSecret bot.Secret
	// ServiceNowURL is the instance (https://acme.service-now.com).
	// ServiceNowUser with ServiceNowPassword is basic auth;
	// ServiceNowToken an OAuth access token (bearer).
	ServiceNowURL      string
	ServiceNowUser     string
	ServiceNowPassword bot.Secret
	ServiceNowToken    bot.Secret
}

// Environment variables of the settings.
const (
	EnvJiraURL            = "SHIPGATE_JIRA_URL"
	EnvJiraUser           = "SHIPGATE_JIRA_USER"
	EnvJiraToken          = "SHIPGATE_JIRA_TOKEN"
	EnvJiraWebhookSecret  = "SHIPGATE_JIRA_WEBHOOK_SECRET"
	EnvServiceNowURL      = "SHIPGATE_SERVICENOW_URL"
	EnvServiceNowUser     = "SHIPGATE_SERVICENOW_USER"
	EnvServiceNowPassword = "SHIPGATE_SERVICENOW_PASSWORD"
	EnvServiceNowToken    = "SHIPGATE_SERVICENOW_TOKEN"
)

// SettingsFromEnv reads the settings from the environment.
func SettingsFromEnv(getenv func(string) string) Settings {
	return Settings{
		JiraURL: getenv(EnvJiraURL), JiraUser: getenv(EnvJiraUser), JiraToken: bot.Secret(getenv(EnvJiraToken)),
		JiraWebhookSecret: bot.Secret(getenv(EnvJiraWebhookSecret)),
		ServiceNowURL:     getenv(EnvServiceNowURL), ServiceNowUser: getenv(EnvServiceNowUser),
		ServiceNowPassword: bot.Secret(getenv(EnvServiceNowPassword)), ServiceNowToken: bot.Secret(getenv(EnvServiceNowToken)),
	}
}

// requestTimeout bounds one call to a change system.
const requestTimeout = 15 * time.Second

// Verifier builds the Verifier of the settings (a provider without a URL
// is not configured: its records stay unverified, and say which settings
// to give), or says every setting that is wrong.
func (s Settings) Verifier(client *http.Client) (*Verifier, error) {
	if client == nil {
		client = &http.Client{Timeout: requestTimeout}
	}
	var errs []error
	v := &Verifier{}
	if s.JiraURL != "" || s.JiraUser != "" || s.JiraToken != "" {
		j, err := NewJira(s.JiraURL, s.JiraUser, s.JiraToken, client)
		errs = append(errs, err)
		v.Jira = j
	}
	if s.ServiceNowURL != "" || s.ServiceNowUser != "" || s.ServiceNowPassword != "" || s.ServiceNowToken != "" {
		sn, err := NewServiceNow(s.ServiceNowURL, s.ServiceNowUser, s.ServiceNowPassword, s.ServiceNowToken, client)
		errs = append(errs, err)
		v.ServiceNow = sn
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// baseURL checks a provider's URL: http(s), a host, no credentials in it
// (they would reach logs and errors), and no query.
func parseBaseURL(env, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%s is missing: give the site's URL, e.g. https://acme.example.com", env)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s is not a URL (its text is not repeated here: it may hold a credential)", env)
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "":
		return nil, fmt.Errorf("%s must be an http(s) URL such as https://acme.example.com", env)
	case u.User != nil:
		return nil, fmt.Errorf("%s must not hold credentials: give them in their own settings", env)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%s must not have a query or fragment", env)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
