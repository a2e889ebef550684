package main

import (
	"net/http"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/dashboard"
	"github.com/shipgate/shipgate/bot/store"
)

// newDashboard builds the web dashboard served at the root (a page saying
// how to turn it on, when it is off).
func newDashboard(cfg serveConfig, st *store.Store, deployments dashboard.Deployments, log zerolog.Logger) (http.Handler, error) {
	opts := cfg.dashboardOptions()
	opts.Store, opts.Logger, opts.Deployments = st, log, deployments
	d, err := dashboard.New(opts)
	if err != nil {
		return nil, err
	}
	if opts.Enabled() {
		log.Info().Bool("github", opts.GitHub != nil).Bool("gitlab", opts.GitLab != nil).Bool("token", opts.DashboardToken != "").Msg("dashboard on")
	}
	return d.Handler(), nil
}
