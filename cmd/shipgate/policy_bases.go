package main

import (
	"context"
	"errors"
	"os"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/githistory"
	"github.com/shipgate/shipgate/policies"
)

// loadPolicy reads the policy file at path merged over the bases it
// extends, remote ones through remoteBases: every command that reads a
// local .shipgate.yml reads it the same way (found is false without one).
func loadPolicy(ctx context.Context, path string) (p *policies.Policy, found bool, err error) {
	remote, err := remoteBases(ctx)
	if err != nil {
		return nil, false, err
	}
	return githistory.LoadPolicyWith(path, remote)
}

// remoteBases reads owner/repo:path@ref bases (extends) through the
// GitHub API when SHIPGATE_GITHUB_TOKEN is set (SHIPGATE_GITHUB_API_URL
// for GHES); nil without a token, so that such a base fails the load with
// a message that asks for one.
func remoteBases(ctx context.Context) (policies.Resolver, error) {
	token := os.Getenv("SHIPGATE_GITHUB_TOKEN")
	if token == "" {
		return nil, nil
	}
	app, err := github.New(github.Config{APIURL: envOr("SHIPGATE_GITHUB_API_URL", github.DefaultAPIURL), Token: bot.Secret(token), Logger: zerolog.Nop()})
	if err != nil {
		return nil, usageError(err)
	}
	return func(src policies.Source) ([]byte, error) {
		s, err := app.Session(ctx, 0, src.Repo)
		if err != nil {
			return nil, err
		}
		data, _, found, err := s.ReadFile(ctx, src.Path, src.Ref)
		switch {
		case err != nil:
			return nil, err
		case !found:
			return nil, errors.New("not found (or SHIPGATE_GITHUB_TOKEN cannot read that repository)")
		}
		return data, nil
	}, nil
}
