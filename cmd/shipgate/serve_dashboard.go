package main

import (
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/dashboard"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// newDashboard builds the web dashboard served at the root (a page saying
// how to turn it on, when it is off).
func newDashboard(cfg serveConfig, st *store.Store, log zerolog.Logger, repos map[policies.Host]dashboard.RepoOpener, deployments dashboard.Deployments) (http.Handler, error) {
	opts := cfg.dashboardOptions()
	opts.Store, opts.Logger, opts.Hosts, opts.Deployments = st, log, repos, deployments
	d, err := dashboard.New(opts)
	if err != nil {
		return nil, err
	}
	if opts.Enabled() {
		log.Info().Bool("github", opts.GitHub != nil).Bool("gitlab", opts.GitLab != nil).Bool("token", opts.DashboardToken != "").Msg("dashboard on")
	}
	return d.Handler(), nil
}

// dashboardChangeURL links a change to its dashboard page under the
// public URL; nil without one.
func dashboardChangeURL(public string) func(repo string, number int) string {
	if public == "" {
		return nil
	}
	base := strings.TrimSuffix(public, "/")
	return func(repo string, number int) string {
		return base + dashboard.ChangePath(policies.GitHub, repo, number)
	}
}
