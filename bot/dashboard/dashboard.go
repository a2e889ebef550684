package dashboard

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// MinSecretBytes is the shortest session secret accepted: the cookie keys
// are derived from it.
const MinSecretBytes = 32

// OAuthHost is one host's OAuth application and API.
type OAuthHost struct {
	// ClientID and ClientSecret are the OAuth application's (GitHub: the
	// App's client ID and secret).
	ClientID     string
	ClientSecret bot.Secret
	// WebURL is where people sign in (GitHub: https://github.com or the
	// GHES host; GitLab: the instance's URL).
	WebURL string
	// APIURL is the REST API (GitHub: https://api.github.com/ or
	// https://HOST/api/v3/; GitLab: WebURL + api/v4/).
	APIURL string
}

// Config is what the dashboard is built from.
type Config struct {
	Store *store.Store
	// Deployments decides on gates from the Approvals page (nil: the
	// pages show deployments and decide nothing).
	Deployments Deployments
	// PublicURL is where browsers reach the server; OAuth redirect URIs
	// are built from it, and cookies are Secure when it is https.
	PublicURL string
	// GitHub and GitLab enable sign-in with that host (nil: off).
	GitHub *OAuthHost
	GitLab *OAuthHost
	// SessionSecret signs and encrypts the cookies (≥ MinSecretBytes).
	SessionSecret bot.Secret
	// DashboardToken, when set, lets anyone presenting it in the sign-in
	// form in read-only: every repository, no decision.
	DashboardToken bot.Secret
	// SessionTTL is how long a sign-in lasts (default 8h, the lifetime of
	// a GitHub App's user token); RoleTTL how long a repository role is
	// cached (default 1m).
	SessionTTL time.Duration
	RoleTTL    time.Duration
	// Now is the clock (nil: time.Now); HTTPClient calls the hosts (nil:
	// a client with a 10 s timeout).
	Now        func() time.Time
	HTTPClient *http.Client
	Logger     zerolog.Logger
	// Hosts open repositories with Shipgate's own credentials, to read
	// their policies (freeze windows) and a calendar feed's roles.
	Hosts map[policies.Host]RepoOpener
}

// Dashboard serves the web dashboard. Build it with New.
type Dashboard struct {
	cfg      Config
	now      func() time.Time
	client   *http.Client
	log      zerolog.Logger
	public   *url.URL
	secure   bool
	cookies  *cookies
	roles    *roleCache
	pages    map[string]*template.Template
	hosts    map[string]*oauthProvider
	policies *policyCache
	feeds    *securecookie.SecureCookie
	// tokenTag names the dashboard token in force ("" without one): a
	// read-only session or feed must carry it, so rotating or removing
	// the token ends them.
	tokenTag string
}

// Enabled reports whether cfg turns the dashboard on: a host's OAuth or a
// dashboard token.
func (c Config) Enabled() bool {
	return c.GitHub != nil || c.GitLab != nil || c.DashboardToken != ""
}

// New checks cfg and builds the dashboard. With neither OAuth nor a
// dashboard token the dashboard is off: its root says how to turn it on.
func New(cfg Config) (*Dashboard, error) {
	d := &Dashboard{cfg: cfg, now: cfg.Now, client: cfg.HTTPClient, log: cfg.Logger}
	if d.now == nil {
		d.now = time.Now
	}
	if d.client == nil {
		d.client = &http.Client{Timeout: 10 * time.Second}
	}
	if d.cfg.SessionTTL <= 0 {
		d.cfg.SessionTTL = 8 * time.Hour
	}
	if d.cfg.RoleTTL <= 0 {
		d.cfg.RoleTTL = time.Minute
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	d.pages = pages
	if !cfg.Enabled() {
		return d, nil
	}
	if err := d.checkConfig(); err != nil {
		return nil, err
	}
	d.cookies = newCookies([]byte(cfg.SessionSecret), d.secure)
	d.feeds = newFeedCodec([]byte(cfg.SessionSecret))
	d.tokenTag = dashboardTokenTag([]byte(cfg.SessionSecret), cfg.DashboardToken)
	d.roles = newRoleCache(d.cfg.RoleTTL, d.now)
	d.hosts = d.oauthProviders()
	d.policies = &policyCache{hosts: cfg.Hosts, now: d.now, m: map[RepoRef]policyEntry{}}
	return d, nil
}

// checkConfig validates what an enabled dashboard needs.
func (d *Dashboard) checkConfig() error {
	var errs []error
	if d.cfg.Store == nil {
		errs = append(errs, errors.New("dashboard: no store"))
	}
	if len(d.cfg.SessionSecret) < MinSecretBytes {
		errs = append(errs, fmt.Errorf("dashboard: the session secret has %d bytes, want at least %d (e.g. openssl rand -base64 48)", len(d.cfg.SessionSecret), MinSecretBytes))
	}
	u, err := url.Parse(d.cfg.PublicURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		errs = append(errs, fmt.Errorf("dashboard: the public URL %q is not an absolute URL such as https://shipgate.example.com: OAuth redirects and cookies need it", d.cfg.PublicURL))
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/")
		d.public, d.secure = u, u.Scheme == "https"
	}
	return errors.Join(errs...)
}

// Handler returns the dashboard's routes, to mount at the server's root.
func (d *Dashboard) Handler() http.Handler {
	mux := http.NewServeMux()
	if !d.cfg.Enabled() {
		mux.HandleFunc("GET /{$}", d.off)
		mux.Handle("GET /static/", staticHandler())
		return securityHeaders(mux)
	}
	d.routes(newRouter(d, mux))
	return securityHeaders(mux)
}

// off answers the root of a server whose dashboard is not configured.
func (d *Dashboard) off(w http.ResponseWriter, r *http.Request) {
	d.renderStatus(w, r, http.StatusOK, "off.html", nil)
}

// link returns the absolute URL of a dashboard path, for links that leave
// the browser (check runs, OAuth redirects, calendar feeds).
func (d *Dashboard) link(path string) string {
	if d.public == nil {
		return path
	}
	return d.public.String() + path
}
