package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestServeConfigOfTheDashboard(t *testing.T) {
	host := map[string]string{"SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s"}
	with := func(kv ...string) map[string]string {
		env := map[string]string{}
		for k, v := range host {
			env[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	secret := strings.Repeat("k", 32)
	tests := []struct {
		name string
		env  map[string]string
		err  []string // substrings, all must appear; none: valid
		on   bool
	}{
		{name: "without sign-in settings the dashboard is off", env: with()},
		{name: "GitHub sign-in with a secret and a public URL",
			env: with("SHIPGATE_GITHUB_CLIENT_ID", "Iv1.x", "SHIPGATE_GITHUB_CLIENT_SECRET", "y", "SHIPGATE_SESSION_SECRET", secret, "SHIPGATE_PUBLIC_URL", "https://sg.example"), on: true},
		{name: "the dashboard token alone turns it on, read-only",
			env: with("SHIPGATE_DASHBOARD_TOKEN", "0123456789abcdef", "SHIPGATE_SESSION_SECRET", secret, "SHIPGATE_PUBLIC_URL", "http://localhost:8080"), on: true},
		{name: "a client ID without its secret, no session secret and no public URL are each explained",
			env: with("SHIPGATE_GITHUB_CLIENT_ID", "Iv1.x"),
			err: []string{"dashboard:", "SHIPGATE_GITHUB_CLIENT_SECRET", "SHIPGATE_SESSION_SECRET is not set", "SHIPGATE_PUBLIC_URL is not set"}},
		{name: "a short session secret is refused",
			env: with("SHIPGATE_GITLAB_CLIENT_ID", "a", "SHIPGATE_GITLAB_CLIENT_SECRET", "b", "SHIPGATE_SESSION_SECRET", "short", "SHIPGATE_PUBLIC_URL", "https://sg.example"),
			err: []string{"SHIPGATE_SESSION_SECRET is 5 bytes, want at least 32"}},
		{name: "a short dashboard token and a bad web URL are refused",
			env: with("SHIPGATE_DASHBOARD_TOKEN", "abc", "SHIPGATE_GITHUB_CLIENT_ID", "a", "SHIPGATE_GITHUB_CLIENT_SECRET", "b",
				"SHIPGATE_GITHUB_WEB_URL", "github.com", "SHIPGATE_SESSION_SECRET", secret, "SHIPGATE_PUBLIC_URL", "https://sg.example"),
			err: []string{"SHIPGATE_DASHBOARD_TOKEN is 3 characters", `SHIPGATE_GITHUB_WEB_URL "github.com" is not an absolute URL`}},
		{name: "a session secret without sign-in is a mistake",
			env: with("SHIPGATE_SESSION_SECRET", secret), err: []string{"SHIPGATE_SESSION_SECRET is set but the dashboard is off"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c serveConfig
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			c.bindFlags(fs)
			err := c.load(fs, func(k string) string { return tt.env[k] })
			if len(tt.err) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.dashboardEnabled() != tt.on {
					t.Errorf("dashboard on = %v, want %v", c.dashboardEnabled(), tt.on)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.err)
			}
			for _, want := range tt.err {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}
