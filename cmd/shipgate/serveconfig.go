package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/records"
	"github.com/shipgate/shipgate/policies"
)

// serveConfig is the configuration of `shipgate serve`: flags with
// SHIPGATE_* environment fallbacks (DESIGN.md's stable names).
type serveConfig struct {
	Addr        string
	DatabaseURL string
	PublicURL   string
	// Migrate is auto (apply pending schema migrations at start) or off
	// (refuse to start until `shipgate migrate` has applied them).
	Migrate string

	GitHubAPIURL         string
	GitHubWebhookSecret  bot.Secret
	GitHubToken          bot.Secret
	GitHubAppID          int64
	GitHubPrivateKeyFile string

	GitLabURL           string
	GitLabToken         bot.Secret
	GitLabWebhookSecret bot.Secret

	// DefaultPolicy is the policy of repositories without one
	// (owner/repo:path@ref; GitHub's default: OWNER/.github's shipgate.yml).
	DefaultPolicy string

	SlackBotToken      bot.Secret
	SlackSigningSecret bot.Secret
	SlackAPIURL        string

	// Records are the change systems' settings (serveconfig_records.go).
	Records records.Settings
	// JiraWebhookUnsigned is "accept" to take unsigned Jira webhooks when
	// no secret is set (Jira Data Center before 10 cannot sign); without
	// it such deliveries are refused.
	JiraWebhookUnsigned string

	LogLevel  string
	LogFormat string

	Workers           int
	JobLease          time.Duration
	ReconcileInterval time.Duration
	Retention         time.Duration
	// PprofAddr, when set, serves net/http/pprof on its own listener
	// (loopback unless a host is named).
	PprofAddr string

	dashboardConfig
}

// setting binds one flag to its environment variable.
type setting struct {
	flag, env, usage string
	// group names the integration in error messages.
	group string
	bind  func(fs *pflag.FlagSet, name, usage string)
	// set parses an environment value into the config.
	set func(string) error
}

func stringSetting(dst *string, flag, env, group, def, usage string) setting {
	return setting{flag: flag, env: env, usage: usage, group: group,
		bind: func(fs *pflag.FlagSet, name, usage string) { fs.StringVar(dst, name, def, usage) },
		set:  func(v string) error { *dst = v; return nil }}
}

func durationSetting(dst *time.Duration, flag, env string, def time.Duration, usage string) setting {
	return setting{flag: flag, env: env, usage: usage, group: "server",
		bind: func(fs *pflag.FlagSet, name, usage string) { fs.DurationVar(dst, name, def, usage) },
		set: func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%q is not a duration such as %s", v, def)
			}
			*dst = d
			return nil
		}}
}

func secretSetting(dst *bot.Secret, flag, env, group, usage string) setting {
	return setting{flag: flag, env: env, usage: usage + " (prefer the environment variable: flags show in ps)", group: group,
		bind: func(fs *pflag.FlagSet, name, usage string) { fs.Var((*secretValue)(dst), name, usage) },
		set:  func(v string) error { *dst = bot.Secret(v); return nil }}
}

// secretValue is a pflag.Value that never prints its value in --help.
type secretValue bot.Secret

func (s *secretValue) String() string     { return bot.Secret(*s).String() }
func (s *secretValue) Set(v string) error { *s = secretValue(v); return nil }
func (s *secretValue) Type() string       { return "secret" }

