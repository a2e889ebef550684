package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestServeConfig(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c *serveConfig)
		err   []string // substrings, all must appear
	}{
		{name: "a token and a webhook secret from the environment are enough",
			env: map[string]string{"SHIPGATE_GITHUB_TOKEN": "ghp_x", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s3cret"},
			check: func(t *testing.T, c *serveConfig) {
				if c.Addr != ":8080" || c.DatabaseURL != "shipgate.db" || c.GitHubAPIURL != "https://api.github.com/" {
					t.Errorf("defaults not applied: %+v", c)
				}
				if c.GitHubToken.Reveal() != "ghp_x" {
					t.Error("token not read from the environment")
				}
			}},
		{name: "a flag wins over the environment",
			args: []string{"--addr", ":9999"},
			env:  map[string]string{"SHIPGATE_ADDR": ":1", "SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			check: func(t *testing.T, c *serveConfig) {
				if c.Addr != ":9999" {
					t.Errorf("Addr = %q", c.Addr)
				}
			}},
		{name: "retention defaults to 14 days",
			env: map[string]string{"SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			check: func(t *testing.T, c *serveConfig) {
				if c.Retention != 14*24*time.Hour {
					t.Errorf("Retention = %s", c.Retention)
				}
			}},
		{name: "retention is read in days or as a duration, and 0 keeps bodies forever",
			args: []string{"--retention", "72h"},
			env:  map[string]string{"SHIPGATE_RETENTION": "30d", "SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			check: func(t *testing.T, c *serveConfig) {
				if c.Retention != 72*time.Hour {
					t.Errorf("Retention = %s, want the flag's 72h", c.Retention)
				}
				if err := (*daysValue)(&c.Retention).Set("30d"); err != nil || c.Retention != 30*24*time.Hour {
					t.Errorf("30d = %s, %v", c.Retention, err)
				}
				if err := (*daysValue)(&c.Retention).Set("0"); err != nil || c.Retention != 0 {
					t.Errorf("0 = %s, %v", c.Retention, err)
				}
			}},
		{name: "a retention that is not a duration, or too short, is explained",
			env: map[string]string{"SHIPGATE_RETENTION": "two weeks", "SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			err: []string{"server:", `SHIPGATE_RETENTION: "two weeks" is not a duration such as 14d or 72h`}},
		{name: "a retention under an hour is refused",
			env: map[string]string{"SHIPGATE_RETENTION": "5m", "SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			err: []string{"--retention / SHIPGATE_RETENTION 5m0s: want 0 (keep forever) or at least 1h"}},
		{name: "profiling is off unless asked for",
			env: map[string]string{"SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			check: func(t *testing.T, c *serveConfig) {
				if c.PprofAddr != "" {
					t.Errorf("PprofAddr = %q by default", c.PprofAddr)
				}
			}},
		{name: "profiling on a bare port listens on loopback only",
			env: map[string]string{"SHIPGATE_PPROF_ADDR": ":6060", "SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			check: func(t *testing.T, c *serveConfig) {
				if addr, err := pprofAddr(c.PprofAddr); err != nil || addr != "127.0.0.1:6060" {
					t.Errorf("pprofAddr(%q) = %q, %v; want 127.0.0.1:6060", c.PprofAddr, addr, err)
				}
			}},
		{name: "a profiling address without a port is explained",
			env: map[string]string{"SHIPGATE_PPROF_ADDR": "localhost", "SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			err: []string{"server:", "SHIPGATE_PPROF_ADDR", "127.0.0.1:6060"}},
		{name: "GitLab alone is a valid host",
			env: map[string]string{"SHIPGATE_GITLAB_TOKEN": "glpat-x", "SHIPGATE_GITLAB_WEBHOOK_SECRET": "s3cret"},
			check: func(t *testing.T, c *serveConfig) {
				if !c.gitlabEnabled() || c.githubEnabled() || c.GitLabURL != "https://gitlab.com/" {
					t.Errorf("GitLab settings: %+v", c)
				}
			}},
		{name: "GitLab without its webhook secret is explained",
			env: map[string]string{"SHIPGATE_GITLAB_TOKEN": "glpat-x"},
			err: []string{"gitlab:", "SHIPGATE_GITLAB_WEBHOOK_SECRET is not set"}},
		{name: "nothing configured says which host settings to set",
			err: []string{"server:", "no host is configured"}},
		{name: "every problem is listed at once, grouped by integration",
			env: map[string]string{"SHIPGATE_GITHUB_APP_ID": "abc", "SHIPGATE_GITHUB_PRIVATE_KEY_FILE": "/nonexistent.pem", "SHIPGATE_LOG_LEVEL": "loud", "SHIPGATE_SLACK_BOT_TOKEN": "xoxb"},
			err: []string{"github:", "SHIPGATE_GITHUB_APP_ID: \"abc\" is not an App ID", "SHIPGATE_GITHUB_WEBHOOK_SECRET is not set",
				"server:", "allowed values: debug, info, warn, error", "slack:", "SHIPGATE_SLACK_SIGNING_SECRET is not"}},
		{name: "an App ID without its key is explained",
			env: map[string]string{"SHIPGATE_GITHUB_APP_ID": "42", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			err: []string{"SHIPGATE_GITHUB_PRIVATE_KEY_FILE is not"}},
		{name: "a token and an App together are refused",
			env: map[string]string{"SHIPGATE_GITHUB_APP_ID": "42", "SHIPGATE_GITHUB_PRIVATE_KEY_FILE": "/nonexistent.pem", "SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"},
			err: []string{"not both", "/nonexistent.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c serveConfig
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			c.bindFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := c.load(fs, func(k string) string { return tt.env[k] })
			if len(tt.err) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				tt.check(t, &c)
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.err {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
			for _, secret := range []string{"xoxb", "s3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a secret: %v", err)
				}
			}
		})
	}
}
