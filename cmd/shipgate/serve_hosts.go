package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	ghserver "github.com/shipgate/shipgate/bot/github/server"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// wired is what a host brings to the server: its receivers (webhooks,
// Slack) and its reconciliation; its processors are added to the workers.
type wired struct {
	receivers  []bot.Receiver
	reconciler hostReconciler
}

// hostReconciler finds a host's changes whose events were missed.
type hostReconciler struct {
	host policies.Host
	reconciler
}

type reconciler interface {
	// Reconcile queues the stale changes the store knows; ReconcileRepo
	// those of one repository the host lists.
	Reconcile(ctx context.Context, limit int) (int, error)
	ReconcileRepo(ctx context.Context, scope int64, repo string, limit int) (int, error)
}

// wireGitHub builds the GitHub client, its server side, the deployment
// orchestrator on the client (and Slack), and the gate on both.
func wireGitHub(ctx context.Context, cfg serveConfig, log zerolog.Logger, m *bot.Metrics, st *store.Store, w *bot.Workers, a bot.Acceptor) (wired, error) {
	gcfg := github.Config{APIURL: cfg.GitHubAPIURL, Token: cfg.GitHubToken, AppID: cfg.GitHubAppID, Logger: log, Metrics: m}
	if cfg.GitHubPrivateKeyFile != "" {
		key, err := os.ReadFile(cfg.GitHubPrivateKeyFile)
		if err != nil {
			return wired{}, usageError(fmt.Errorf("reading SHIPGATE_GITHUB_PRIVATE_KEY_FILE: %w", err))
		}
		gcfg.PrivateKey = bot.Secret(key)
	}
	app, err := github.New(gcfg)
	if err != nil {
		return wired{}, usageError(fmt.Errorf("github: %w", err))
	}
	srv, err := ghserver.New(ghserver.Config{App: app, WebhookSecret: cfg.GitHubWebhookSecret, Store: st, Acceptor: a, Logger: log, Metrics: m})
	if err != nil {
		return wired{}, usageError(fmt.Errorf("github: %w", err))
	}
	identify(ctx, log, policies.GitHub, app.Identify)
	orchestrator, sl, err := newDeploy(cfg, log, st, app, w)
	if err != nil {
		return wired{}, usageError(err)
	}
	g, err := gate.New(gate.Config{Host: app, Store: st, Acceptor: a, Deployer: orchestrator, Logger: log, Legacy: ghserver.DecodeLegacy})
	if err != nil {
		return wired{}, err
	}
	w.Processors = append(w.Processors, srv, g, orchestrator, ghserver.DeployHooks{Orchestrator: orchestrator, Protection: app})
	w.Classify = append(w.Classify, app.Classify)
	out := wired{receivers: []bot.Receiver{srv}, reconciler: hostReconciler{policies.GitHub, srv}}
	if sl != nil {
		out.receivers = append(out.receivers, sl)
	}
	return out, nil
}

// wireGitLab builds the GitLab adapter and its gate.
func wireGitLab(ctx context.Context, cfg serveConfig, log zerolog.Logger, m *bot.Metrics, st *store.Store, w *bot.Workers, a bot.Acceptor) (wired, error) {
	app, err := gitlab.New(gitlab.Config{URL: cfg.GitLabURL, Token: cfg.GitLabToken, WebhookSecret: cfg.GitLabWebhookSecret,
		Logger: log, Metrics: m, Store: st, Acceptor: a})
	if err != nil {
		return wired{}, usageError(fmt.Errorf("gitlab: %w", err))
	}
	identify(ctx, log, policies.GitLab, app.Identify)
	g, err := gate.New(gate.Config{Host: app, Store: st, Acceptor: a, Logger: log, Legacy: app.DecodeLegacy})
	if err != nil {
		return wired{}, err
	}
	w.Processors = append(w.Processors, app, g)
	w.Classify = append(w.Classify, app.Classify)
	return wired{receivers: []bot.Receiver{app}, reconciler: hostReconciler{policies.GitLab, app}}, nil
}

// freezeChanges re-evaluates each enabled host's open changes when a
// freeze window starts or ends.
func freezeChanges(st *store.Store, a bot.Acceptor, cfg serveConfig) review.FreezeChanges {
	f := review.FreezeChanges{Store: st, Acceptor: a, Jobs: map[policies.Host]review.ChangeJob{}}
	if cfg.githubEnabled() {
		f.Jobs[policies.GitHub] = gate.Rechecker(policies.GitHub)
	}
	if cfg.gitlabEnabled() {
		f.Jobs[policies.GitLab] = gate.Rechecker(policies.GitLab)
	}
	return f
}

// reconcileEvery re-evaluates a host's stale changes periodically, with the
// first run after one interval so that a restart loop cannot burn the rate
// limit: the changes the store knows to be stale, then the open changes of
// every repository Shipgate has seen, listed through the API (one
// conditional request a repository, free when nothing changed), which
// finds the changes whose every webhook was missed.
func reconcileEvery(ctx context.Context, every time.Duration, r hostReconciler, st *store.Store, log zerolog.Logger) error {
	const perRound = 100
	log = log.With().Str(bot.FieldHost, string(r.host)).Logger()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		queued, err := r.Reconcile(ctx, perRound)
		if err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("reconciliation")
		}
		repos, err := st.KnownRepos(ctx, r.host)
		if err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("reconciliation: listing repositories")
		}
		for _, repo := range repos {
			if queued >= perRound || ctx.Err() != nil {
				break
			}
			n, err := r.ReconcileRepo(ctx, 0, repo, perRound-queued)
			if err != nil {
				log.Warn().Err(err).Str(bot.FieldRepo, repo).Msg("reconciliation")
				continue
			}
			queued += n
		}
		log.Info().Int("queued", queued).Msg("reconciliation")
	}
}
