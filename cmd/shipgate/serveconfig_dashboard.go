package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/dashboard"
)

// dashboardConfig is the web dashboard's part of serveConfig.
type dashboardConfig struct {
	GitHubWebURL       string
	GitHubClientID     string
	GitHubClientSecret bot.Secret
	GitLabClientID     string
	GitLabClientSecret bot.Secret
	SessionSecret      bot.Secret
	DashboardToken     bot.Secret
}

// minDashboardToken is the shortest dashboard token accepted.
const minDashboardToken = 16

func (c *serveConfig) dashboardSettings() []setting {
	d := &c.dashboardConfig
	return []setting{
		stringSetting(&d.GitHubWebURL, "github-web-url", "SHIPGATE_GITHUB_WEB_URL", "dashboard", "https://github.com",
			"GitHub's web URL, where people sign in (GHES: https://HOST)"),
		stringSetting(&d.GitHubClientID, "github-client-id", "SHIPGATE_GITHUB_CLIENT_ID", "dashboard", "",
			"client ID of the GitHub App (or OAuth App) for dashboard sign-in"),
		secretSetting(&d.GitHubClientSecret, "github-client-secret", "SHIPGATE_GITHUB_CLIENT_SECRET", "dashboard",
			"client secret of the GitHub App for dashboard sign-in"),
		stringSetting(&d.GitLabClientID, "gitlab-client-id", "SHIPGATE_GITLAB_CLIENT_ID", "dashboard", "",
			"application ID of the GitLab OAuth application for dashboard sign-in (scope read_api)"),
		secretSetting(&d.GitLabClientSecret, "gitlab-client-secret", "SHIPGATE_GITLAB_CLIENT_SECRET", "dashboard",
			"secret of the GitLab OAuth application"),
		secretSetting(&d.SessionSecret, "session-secret", "SHIPGATE_SESSION_SECRET", "dashboard",
			"at least 32 random bytes that sign and encrypt the dashboard's cookies"),
		secretSetting(&d.DashboardToken, "dashboard-token", "SHIPGATE_DASHBOARD_TOKEN", "dashboard",
			"a token that signs in read-only (every repository, no decisions), for local use"),
	}
}

func (d dashboardConfig) githubOAuth() bool {
	return d.GitHubClientID != "" || d.GitHubClientSecret != ""
}
func (d dashboardConfig) gitlabOAuth() bool {
	return d.GitLabClientID != "" || d.GitLabClientSecret != ""
}

func (d dashboardConfig) dashboardEnabled() bool {
	return d.githubOAuth() || d.gitlabOAuth() || d.DashboardToken != ""
}

// validateDashboard checks the dashboard's settings when any is set.
func (c *serveConfig) validateDashboard(add func(group, msg string)) {
	d := c.dashboardConfig
	problem := func(msg string) { add("dashboard", msg) }
	if d.githubOAuth() && (d.GitHubClientID == "" || d.GitHubClientSecret == "") {
		problem("set both SHIPGATE_GITHUB_CLIENT_ID and SHIPGATE_GITHUB_CLIENT_SECRET (the App's settings page, “Client secrets”)")
	}
	if d.gitlabOAuth() && (d.GitLabClientID == "" || d.GitLabClientSecret == "") {
		problem("set both SHIPGATE_GITLAB_CLIENT_ID and SHIPGATE_GITLAB_CLIENT_SECRET (User settings › Applications, scope read_api)")
	}
	if d.githubOAuth() && !absoluteURL(d.GitHubWebURL) {
		problem(fmt.Sprintf("SHIPGATE_GITHUB_WEB_URL %q is not an absolute URL such as https://github.com", d.GitHubWebURL))
	}
	if d.gitlabOAuth() && !absoluteURL(c.GitLabURL) {
		problem(fmt.Sprintf("SHIPGATE_GITLAB_URL %q is not an absolute URL such as https://gitlab.com/", c.GitLabURL))
	}
	if d.DashboardToken != "" && len(d.DashboardToken) < minDashboardToken {
		problem(fmt.Sprintf("SHIPGATE_DASHBOARD_TOKEN is %d characters, want at least %d (e.g. openssl rand -hex 24)", len(d.DashboardToken), minDashboardToken))
	}
	if !d.dashboardEnabled() {
		if d.SessionSecret != "" {
			problem("SHIPGATE_SESSION_SECRET is set but the dashboard is off: set a host's client ID and secret, or SHIPGATE_DASHBOARD_TOKEN")
		}
		return
	}
	if d.SessionSecret == "" {
		problem(fmt.Sprintf("SHIPGATE_SESSION_SECRET is not set: the dashboard's cookies need at least %d random bytes (e.g. openssl rand -base64 48)", dashboard.MinSecretBytes))
	} else if len(d.SessionSecret) < dashboard.MinSecretBytes {
		problem(fmt.Sprintf("SHIPGATE_SESSION_SECRET is %d bytes, want at least %d (e.g. openssl rand -base64 48)", len(d.SessionSecret), dashboard.MinSecretBytes))
	}
	if c.PublicURL == "" {
		problem("SHIPGATE_PUBLIC_URL is not set: the dashboard's sign-in redirects and cookies need the URL browsers use, e.g. https://shipgate.example.com")
	}
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// dashboardOptions is the dashboard's configuration from the server's.
func (c *serveConfig) dashboardOptions() dashboard.Config {
	d := c.dashboardConfig
	out := dashboard.Config{PublicURL: c.PublicURL, SessionSecret: d.SessionSecret, DashboardToken: d.DashboardToken}
	if d.githubOAuth() {
		out.GitHub = &dashboard.OAuthHost{ClientID: d.GitHubClientID, ClientSecret: d.GitHubClientSecret, WebURL: d.GitHubWebURL, APIURL: c.GitHubAPIURL}
	}
	if d.gitlabOAuth() {
		out.GitLab = &dashboard.OAuthHost{ClientID: d.GitLabClientID, ClientSecret: d.GitLabClientSecret, WebURL: c.GitLabURL,
			APIURL: strings.TrimSuffix(c.GitLabURL, "/") + "/api/v4/"}
	}
	return out
}