func (c *serveConfig) settings() []setting {
	return append([]setting{
		stringSetting(&c.Addr, "addr", "SHIPGATE_ADDR", "server", ":8080", "listen address"),
		stringSetting(&c.DatabaseURL, "database-url", "SHIPGATE_DATABASE_URL", "server", "shipgate.db", "SQLite file, or postgres://… for PostgreSQL"),
		stringSetting(&c.Migrate, "migrate", "SHIPGATE_MIGRATE", "server", "auto",
			"auto: apply pending schema migrations at start; off: refuse to start until shipgate migrate has applied them (replicas whose migrations run once, as a step of their own)"),
		stringSetting(&c.PublicURL, "public-url", "SHIPGATE_PUBLIC_URL", "server", "", "URL where hosts reach this server (links in checks and Slack)"),
		stringSetting(&c.GitHubAPIURL, "github-api-url", "SHIPGATE_GITHUB_API_URL", "github", "https://api.github.com/", "GitHub REST API URL (GHES: https://HOST/api/v3/)"),
		secretSetting(&c.GitHubWebhookSecret, "github-webhook-secret", "SHIPGATE_GITHUB_WEBHOOK_SECRET", "github", "secret that signs GitHub webhooks"),
		secretSetting(&c.GitHubToken, "github-token", "SHIPGATE_GITHUB_TOKEN", "github", "GitHub token (or use the App settings)"),
		{flag: "github-app-id", env: "SHIPGATE_GITHUB_APP_ID", group: "github", usage: "GitHub App ID",
			bind: func(fs *pflag.FlagSet, name, usage string) { fs.Int64Var(&c.GitHubAppID, name, 0, usage) },
			set: func(v string) error {
				id, err := strconv.ParseInt(v, 10, 64)
				if err != nil || id <= 0 {
					return fmt.Errorf("%q is not an App ID: want the number shown on the App's settings page", v)
				}
				c.GitHubAppID = id
				return nil
			}},
		stringSetting(&c.GitHubPrivateKeyFile, "github-private-key-file", "SHIPGATE_GITHUB_PRIVATE_KEY_FILE", "github", "", "PEM file of the GitHub App's private key"),
		stringSetting(&c.GitLabURL, "gitlab-url", "SHIPGATE_GITLAB_URL", "gitlab", "https://gitlab.com/", "GitLab URL"),
		secretSetting(&c.GitLabToken, "gitlab-token", "SHIPGATE_GITLAB_TOKEN", "gitlab", "GitLab token (api scope)"),
		secretSetting(&c.GitLabWebhookSecret, "gitlab-webhook-secret", "SHIPGATE_GITLAB_WEBHOOK_SECRET", "gitlab", "secret token of the GitLab webhook"),
		stringSetting(&c.DefaultPolicy, "default-policy", "SHIPGATE_DEFAULT_POLICY", "server", "",
			"policy of repositories without .shipgate.yml: owner/repo:path@ref (GitLab: group/project:path@ref); GitHub's default: OWNER/.github:shipgate.yml"),
		secretSetting(&c.SlackBotToken, "slack-bot-token", "SHIPGATE_SLACK_BOT_TOKEN", "slack", "Slack bot token (xoxb-…)"),
		secretSetting(&c.SlackSigningSecret, "slack-signing-secret", "SHIPGATE_SLACK_SIGNING_SECRET", "slack", "Slack signing secret"),
		stringSetting(&c.SlackAPIURL, "slack-api-url", "SHIPGATE_SLACK_API_URL", "slack", "https://slack.com/api/", "Slack Web API URL"),
		stringSetting(&c.LogLevel, "log-level", "SHIPGATE_LOG_LEVEL", "server", "info", "log level: debug, info, warn, error"),
		stringSetting(&c.LogFormat, "log-format", "SHIPGATE_LOG_FORMAT", "server", "json", "log format: json or console"),
		{flag: "workers", env: "SHIPGATE_WORKERS", group: "server", usage: "jobs processed at once",
			bind: func(fs *pflag.FlagSet, name, usage string) { fs.IntVar(&c.Workers, name, 8, usage) },
			set: func(v string) error {
				n, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("%q is not a number", v)
				}
				c.Workers = n
				return nil
			}},
		durationSetting(&c.JobLease, "job-lease", "SHIPGATE_JOB_LEASE", 2*time.Minute,
			"how long a worker holds a job; after a crash its jobs are taken over once this passes"),
		durationSetting(&c.ReconcileInterval, "reconcile-interval", "SHIPGATE_RECONCILE_INTERVAL", 10*time.Minute,
			"how often open PRs with a missing or stale check are re-evaluated (0 turns it off)"),
		{flag: "retention", env: "SHIPGATE_RETENTION", group: "server",
			usage: "how long stored request bodies are kept, e.g. 14d or 72h (0 keeps them forever); delivery IDs and outcomes, dead jobs and the audit log stay",
			bind: func(fs *pflag.FlagSet, name, usage string) {
				c.Retention = bot.DefaultRetention
				fs.Var((*daysValue)(&c.Retention), name, usage)
			},
			set: func(v string) error { return (*daysValue)(&c.Retention).Set(v) }},
		stringSetting(&c.PprofAddr, "pprof-addr", "SHIPGATE_PPROF_ADDR", "server", "",
			"serve Go's profiles (net/http/pprof) on this address, e.g. :6060 (loopback unless a host is named); off when empty"),
	}, slices.Concat(c.dashboardSettings(), c.recordSettings())...)
}

