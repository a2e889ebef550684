package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/dashboard"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	ghdeploy "github.com/shipgate/shipgate/bot/github/deployments"
	ghserver "github.com/shipgate/shipgate/bot/github/server"
	"github.com/shipgate/shipgate/bot/gitlab"
	"github.com/shipgate/shipgate/bot/gitlab/deployments"
	"github.com/shipgate/shipgate/bot/records"
	"github.com/shipgate/shipgate/bot/report"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// wired is what the hosts bring to the server: their receivers (webhooks,
// Slack) and their reconciliation; their processors are added to the
// workers.
type wired struct {
	receivers   []bot.Receiver
	reconcilers []hostReconciler
	// deployments is the orchestrator, which the dashboard's Approvals
	// page decides through.
	deployments *deploy.Orchestrator
	// repos open repositories with each host's credentials, for the
	// dashboard (policies, calendar feed roles).
	repos map[policies.Host]dashboard.RepoOpener
	// records verifies change records for every host's gate.
	records *records.Verifier
	// announcer announces release events in Slack; nil without Slack.
	announcer announce.Announcer
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

// wireHosts builds each configured host's client, the deployment
// orchestrator on every host's integrations (and Slack), then each host's
// server side and gate, which take the orchestrator; it registers their
// processors with the workers.
func wireHosts(ctx context.Context, cfg serveConfig, log zerolog.Logger, m *bot.Metrics, st *store.Store, w *bot.Workers, a bot.Acceptor) (wired, error) {
	var (
		out       wired
		hosts     = map[policies.Host]deploy.HostIntegrations{}
		reporters = map[policies.Host]report.Host{}
		gh        *github.App
		glDep     *deployments.GitLab
		err       error
	)
	if cfg.githubEnabled() {
		if gh, err = newGitHub(cfg, log, m); err != nil {
			return out, usageError(err)
		}
		ghd := ghdeploy.New(gh)
		hosts[policies.GitHub] = ghd.Integrations()
		reporters[policies.GitHub] = ghd
	}
	if cfg.gitlabEnabled() {
		if glDep, err = deployments.New(deployments.Config{URL: cfg.GitLabURL, Token: cfg.GitLabToken, Metrics: m}); err != nil {
			return out, usageError(fmt.Errorf("gitlab: %w", err))
		}
		hosts[policies.GitLab] = glDep.Integrations()
		reporters[policies.GitLab] = glDep
	}
	if out.records, err = cfg.Records.Verifier(nil); err != nil {
		return out, usageError(err)
	}
	orchestrator, sl, err := newDeploy(cfg, log, st, hosts, w, out.records)
	if err != nil {
		return out, usageError(err)
	}
	w.Processors = append(w.Processors, orchestrator, freezeChanges(st, a, cfg), newCloser(log, st, reporters, sl, orchestrator, a))
	if m != nil {
		m.Registry.MustRegister(&report.Collector{Reader: st, Logger: log})
	}
	out.deployments = orchestrator
	if sl != nil {
		out.receivers = append(out.receivers, sl)
		// Events are queued by the work that emits them and posted by
		// their own jobs: Slack being down holds no release up.
		out.announcer = announce.Queue{Acceptor: a}
		w.Processors = append(w.Processors, announce.Processor{Notifier: &announce.Notifier{Poster: sl, Once: st, Holder: w.Name}})
	}
	if gh != nil {
		if err := wireGitHub(ctx, cfg, log, m, st, w, a, gh, orchestrator, &out); err != nil {
			return out, err
		}
	}
	if glDep != nil {
		if err := wireGitLab(ctx, cfg, log, m, st, w, a, glDep, orchestrator, &out); err != nil {
			return out, err
		}
	}
	if hook := jiraWebhook(cfg, log, m, st, a, out.records); hook != nil {
		out.receivers = append(out.receivers, hook)
	}
	return out, nil
}

func (w *wired) addRepos(h policies.Host, o dashboard.RepoOpener) {
	if w.repos == nil {
		w.repos = map[policies.Host]dashboard.RepoOpener{}
	}
	w.repos[h] = o
}

// newGitHub builds the GitHub API client from the configuration.
func newGitHub(cfg serveConfig, log zerolog.Logger, m *bot.Metrics) (*github.App, error) {
	gcfg := github.Config{APIURL: cfg.GitHubAPIURL, Token: cfg.GitHubToken, AppID: cfg.GitHubAppID, Logger: log, Metrics: m,
		DefaultPolicy: cfg.defaultPolicy(), ChangeURL: dashboardChangeURL(cfg.PublicURL)}
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

// wireGitHub builds GitHub's server side and gate on the client.
func wireGitHub(ctx context.Context, cfg serveConfig, log zerolog.Logger, m *bot.Metrics, st *store.Store, w *bot.Workers, a bot.Acceptor,
	app *github.App, o *deploy.Orchestrator, out *wired) error {
	srv, err := ghserver.New(ghserver.Config{App: app, WebhookSecret: cfg.GitHubWebhookSecret, Store: st, Acceptor: a, Logger: log, Metrics: m, Records: out.records})
	if err != nil {
		return usageError(fmt.Errorf("github: %w", err))
	}
	identify(ctx, log, policies.GitHub, app.Identify)
	g, err := gate.New(gate.Config{Host: app, Store: st, Acceptor: a, Deployer: o, Announcer: out.announcer, Logger: log, Legacy: ghserver.DecodeLegacy, Records: out.records})
	if err != nil {
		return err
	}
	w.Processors = append(w.Processors, srv, g, ghdeploy.DeployHooks{Orchestrator: o, Protection: ghdeploy.New(app)})
	w.Classify = append(w.Classify, app.Classify)
	out.receivers = append(out.receivers, srv)
	out.reconcilers = append(out.reconcilers, hostReconciler{policies.GitHub, srv})
	out.addRepos(policies.GitHub, app)
	return nil
}

// wireGitLab builds the GitLab adapter and its gate; dep is GitLab's side
// of deployments, which follows the deployment pipelines.
func wireGitLab(ctx context.Context, cfg serveConfig, log zerolog.Logger, m *bot.Metrics, st *store.Store, w *bot.Workers, a bot.Acceptor,
	dep *deployments.GitLab, o *deploy.Orchestrator, out *wired) error {
	app, err := gitlab.New(gitlab.Config{URL: cfg.GitLabURL, Token: cfg.GitLabToken, WebhookSecret: cfg.GitLabWebhookSecret,
		Logger: log, Metrics: m, Store: st, Acceptor: a, DefaultPolicy: cfg.defaultPolicy()})
	if err != nil {
		return usageError(fmt.Errorf("gitlab: %w", err))
	}
	identify(ctx, log, policies.GitLab, app.Identify)
	g, err := gate.New(gate.Config{Host: app, Store: st, Acceptor: a, Deployer: o, Announcer: out.announcer, Logger: log, Legacy: app.DecodeLegacy, Records: out.records})
	if err != nil {
		return err
	}
	w.Processors = append(w.Processors, app, g, deployments.Hooks{GitLab: dep, Orchestrator: o})
	w.Classify = append(w.Classify, app.Classify)
	out.receivers = append(out.receivers, app)
	out.reconcilers = append(out.reconcilers, hostReconciler{policies.GitLab, app})
	out.addRepos(policies.GitLab, app)
	return nil
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

// reconcileEvery re-evaluates a host's stale changes periodically, once
// per period across replicas (see onePerPeriod), so that a restart loop
// cannot burn the rate limit: the changes the store knows to be stale,
// then the open changes of every repository Shipgate has seen, listed
// through the API (one conditional request a repository, free when
// nothing changed), which finds the changes whose every webhook was
// missed.
func reconcileEvery(ctx context.Context, every time.Duration, r hostReconciler, st *store.Store, worker string, log zerolog.Logger) error {
	log = log.With().Str(bot.FieldHost, string(r.host)).Logger()
	return onePerPeriod(ctx, st, "reconcile:"+string(r.host), worker, every, log, func(ctx context.Context) {
		reconcile(ctx, r, st, log)
	})
}

// reconcile runs one round of reconciliation of a host.
func reconcile(ctx context.Context, r hostReconciler, st *store.Store, log zerolog.Logger) {
	const perRound = 100
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
