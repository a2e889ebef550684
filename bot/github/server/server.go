// Package server is the server side of Shipgate's GitHub adapter: the
// webhook receiver of /webhooks/github, the translation of deliveries into
// jobs (once: after the receiver nothing reads a payload), the processing
// of the adapter's own jobs (policy and CODEOWNERS changes, statuses,
// teams, merge queues), reconciliation, and the deployment hooks. Pull
// requests and tags are judged by bot/gate; every API call is bot/github's
// (the client side, which the Action uses alone).
//
// It must not import actions/ or any other host's adapter.
package server

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// Store is the part of bot/store the server side uses; *store.Store
// implements it.
type Store interface {
	GetPR(ctx context.Context, host policies.Host, repo string, number int) (store.PRState, error)
	StalePRs(ctx context.Context, host policies.Host, limit int) ([]store.PRState, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) (int64, error)
	OpenPRsWithHead(ctx context.Context, host policies.Host, repo, sha string) ([]store.PRState, error)
	OpenPRsOf(ctx context.Context, host policies.Host, repo string) ([]store.PRState, error)
	KnownRepos(ctx context.Context, host policies.Host) ([]string, error)
}

var _ Store = (*store.Store)(nil)

// Config configures the server side. App, WebhookSecret, Store and
// Acceptor come from the server's settings; the rest have defaults fit for
// production and are there for tests.
type Config struct {
	// App makes every API call.
	App *github.App
	// Records verifies the change records of merge groups' pull
	// requests (nil: not verified, and such a group waits).
	Records gate.RecordVerifier
	// WebhookSecret verifies X-Hub-Signature-256. Without it every
	// delivery is refused.
	WebhookSecret bot.Secret
	Store         Store
	// Acceptor queues the jobs of deliveries, and those the adapter fans
	// out itself (policy changes, reconciliation).
	Acceptor bot.Acceptor
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger is used where a context carries none.
	Logger  zerolog.Logger
	Metrics *bot.Metrics
	// ReconcileSpacing spreads the evaluations queued by one Reconcile
	// (default 2s apart); RateReserve is the part of the rate limit that
	// Reconcile leaves to webhooks (default 500 calls).
	ReconcileSpacing time.Duration
	RateReserve      int
}

// Server is the GitHub adapter's server side: a bot.Receiver and a
// bot.Processor. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg Config
}

var (
	_ bot.Receiver  = (*Server)(nil)
	_ bot.Processor = (*Server)(nil)
)

// New checks cfg and builds the server side.
func New(cfg Config) (*Server, error) {
	var errs []error
	if cfg.App == nil {
		errs = append(errs, errors.New("github server: an App is required"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("github server: a Store is required"))
	}
	if cfg.Acceptor == nil {
		errs = append(errs, errors.New("github server: an Acceptor is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReconcileSpacing == 0 {
		cfg.ReconcileSpacing = 2 * time.Second
	}
	if cfg.RateReserve == 0 {
		cfg.RateReserve = 500
	}
	return &Server{cfg: cfg}, nil
}