// daysValue is a duration flag that also takes whole days ("14d"), the
// unit retention is thought in.
type daysValue time.Duration

func (d *daysValue) Set(v string) error {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return fmt.Errorf("%q is not a number of days such as 14d", v)
		}
		*d = daysValue(time.Duration(days) * 24 * time.Hour)
		return nil
	}
	t, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 14d or 72h", v)
	}
	*d = daysValue(t)
	return nil
}

func (d *daysValue) String() string {
	t := time.Duration(*d)
	if t > 0 && t%(24*time.Hour) == 0 {
		return strconv.Itoa(int(t/(24*time.Hour))) + "d"
	}
	return t.String()
}

func (d *daysValue) Type() string { return "duration" }

// bindFlags registers the flags; call applyEnv after parsing.
func (c *serveConfig) bindFlags(fs *pflag.FlagSet) {
	for _, s := range c.settings() {
		s.bind(fs, s.flag, s.usage+" ["+s.env+"]")
	}
}

// load fills unset flags from the environment and validates everything,
// returning every problem at once, grouped by integration.
func (c *serveConfig) load(fs *pflag.FlagSet, getenv func(string) string) error {
	problems := map[string][]string{}
	add := func(group, msg string) { problems[group] = append(problems[group], msg) }
	for _, s := range c.settings() {
		if fs.Changed(s.flag) {
			continue
		}
		if v := getenv(s.env); v != "" {
			if err := s.set(v); err != nil {
				add(s.group, fmt.Sprintf("%s: %v", s.env, err))
			}
		}
	}
	c.validate(add)
	if len(problems) == 0 {
		return nil
	}
	groups := make([]string, 0, len(problems))
	for g := range problems {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var b strings.Builder
	b.WriteString("the server configuration has problems:")
	for _, g := range groups {
		b.WriteString("\n  " + g + ":")
		for _, p := range problems[g] {
			b.WriteString("\n    - " + p)
		}
	}
	return errors.New(b.String())
}

// validate checks the server's settings and each integration's; add
// reports a problem.
func (c *serveConfig) validate(add func(group, msg string)) {
	if c.Addr == "" {
		add("server", "--addr / SHIPGATE_ADDR is empty: use e.g. :8080")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
			add("server", fmt.Sprintf("--public-url / SHIPGATE_PUBLIC_URL %q is not an absolute URL such as https://shipgate.example.com", c.PublicURL))
		}
	}
	switch c.Migrate {
	case "auto", "off":
	default:
		add("server", fmt.Sprintf("--migrate / SHIPGATE_MIGRATE %q: allowed values: auto, off", c.Migrate))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("server", fmt.Sprintf("--log-level / SHIPGATE_LOG_LEVEL %q: allowed values: debug, info, warn, error", c.LogLevel))
	}
	switch c.LogFormat {
	case "json", "console":
	default:
		add("server", fmt.Sprintf("--log-format / SHIPGATE_LOG_FORMAT %q: allowed values: json, console", c.LogFormat))
	}
	if c.Workers < 1 || c.Workers > 256 {
		add("server", fmt.Sprintf("--workers / SHIPGATE_WORKERS %d: want 1 to 256", c.Workers))
	}
	if c.JobLease < time.Second || c.JobLease > time.Hour {
		add("server", fmt.Sprintf("--job-lease / SHIPGATE_JOB_LEASE %s: want 1s to 1h", c.JobLease))
	}
	if c.ReconcileInterval < 0 || (c.ReconcileInterval > 0 && c.ReconcileInterval < time.Minute) {
		add("server", fmt.Sprintf("--reconcile-interval / SHIPGATE_RECONCILE_INTERVAL %s: want 0 (off) or at least 1m", c.ReconcileInterval))
	}
	if c.Retention < 0 || (c.Retention > 0 && c.Retention < time.Hour) {
		add("server", fmt.Sprintf("--retention / SHIPGATE_RETENTION %s: want 0 (keep forever) or at least 1h, e.g. 14d", (*daysValue)(&c.Retention)))
	}
	if c.PprofAddr != "" {
		if _, err := pprofAddr(c.PprofAddr); err != nil {
			add("server", fmt.Sprintf("--pprof-addr / SHIPGATE_PPROF_ADDR: %v", err))
		}
	}
	if c.DefaultPolicy != "" {
		if src, err := policies.ParseSource(c.DefaultPolicy); err != nil || src.Repo == "" {
			add("server", fmt.Sprintf("--default-policy / SHIPGATE_DEFAULT_POLICY %q: want owner/repo:path@ref, e.g. acme/.github:shipgate.yml@main%s", c.DefaultPolicy, errSuffix(err)))
		}
	}
	c.validateHosts(add)
	c.validateDashboard(add)
	c.validateRecords(add)
}

