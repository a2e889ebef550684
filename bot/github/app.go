package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/hostapi"
	"github.com/shipgate/shipgate/policies"
)

// PolicyFile is the policy's path in a repository, read from the base
// branch of each PR.
const PolicyFile = ".shipgate.yml"

// DefaultAPIURL is GitHub.com's REST API.
const DefaultAPIURL = "https://api.github.com/"

// Config configures the GitHub API client. APIURL and the credentials
// come from the settings; the rest have defaults fit for production and
// are there for tests.
type Config struct {
	// APIURL is the REST API's base URL: DefaultAPIURL, or
	// https://HOST/api/v3/ for GitHub Enterprise Server.
	APIURL string
	// UploadURL is derived from APIURL when empty (GHES: /api/uploads/).
	UploadURL string
	// Token authenticates as a user or with a fixed installation token.
	// Either Token or AppID with PrivateKey is required.
	Token bot.Secret
	// AppID and PrivateKey (PEM) authenticate as a GitHub App; each
	// installation gets its own token, cached and refreshed.
	AppID      int64
	PrivateKey bot.Secret
	// BotLogin is the login Shipgate comments as. Empty: "<slug>[bot]" from
	// GET /app for an App, the token's user from GET /user (see Identify).
	BotLogin string
	// Transport is the base HTTP transport (default: a clone of
	// http.DefaultTransport).
	Transport http.RoundTripper
	// Now is the clock (default time.Now); Sleep waits between tries of a
	// request (default: a timer that stops with the context).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// ChangeURL, when set, is the check run's details link of a change:
	// its page on the dashboard (SHIPGATE_PUBLIC_URL).
	ChangeURL func(repo string, number int) string
	// Logger is used where a context carries none.
	Logger  zerolog.Logger
	Metrics *bot.Metrics
	// Tries and RetryBudget bound the tries of one request and the time
	// they may span (defaults 4 and 60s); RequestTimeout bounds one try
	// (default 30s).
	Tries          int
	RetryBudget    time.Duration
	RequestTimeout time.Duration
	// CacheEntries and CacheBytes bound the ETag cache (defaults 4096 and
	// 64 MiB).
	CacheEntries int
	CacheBytes   int
	// DefaultPolicy is the policy of a repository without one
	// (SHIPGATE_DEFAULT_POLICY); zero: OWNER/.github's shipgate.yml.
	DefaultPolicy policies.Source
}

// App is Shipgate's GitHub API client: the gate.Host of pull requests and
// tags, the host of the deployment orchestrator, CheckLive and CheckPR for
// `shipgate check` and the Action, and the releases of the Action. The
// webhook receiver and the adapter's own jobs are bot/github/server's.
// Create it with New; it is safe for concurrent use.
type App struct {
	cfg      Config
	apiURL   *url.URL
	upload   *url.URL
	base     http.RoundTripper // retrier → meter → cfg.Transport
	apps     *ghinstallation.AppsTransport
	cache    *hostapi.Cache
	rate     *hostapi.RateState
	mu       sync.Mutex
	clients  map[int64]*gh.Client // by installation; 0 for the token
	installs map[string]int64     // repository → installation, for jobs without one
	botLogin string
}

