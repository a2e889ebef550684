//go:build !shipgate_action

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/gitlab/deployments"
	"github.com/shipgate/shipgate/bot/review"
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
is checked at start and every problem is listed at once.

Routes: POST /webhooks/github (with the GitHub settings), POST /webhooks/gitlab
(with the GitLab settings), POST /slack/interactions (with Slack), GET /healthz,
GET /readyz, GET /metrics.
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
	log := newLogger(cfg, logOut)
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return usageError(fmt.Errorf("opening the database %s: %w", redactURL(cfg.DatabaseURL), err))
	}
	defer st.Close()
	metrics := bot.NewMetrics()
	workers := &bot.Workers{Queue: st, Concurrency: cfg.Workers, Lease: cfg.JobLease, Logger: log, Metrics: metrics}
	acceptor := workers.Acceptor(st)
	w, err := wireHosts(ctx, cfg, log, metrics, st, workers, acceptor)
	if err != nil {
		return err
	}
	gh, receivers := w.github, w.receivers
	server := &bot.Server{Addr: cfg.Addr, Receivers: receivers, Ready: st.Ping, Metrics: metrics, Logger: log}

	log.Info().Str("database", st.Dialect()).Int("workers", cfg.Workers).Msg("starting")
	var wg sync.WaitGroup
	errs := make(chan error, 3)
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
	start("http server", func(ctx context.Context) error { return server.Run(ctx, nil) })
	start("workers", workers.Run)
	if cfg.ReconcileInterval > 0 && gh != nil {
		start("reconciliation", func(ctx context.Context) error {
			return reconcileEvery(ctx, cfg.ReconcileInterval, gh, st, log)
		})
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

// wired is what wireHosts built.
type wired struct {
	github    *github.App
	receivers []bot.Receiver
}

// wireHosts builds each configured host's adapter and gate, the
// deployment orchestrator on every host's integrations, and Slack, and
// registers their processors with the workers.
func wireHosts(ctx context.Context, cfg serveConfig, log zerolog.Logger, metrics *bot.Metrics, st *store.Store, workers *bot.Workers,
	acceptor bot.Acceptor) (wired, error) {
	var (
		out   wired
		hosts = map[policies.Host]deploy.HostIntegrations{}
		glDep *deployments.GitLab
		err   error
		// freeze re-evaluates each host's open changes when a window
		// starts or ends.
		freeze = review.FreezeChanges{Store: st, Acceptor: acceptor, Jobs: map[policies.Host]review.ChangeJob{}}
	)
	if cfg.githubEnabled() {
		if out.github, err = newGitHub(cfg, log, metrics, st, acceptor); err != nil {
			return out, usageError(err)
		}
		hosts[policies.GitHub] = githubDeployments(out.github)
	}
	if cfg.gitlabEnabled() {
		if glDep, err = newGitLabDeployments(cfg); err != nil {
			return out, usageError(err)
		}
		hosts[policies.GitLab] = glDep.Integrations()
	}
	orchestrator, sl, err := newDeploy(cfg, log, st, hosts, workers)
	if err != nil {
		return out, usageError(err)
	}
	workers.Processors = append(workers.Processors, orchestrator, freeze)
	if sl != nil {
		out.receivers = append(out.receivers, sl)
	}
	if gh := out.github; gh != nil {
		identify(ctx, log, policies.GitHub, gh.Identify)
		gh.SetDeployer(orchestrator) // releases start deployments; /deploy and friends reach it
		g, err := gate.New(gate.Config{Host: gh, Store: st, Acceptor: acceptor, Deployer: orchestrator, Logger: log})
		if err != nil {
			return out, err
		}
		workers.Processors = append(workers.Processors, gh, g, github.DeployHooks{Orchestrator: orchestrator, Protection: gh})
		workers.Classify = append(workers.Classify, gh.Classify)
		out.receivers = append(out.receivers, gh)
		freeze.Jobs[policies.GitHub] = gate.Rechecker(policies.GitHub)
	}
	if glDep != nil {
		gl, err := newGitLab(cfg, log, metrics, st, acceptor, orchestrator)
		if err != nil {
			return out, usageError(err)
		}
		identify(ctx, log, policies.GitLab, gl.Identify)
		g, err := gate.New(gate.Config{Host: gl, Store: st, Acceptor: acceptor, Deployer: orchestrator, Logger: log})
		if err != nil {
			return out, err
		}
		workers.Processors = append(workers.Processors, gl, g, deployments.Hooks{GitLab: glDep, Orchestrator: orchestrator})
		workers.Classify = append(workers.Classify, gl.Classify)
		out.receivers = append(out.receivers, gl)
		freeze.Jobs[policies.GitLab] = gate.Rechecker(policies.GitLab)
	}
	return out, nil
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

// newGitHub builds the GitHub adapter from the configuration.
func newGitHub(cfg serveConfig, log zerolog.Logger, m *bot.Metrics, st *store.Store, a bot.Acceptor) (*github.App, error) {
	gcfg := github.Config{
		APIURL:        cfg.GitHubAPIURL,
		Token:         cfg.GitHubToken,
		AppID:         cfg.GitHubAppID,
		WebhookSecret: cfg.GitHubWebhookSecret,
		Logger:        log,
		Metrics:       m,
		Store:         st,
		Acceptor:      a,
	}
	if cfg.GitHubPrivateKeyFile != "" {
		key, err := os.ReadFile(cfg.GitHubPrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("reading SHIPGATE_GITHUB_PRIVATE_KEY_FILE: %w", err)
		}
		gcfg.PrivateKey = bot.Secret(key)
	}
	app, err := github.New(gcfg)
	if err != nil {
		return nil, fmt.Errorf("github: %w", err)
	}
	return app, nil
}

// newGitLab builds the GitLab adapter from the configuration; validated
// tags start their deployments through d.
func newGitLab(cfg serveConfig, log zerolog.Logger, m *bot.Metrics, st *store.Store, a bot.Acceptor, d gitlab.Deployer) (*gitlab.App, error) {
	app, err := gitlab.New(gitlab.Config{
		URL:           cfg.GitLabURL,
		Token:         cfg.GitLabToken,
		WebhookSecret: cfg.GitLabWebhookSecret,
		Logger:        log,
		Metrics:       m,
		Store:         st,
		Acceptor:      a,
		Deployer:      d,
	})
	if err != nil {
		return nil, fmt.Errorf("gitlab: %w", err)
	}
	return app, nil
}

// reconcileEvery re-evaluates stale PRs periodically, with the first run
// after one interval so that a restart loop cannot burn the rate limit:
// the PRs the store knows to be stale, then the open PRs of every
// repository Shipgate has seen, listed through the API (one conditional
// request a repository, free when nothing changed), which finds the PRs
// whose every webhook was missed.
func reconcileEvery(ctx context.Context, every time.Duration, gh *github.App, st *store.Store, log zerolog.Logger) error {
	const perRound = 100
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		queued, err := gh.Reconcile(ctx, perRound)
		if err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("reconciliation")
		}
		repos, err := st.KnownRepos(ctx, policies.GitHub)
		if err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("reconciliation: listing repositories")
		}
		for _, repo := range repos {
			if queued >= perRound || ctx.Err() != nil {
				break
			}
			n, err := gh.ReconcileRepo(ctx, 0, repo, perRound-queued)
			if err != nil {
				log.Warn().Err(err).Str(bot.FieldRepo, repo).Msg("reconciliation")
				continue
			}
			queued += n
		}
		log.Info().Int("queued", queued).Msg("reconciliation")
	}
}

// redactURL hides a password in a database URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
