// Package gitlab is Shipgate's GitLab adapter, on GitLab's Go client
// (gitlab.com/gitlab-org/api/client-go). It receives GitLab webhooks
// (POST /webhooks/gitlab) and translates them once into jobs: merge
// requests and tags are judged by bot/gate, for which the adapter makes
// the host calls (gate.Host, gate.Repo, gate.Releaser: reading an MR and
// its facts, publishing the commit status `shipgate: <target>` and the
// sticky note, tags and releases; gate.MergeBacker: a hotfix's merge-back
// MR, cherry-picked by GitLab); pushes that change the policy fan out;
// Pipeline Hooks of deployment pipelines are queued (KindPipeline) for
// bot/gitlab/deployments, which follows them.
//
// It must not import actions/, any other host's adapter, or
// bot/gitlab/deployments (which imports it).
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/hostapi"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// DefaultURL is GitLab.com.
const DefaultURL = "https://gitlab.com/"

// Store is the part of bot/store the adapter uses; *store.Store implements
// it. Every method is safe for concurrent use.
type Store interface {
	// GetPR returns what Shipgate published on an MR, or store.ErrNotFound.
	GetPR(ctx context.Context, host policies.Host, repo string, number int) (store.PRState, error)
	// StalePRs lists open MRs whose evaluation is missing or older than
	// their activity, least recently active first.
	StalePRs(ctx context.Context, host policies.Host, limit int) ([]store.PRState, error)
	// PutPR replaces it.
	PutPR(ctx context.Context, p store.PRState) error
	// RecordCommand records a command once per note ID and index;
	// inserted is false when it was recorded before.
	RecordCommand(ctx context.Context, c store.CommandRecord) (inserted bool, err error)
	// SaveEvaluation appends an evaluation to the history.
	SaveEvaluation(ctx context.Context, e store.Evaluation) (int64, error)
	// AppendAudit appends to the audit log.
	AppendAudit(ctx context.Context, e store.AuditEvent) (int64, error)
	// OpenPRsWithHead lists the open MRs whose head is a commit.
	OpenPRsWithHead(ctx context.Context, host policies.Host, repo, sha string) ([]store.PRState, error)
	// CommandsOf lists the commands recorded on an MR, as given.
	CommandsOf(ctx context.Context, host policies.Host, repo string, number int) ([]store.CommandRecord, error)
	// RecordHead and Heads keep the heads an MR had, with their content.
	RecordHead(ctx context.Context, host policies.Host, repo string, number int, h store.Head) error
	Heads(ctx context.Context, host policies.Host, repo string, number int) ([]store.Head, error)
}

var _ Store = (*store.Store)(nil)

// Config configures the GitLab adapter.
type Config struct {
	// URL is GitLab's address (DefaultURL, or a self-managed instance);
	// "/api/v4/" is added when it does not end so.
	URL string
	// Token is a personal, project or group access token with the api
	// scope, sent as PRIVATE-TOKEN.
	Token bot.Secret
	// WebhookSecret is the webhook's secret token, compared with
	// X-Gitlab-Token. Without it every delivery is refused.
	WebhookSecret bot.Secret
	// BotUsername is the user Shipgate writes as. Empty: GET /user once.
	BotUsername string
	// Transport is the base HTTP transport (default: GitLab client's own).
	Transport http.RoundTripper
	// Tries bounds the tries of one request (default 4).
	Tries int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger is used where a context carries none.
	Logger  zerolog.Logger
	Metrics *bot.Metrics
	// Store keeps MR state, commands, evaluations and the audit log.
	Store Store
	// Acceptor queues the jobs of webhook deliveries, and those the
	// adapter fans out itself (policy changes).
	Acceptor bot.Acceptor
	// DefaultPolicy is the policy of a project without one
	// (SHIPGATE_DEFAULT_POLICY: group/project:path@ref); zero: none.
	DefaultPolicy policies.Source
}

// App is Shipgate's GitLab adapter: the webhook Receiver of
// /webhooks/gitlab and the Processor of the gitlab.* jobs. Create it with
// New; it is safe for concurrent use.
type App struct {
	cfg Config
	gl  *gl.Client
	id  *Identity
}

var (
	_ bot.Receiver  = (*App)(nil)
	_ bot.Processor = (*App)(nil)
)