// New checks cfg and builds the adapter. It makes no API call.
func New(cfg Config) (*App, error) {
	var errs []error
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	apiURL, err := url.Parse(cfg.APIURL)
	if err != nil || apiURL.Scheme == "" || apiURL.Host == "" {
		errs = append(errs, fmt.Errorf("GitHub API URL %q is not an absolute URL", cfg.APIURL))
	}
	if cfg.UploadURL == "" && err == nil {
		cfg.UploadURL = uploadURL(apiURL)
	}
	upload, uerr := url.Parse(cfg.UploadURL)
	if uerr != nil {
		errs = append(errs, fmt.Errorf("GitHub upload URL %q: %w", cfg.UploadURL, uerr))
	}
	switch {
	case cfg.Token != "" && cfg.AppID != 0:
		errs = append(errs, errors.New("GitHub credentials: give a token or an App ID with its private key, not both"))
	case cfg.Token == "" && cfg.AppID == 0:
		errs = append(errs, errors.New("GitHub credentials: a token or an App ID with its private key is required"))
	case cfg.AppID != 0 && cfg.PrivateKey == "":
		errs = append(errs, errors.New("GitHub App: the private key is required with the App ID"))
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = hostapi.Sleep
	}
	setDefault(&cfg.Tries, 4)
	setDefault(&cfg.RetryBudget, 60*time.Second)
	setDefault(&cfg.RequestTimeout, 30*time.Second)
	setDefault(&cfg.CacheEntries, 4096)
	setDefault(&cfg.CacheBytes, 64<<20)
	a := &App{
		cfg: cfg, apiURL: apiURL, upload: upload,
		cache: hostapi.NewCache(cfg.CacheEntries, cfg.CacheBytes), rate: hostapi.NewRateState(),
		clients: map[int64]*gh.Client{}, installs: map[string]int64{}, botLogin: cfg.BotLogin,
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	a.base = &hostapi.Retrier{
		Next:  &hostapi.Meter{Next: cfg.Transport, Host: policies.GitHub, Metrics: cfg.Metrics, BasePath: apiURL.EscapedPath(), Rate: a.rate, Routes: apiRoutes()},
		Now:   cfg.Now,
		Sleep: cfg.Sleep, Tries: cfg.Tries, Budget: cfg.RetryBudget, Timeout: cfg.RequestTimeout,
	}
	if cfg.AppID != 0 {
		a.apps, err = ghinstallation.NewAppsTransport(a.base, cfg.AppID, []byte(cfg.PrivateKey.Reveal()))
		if err != nil {
			return nil, fmt.Errorf("GitHub App private key: %w", err)
		}
		a.apps.BaseURL = strings.TrimSuffix(cfg.APIURL, "/")
	}
	return a, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// uploadURL derives the uploads URL: uploads.github.com for github.com,
// /api/uploads/ beside /api/v3/ on GHES.
func uploadURL(api *url.URL) string {
	if api.Host == "api.github.com" {
		return "https://uploads.github.com/"
	}
	u := *api
	if strings.HasSuffix(u.Path, "/api/v3/") {
		u.Path = strings.TrimSuffix(u.Path, "v3/") + "uploads/"
	}
	return u.String()
}

// client returns the API client of an installation (any ID with a token).
// An App's installation ID comes from the webhook payload; 0 means
// unknown, and repo ("owner/name") is then looked up with GET
// /repos/{owner}/{repo}/installation.
func (a *App) client(ctx context.Context, installation int64, repo string) (*gh.Client, error) {
	if a.apps == nil {
		installation = 0
	} else if installation == 0 {
		id, err := a.installationOf(ctx, repo)
		if err != nil {
			return nil, err
		}
		installation = id
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.clients[installation]; ok {
		return c, nil
	}
	var auth http.RoundTripper
	scope := "token"
	if a.apps == nil {
		auth = tokenAuth{token: a.cfg.Token, next: a.base}
	} else {
		it := ghinstallation.NewFromAppsTransport(a.apps, installation)
		it.BaseURL = a.apps.BaseURL
		auth, scope = it, fmt.Sprintf("installation-%d", installation)
	}
	c := a.newClient(a.cache.Transport(scope, auth))
	a.clients[installation] = c
	return c, nil
}

// appClient authenticates as the App itself (a JWT), for the /app routes.
func (a *App) appClient() *gh.Client { return a.newClient(a.apps) }

func (a *App) newClient(rt http.RoundTripper) *gh.Client {
	c := gh.NewClient(&http.Client{Transport: rt})
	c.BaseURL, c.UploadURL = a.apiURL, a.upload
	return c
}

// installationOf finds the App installation of repo ("owner/name"), once:
// GET /repos/{owner}/{repo}/installation.
func (a *App) installationOf(ctx context.Context, repo string) (int64, error) {
	a.mu.Lock()
	id, ok := a.installs[repo]
	a.mu.Unlock()
	if ok {
		return id, nil
	}
	owner, name, err := splitRepo(repo)
	if err != nil {
		return 0, bot.Permanent(err)
	}
	inst, _, err := a.appClient().Apps.FindRepositoryInstallation(ctx, owner, name)
	if err != nil {
		return 0, fmt.Errorf("finding the App installation of %s: %w", repo, err)
	}
	a.mu.Lock()
	a.installs[repo] = inst.GetID()
	a.mu.Unlock()
	return inst.GetID(), nil
}

// Identify learns the login Shipgate acts as, once: Config.BotLogin, else
// "<slug>[bot]" from GET /app for an App, else the token's user from
// GET /user. Shipgate never takes its own comments as commands, so the
// server calls it before it processes anything, and Process calls it
// before each batch (a cached answer after the first).
func (a *App) Identify(ctx context.Context) (string, error) {
	a.mu.Lock()
	login := a.botLogin
	a.mu.Unlock()
	if login != "" {
		return login, nil
	}
	if a.apps != nil {
		app, _, err := a.appClient().Apps.Get(ctx, "")
		if err != nil {
			return "", fmt.Errorf("reading the App's slug (GET /app), to know Shipgate's own comments: %w", err)
		}
		login = app.GetSlug() + "[bot]"
	} else {
		c, err := a.client(ctx, 0, "")
		if err != nil {
			return "", err
		}
		u, _, err := c.Users.Get(ctx, "")
		if err != nil {
			return "", fmt.Errorf("reading the token's user (GET /user), to know Shipgate's own comments: %w", err)
		}
		login = u.GetLogin()
	}
	a.mu.Lock()
	a.botLogin = login
	a.mu.Unlock()
	return login, nil
}

// Self implements deploy.Workflows: the login Shipgate's API calls act
// as, which every workflow run it dispatches names as its actor
// (Identify's answer).
func (a *App) Self(ctx context.Context) (string, error) { return a.Identify(ctx) }

// tokenAuth sets a personal or installation access token on each request.
type tokenAuth struct {
	token bot.Secret
	next  http.RoundTripper
}

func (t tokenAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "token "+t.token.Reveal())
	return t.next.RoundTrip(r)
}

// splitRepo splits "owner/name".
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("repository %q is not OWNER/NAME", repo)
	}
	return owner, name, nil
}

// classify turns go-github's rate-limit errors into a *bot.RetryError with
// the time GitHub gave, and a 404 or 410 of a repository or PR that is gone
// into a permanent error; other errors are returned as they are (the
// worker retries them with backoff).
func classify(err error, now time.Time) error {
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	var re *gh.ErrorResponse
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rl):
		return &bot.RetryError{Err: err, At: rl.Rate.Reset.Time.Add(time.Second)}
	case errors.As(err, &ab):
		at := now.Add(time.Minute)
		if ab.RetryAfter != nil {
			at = now.Add(*ab.RetryAfter)
		}
		return &bot.RetryError{Err: err, At: at}
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusGone:
		return bot.Permanent(err)
	}
	return err
}

// Now is the client's clock.
func (a *App) Now() time.Time { return a.cfg.Now() }

// IsNotFound reports whether err is GitHub's 404.
func IsNotFound(err error) bool { return isNotFound(err) }

// isNotFound reports whether err is GitHub's 404.
func isNotFound(err error) bool {
	var re *gh.ErrorResponse
	return errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound
}
