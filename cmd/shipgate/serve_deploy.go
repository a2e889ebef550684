package main

import (
	"fmt"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/records"
	"github.com/shipgate/shipgate/bot/report"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// newDeploy builds the deployment orchestrator on the hosts'
// integrations and, when SHIPGATE_SLACK_BOT_TOKEN is set, the Slack
// integration that notifies and takes approvals for every host. The
// Slack receiver is nil without Slack.
func newDeploy(cfg serveConfig, log zerolog.Logger, st *store.Store, hosts map[policies.Host]deploy.HostIntegrations, w *bot.Workers, rv *records.Verifier) (*deploy.Orchestrator, *slack.Slack, error) {
	dcfg := deploy.Config{Store: st, Hosts: hosts, Logger: log.With().Str(bot.FieldHandler, "deploy").Logger(), Wake: w.Wake,
		CloseReleases: true}
	if rv != nil && rv.ServiceNow != nil {
		dcfg.ChangeRequests = rv.ServiceNow // change_request of environments
	}
	var sl *slack.Slack
	if cfg.SlackBotToken != "" {
		var err error
		sl, err = slack.New(slack.Config{BotToken: cfg.SlackBotToken, SigningSecret: cfg.SlackSigningSecret, APIURL: cfg.SlackAPIURL,
			Store: st, Logger: log.With().Str(bot.FieldHost, "slack").Logger()})
		if err != nil {
			return nil, nil, err
		}
		dcfg.Notifier, dcfg.Groups, dcfg.Directory = sl, sl, sl
	}
	o, err := deploy.New(dcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("deploy: %w", err)
	}
	if sl != nil {
		sl.SetDecider(o)
	}
	return o, sl, nil
}

// newCloser builds the processor that closes releases (deploy.Config's
// CloseReleases): their reports, in Slack (when configured) and on the
// hosts' releases.
func newCloser(log zerolog.Logger, st *store.Store, hosts map[policies.Host]report.Host, sl *slack.Slack, o *deploy.Orchestrator, a bot.Acceptor) *report.Closer {
	c := &report.Closer{Store: st, Hosts: hosts, Logger: log.With().Str(bot.FieldHandler, "report").Logger()}
	if sl != nil {
		c.Notifier = sl
		c.Announcer, c.Policies = announce.Queue{Acceptor: a}, o
	}
	return c
}