// New checks cfg and builds the adapter.
func New(cfg Config) (*App, error) {
	if cfg.Token == "" {
		return nil, fmt.Errorf("gitlab: a token with the api scope (SHIPGATE_GITLAB_TOKEN) is required")
	}
	if cfg.Store == nil {
		return nil, fmt.Errorf("gitlab: a store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client, err := NewClient(cfg.URL, cfg.Token, cfg.Transport, cfg.Tries, cfg.Metrics)
	if err != nil {
		return nil, err
	}
	return &App{cfg: cfg, gl: client, id: NewIdentity(client, cfg.BotUsername)}, nil
}

// NewClient builds GitLab's client for the API at address (DefaultURL when
// ""; "/api/v4/" is added when it does not end so), authenticated by
// token, over transport (nil: a clone of http.DefaultTransport), trying a
// request at most tries times (default 4), its calls metered into metrics
// (may be nil).
func NewClient(address string, token bot.Secret, transport http.RoundTripper, tries int, metrics *bot.Metrics) (*gl.Client, error) {
	if address == "" {
		address = DefaultURL
	}
	if tries <= 0 {
		tries = 4
	}
	base := address
	if !strings.HasSuffix(strings.TrimSuffix(base, "/"), "/api/v4") {
		base = strings.TrimSuffix(base, "/") + "/api/v4/"
	}
	// Conditional requests where GitLab answers with an ETag, and every
	// call metered by route (hostapi); GitLab's client retries.
	if transport == nil {
		transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("gitlab: the URL %q: %w", base, err)
	}
	meter := &hostapi.Meter{Next: transport, Host: policies.GitLab, Metrics: metrics, BasePath: u.EscapedPath(), Routes: apiRoutes()}
	chain := hostapi.NewCache(4096, 64<<20).Transport("token", meter)
	opts := []gl.ClientOptionFunc{gl.WithBaseURL(base), gl.WithCustomRetryMax(tries - 1), gl.WithCustomRetry(retryPolicy),
		gl.WithHTTPClient(&http.Client{Transport: chain})}
	client, err := gl.NewClient(token.Reveal(), opts...)
	if err != nil {
		return nil, fmt.Errorf("gitlab: creating the client for %s: %w", base, err)
	}
	return client, nil
}

// retryPolicy says whether the client tries a request again: on a 429 or
// a 5xx, and on an error met before the request left (a failed dial or
// name lookup) — but never a POST answered 5xx, which GitLab may have
// carried out (a note, a merge request, a cherry-pick): repeating it would
// make a second, so the job's retry, which reads what exists first, takes
// it up (as hostapi.Retrier does for GitHub).
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		var dial *net.OpError
		var dns *net.DNSError
		return errors.As(err, &dial) && dial.Op == "dial" || errors.As(err, &dns) && !dns.IsNotFound, nil
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		return true, nil
	case code == 0 || code >= 500 && code != http.StatusNotImplemented:
		return resp.Request == nil || resp.Request.Method != http.MethodPost, nil
	}
	return false, nil
}

// Identity is the user a token writes as: given, or asked once (GET
// /user) and then known. It is safe for concurrent use.
type Identity struct {
	client *gl.Client
	mu     sync.Mutex
	name   string
}

// NewIdentity returns the identity of client's token; name, when given,
// is taken as it.
func NewIdentity(client *gl.Client, name string) *Identity {
	return &Identity{client: client, name: name}
}

// Name returns the username, asking GitLab the first time.
func (i *Identity) Name(ctx context.Context) (string, error) {
	if n := i.Known(); n != "" {
		return n, nil
	}
	u, _, err := i.client.Users.CurrentUser(gl.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("reading the token's user: %w", err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.name = u.Username
	return u.Username, nil
}

// Known returns the username once known, "" before.
func (i *Identity) Known() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.name
}

// Is reports whether username is the identity's, once known.
func (i *Identity) Is(username string) bool {
	n := i.Known()
	return n != "" && policies.SameLogin(username, n)
}

// isBot reports whether username is a bot user: Shipgate itself, a
// token's bot user, or a GitLab service bot. Their notes are never
// commands.
func (a *App) isBot(username string) bool { return a.id.Is(username) || botUsername(username) }

// botUsername recognises the users GitLab creates for project and group
// access tokens (project_123_bot_…, group_45_bot_…) and its service bots
// (support-bot, alert-bot, …).
func botUsername(name string) bool {
	name = strings.ToLower(name)
	if (strings.HasPrefix(name, "project_") || strings.HasPrefix(name, "group_")) && strings.Contains(name, "_bot") {
		return true
	}
	return strings.HasSuffix(name, "-bot") || name == "ghost"
}

// Identify learns the user Shipgate writes as (BotUsername, or GET /user
// once): its notes are never commands, so the server calls it before it
// processes anything, and Process before each batch.
func (a *App) Identify(ctx context.Context) (string, error) { return a.id.Name(ctx) }
