package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/shipgate/shipgate/policies"
)

func TestServeConfigDefaultPolicy(t *testing.T) {
	load := func(value string) (serveConfig, error) {
		var c serveConfig
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		c.bindFlags(fs)
		env := map[string]string{"SHIPGATE_GITHUB_TOKEN": "t", "SHIPGATE_GITHUB_WEBHOOK_SECRET": "s", "SHIPGATE_DEFAULT_POLICY": value}
		return c, c.load(fs, func(k string) string { return env[k] })
	}
	c, err := load("")
	if err != nil || c.defaultPolicy() != (policies.Source{}) {
		t.Errorf("unset: %+v, %v; want none (GitHub then reads OWNER/.github)", c.defaultPolicy(), err)
	}
	c, err = load("acme/platform/policies:shipgate.yml@v3")
	if want := (policies.Source{Repo: "acme/platform/policies", Path: "shipgate.yml", Ref: "v3"}); err != nil || c.defaultPolicy() != want {
		t.Errorf("a GitLab project path: %+v, %v; want %+v", c.defaultPolicy(), err, want)
	}
	for _, bad := range []string{"shipgate.yml", "acme/x:../y.yml", "acme:x.yml"} {
		_, err := load(bad)
		if err == nil || !strings.Contains(err.Error(), "SHIPGATE_DEFAULT_POLICY") || !strings.Contains(err.Error(), "owner/repo:path@ref") {
			t.Errorf("%q: %v; want an error naming the setting and its form", bad, err)
		}
	}
}
