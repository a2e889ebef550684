package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	_ "github.com/shipgate/shipgate/bot/store/drivers" // the store opens SQLite and PostgreSQL

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

func newServeCmd() *cobra.Command {
	var cfg serveConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the webhook bot (GitHub App or token, GitLab webhook, Slack)",
		Long: `Run the webhook server: it verifies and durably queues every delivery before
answering, evaluates pull requests (GitHub) and merge requests (GitLab) against
the base branch's .shipgate.yml, publishes a check run or commit status named
shipgate and one sticky comment, answers comment commands, validates tags, and
drives deployments with approvals from Slack or comments.

Every flag has a SHIPGATE_* environment variable; flags win. The configuration
is checked at start and every problem is listed at once. The database's schema
is migrated at start; with --migrate off (SHIPGATE_MIGRATE=off) the server
refuses to start until shipgate migrate has run instead.

Routes: POST /webhooks/github (with the GitHub settings), POST /webhooks/gitlab
(with the GitLab settings), POST /slack/interactions (with Slack), POST
/webhooks/jira (with SHIPGATE_JIRA_URL), GET /healthz, GET /readyz, GET /metrics; every other path is the web dashboard (sign-in with
GitHub or GitLab OAuth, or SHIPGATE_DASHBOARD_TOKEN read-only; off, with a page
at / saying how to turn it on, without them).
SIGTERM or SIGINT stops accepting, lets running jobs finish (20s), and exits;
queued work stays in the database for the next start.`,
		Example: `  SHIPGATE_GITHUB_TOKEN=ghp_… SHIPGATE_GITHUB_WEBHOOK_SECRET=… shipgate serve
  shipgate serve --database-url postgres://shipgate@db/shipgate --github-app-id 123 --github-private-key-file app.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.load(cmd.Flags(), os.Getenv); err != nil {
				return usageError(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, cfg, cmd.ErrOrStderr())
		},
	}
	cfg.bindFlags(cmd.Flags())
	return cmd
}

// newLogger builds the server's logger from the configuration.
func newLogger(cfg serveConfig, w io.Writer) zerolog.Logger {
	if cfg.LogFormat == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		level = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// runServe wires the store, the host adapters, the workers and the HTTP
// server, and runs them until ctx is done.
func runServe(ctx context.Context, cfg serveConfig, logOut io.Writer) error {
	return runServeReady(ctx, cfg, logOut, nil)
}

// runServeReady is runServe that sends the bound address on ready (when
// not nil) once the HTTP server listens: shipgate demo runs the server
// in-process on a free port.
func runServeReady(ctx context.Context, cfg serveConfig, logOut io.Writer, ready chan<- net.Addr) error {
	log := newLogger(cfg, logOut)
	if cfg.SlackBotToken != "" && !cfg.githubEnabled() && !cfg.gitlabEnabled() {
		return usageError(errors.New("slack: Slack approvals drive deployments, which need a host's settings (SHIPGATE_GITHUB_* or SHIPGATE_GITLAB_*)"))
	}
	st, err := store.OpenWith(ctx, cfg.DatabaseURL, store.Options{NoMigrate: cfg.Migrate == "off"})
	if errors.Is(err, store.ErrMigrationsPending) {
		return usageError(fmt.Errorf("opening the database %s: %w: run shipgate migrate against it first (SHIPGATE_MIGRATE=off: this server does not migrate the schema itself)", redactURL(cfg.DatabaseURL), err))
	}
	if err != nil {
		return usageError(fmt.Errorf("opening the database %s: %w", redactURL(cfg.DatabaseURL), err))
	}
	defer st.Close()
	metrics := bot.NewMetrics()
	workers := &bot.Workers{Queue: st, Concurrency: cfg.Workers, Lease: cfg.JobLease, Logger: log, Metrics: metrics, Name: bot.WorkerName()}
	acceptor := workers.Acceptor(st)

	w, err := wireHosts(ctx, cfg, log, metrics, st, workers, acceptor)
	if err != nil {
		return err
	}
	receivers, reconcilers := w.receivers, w.reconcilers
	// Ready when the store takes writes: each process probes with its own row.
	probe := func(ctx context.Context) error { return st.Probe(ctx, workers.Name) }
	server := &bot.Server{Addr: cfg.Addr, Receivers: receivers, Ready: probe, Metrics: metrics, Logger: log}
	if server.Dashboard, err = newDashboard(cfg, st, log, w.repos, w.deployments); err != nil {
		return usageError(err)
	}

	log.Info().Str("database", st.Dialect()).Int("workers", cfg.Workers).Str("worker", workers.Name).Msg("starting")
	var wg sync.WaitGroup
	errs := make(chan error, 3+len(reconcilers))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(runCtx); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel() // one part failing stops the others
			}
		}()
	}
	start("http server", func(ctx context.Context) error { return server.Run(ctx, ready) })
	start("workers", workers.Run)
	if cfg.PprofAddr != "" {
		start("profiling listener", func(ctx context.Context) error { return servePprof(ctx, cfg.PprofAddr, log) })
	}
	if cfg.ReconcileInterval > 0 {
		for _, r := range reconcilers {
			start("reconciliation of "+string(r.host), func(ctx context.Context) error {
				return reconcileEvery(ctx, cfg.ReconcileInterval, r, st, workers.Name, log)
			})
		}
	}
	if cfg.Retention > 0 {
		r := &bot.Retention{Store: st, Keep: cfg.Retention, Metrics: metrics, Logger: log}
		start("retention", func(ctx context.Context) error { return sweepEvery(ctx, r, st, workers.Name, log) })
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	log.Info().Msg("stopped")
	return errors.Join(all...)
}

// identify learns who Shipgate is on a host before any work is processed,
// so that its own comments are never taken as commands. A failure is
// logged and not fatal: each batch asks again before it is processed, and
// waits (retries) until the host answers.
func identify(ctx context.Context, log zerolog.Logger, host policies.Host, id func(context.Context) (string, error)) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	login, err := id(ctx)
	if err != nil {
		log.Error().Err(err).Str(bot.FieldHost, string(host)).Msg("cannot tell who Shipgate is yet: no work is processed until it can")
		return
	}
	log.Info().Str(bot.FieldHost, string(host)).Str("login", login).Msg("acting as")
}

// redactURL hides a password in a database URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