// errSuffix is "; err" for a message, "" without an error.
func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return "; " + err.Error()
}

// defaultPolicy is the parsed SHIPGATE_DEFAULT_POLICY (validated first).
func (c *serveConfig) defaultPolicy() policies.Source {
	src, _ := policies.ParseSource(c.DefaultPolicy)
	return src
}

// validateHosts checks the GitHub, GitLab and Slack settings.
func (c *serveConfig) validateHosts(add func(group, msg string)) {
	if c.githubEnabled() {
		if c.GitHubWebhookSecret == "" {
			add("github", "SHIPGATE_GITHUB_WEBHOOK_SECRET is not set: webhooks cannot be verified without it (the App's webhook secret)")
		}
		if u, err := url.Parse(c.GitHubAPIURL); err != nil || u.Scheme == "" || u.Host == "" {
			add("github", fmt.Sprintf("SHIPGATE_GITHUB_API_URL %q is not an absolute URL such as https://api.github.com/", c.GitHubAPIURL))
		}
		switch {
		case c.GitHubToken != "" && (c.GitHubAppID != 0 || c.GitHubPrivateKeyFile != ""):
			add("github", "set either SHIPGATE_GITHUB_TOKEN or SHIPGATE_GITHUB_APP_ID with SHIPGATE_GITHUB_PRIVATE_KEY_FILE, not both")
		case c.GitHubToken == "" && c.GitHubAppID == 0:
			add("github", "no credentials: set SHIPGATE_GITHUB_APP_ID and SHIPGATE_GITHUB_PRIVATE_KEY_FILE (a GitHub App), or SHIPGATE_GITHUB_TOKEN")
		case c.GitHubAppID != 0 && c.GitHubPrivateKeyFile == "":
			add("github", "SHIPGATE_GITHUB_APP_ID is set but SHIPGATE_GITHUB_PRIVATE_KEY_FILE is not: download the App's private key (.pem) and point to it")
		case c.GitHubPrivateKeyFile != "" && c.GitHubAppID == 0:
			add("github", "SHIPGATE_GITHUB_PRIVATE_KEY_FILE is set but SHIPGATE_GITHUB_APP_ID is not")
		}
		if c.GitHubPrivateKeyFile != "" {
			if _, err := os.Stat(c.GitHubPrivateKeyFile); err != nil {
				add("github", fmt.Sprintf("SHIPGATE_GITHUB_PRIVATE_KEY_FILE: %v", err))
			}
		}
	}
	if c.gitlabEnabled() {
		if c.GitLabWebhookSecret == "" {
			add("gitlab", "SHIPGATE_GITLAB_WEBHOOK_SECRET is not set: webhooks cannot be verified without it")
		}
		if c.GitLabToken == "" {
			add("gitlab", "SHIPGATE_GITLAB_TOKEN is not set: create a token with the api scope")
		}
	}
	if c.SlackBotToken != "" || c.SlackSigningSecret != "" {
		if c.SlackBotToken == "" {
			add("slack", "SHIPGATE_SLACK_SIGNING_SECRET is set but SHIPGATE_SLACK_BOT_TOKEN is not")
		}
		if c.SlackSigningSecret == "" {
			add("slack", "SHIPGATE_SLACK_BOT_TOKEN is set but SHIPGATE_SLACK_SIGNING_SECRET is not: button clicks cannot be verified without it")
		}
	}
	if !c.githubEnabled() && !c.gitlabEnabled() {
		add("server", "no host is configured: set the GitHub settings (SHIPGATE_GITHUB_WEBHOOK_SECRET and a token or App) or the GitLab ones")
	}
}

func (c *serveConfig) githubEnabled() bool {
	return c.GitHubWebhookSecret != "" || c.GitHubToken != "" || c.GitHubAppID != 0 || c.GitHubPrivateKeyFile != ""
}

func (c *serveConfig) gitlabEnabled() bool {
	return c.GitLabWebhookSecret != "" || c.GitLabToken != ""
}
