package dashboard

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/policies"
)

// oauthProvider is one host's sign-in: its OAuth endpoints and the two
// API calls the dashboard makes with the viewer's token.
type oauthProvider struct {
	host  policies.Host
	label string
	conf  oauth2.Config
	// user reads who the token belongs to.
	user func(ctx context.Context, c *http.Client, token bot.Secret) (login, name string, err error)
	// role reads the token's role on a repository.
	role func(ctx context.Context, c *http.Client, token bot.Secret, repo string) (policies.Permission, error)
}

// oauthProviders builds the configured hosts' sign-ins.
func (d *Dashboard) oauthProviders() map[string]*oauthProvider {
	out := map[string]*oauthProvider{}
	if h := d.cfg.GitHub; h != nil {
		out[string(policies.GitHub)] = newGitHubProvider(*h, d.link("/auth/github/callback"))
	}
	if h := d.cfg.GitLab; h != nil {
		out[string(policies.GitLab)] = newGitLabProvider(*h, d.link("/auth/gitlab/callback"))
	}
	return out
}

// signInData is the sign-in page's.
type signInData struct {
	Next      string
	Hosts     []*oauthProvider
	Token     bool
	PreCSRF   string
	Message   string
	NextQuery string
}

// signIn shows the sign-in choices: each host's OAuth, and the dashboard
// token's form when one is set.
func (d *Dashboard) signIn(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	data := signInData{Next: next, Token: d.cfg.DashboardToken != "", NextQuery: "?next=" + urlQueryEscape(next)}
	for _, h := range []policies.Host{policies.GitHub, policies.GitLab} {
		if p := d.hosts[string(h)]; p != nil {
			data.Hosts = append(data.Hosts, p)
		}
	}
	if data.Token {
		data.PreCSRF = d.preSessionCSRF(w, r)
	}
	d.render(w, r, "signin.html", data)
}

// preSessionCSRF returns the token the dashboard-token form carries,
// bound to a random cookie of this browser (there is no session yet).
func (d *Dashboard) preSessionCSRF(w http.ResponseWriter, r *http.Request) string {
	var nonce string
	if err := d.cookies.get(r, d.cookies.presession, &nonce); err != nil || nonce == "" {
		nonce = randomID()
		_ = d.cookies.set(w, d.cookies.presession, nonce, time.Hour)
	}
	return d.csrfFor("pre:" + nonce)
}

// signInToken signs in read-only with the dashboard token.
func (d *Dashboard) signInToken(w http.ResponseWriter, r *http.Request) {
	var nonce string
	if err := d.cookies.get(r, d.cookies.presession, &nonce); err != nil || nonce == "" || !d.sameOrigin(r) ||
		subtle.ConstantTimeCompare([]byte(r.PostFormValue(CSRFField)), []byte(d.csrfFor("pre:"+nonce))) != 1 {
		d.renderError(w, r, http.StatusForbidden, "This form is stale or came from another site: reload the sign-in page and try again.")
		return
	}
	if d.cfg.DashboardToken == "" || subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(d.cfg.DashboardToken)) != 1 {
		d.log.Warn().Msg("dashboard: wrong dashboard token")
		d.renderStatus(w, r, http.StatusUnauthorized, "signin.html", signInData{Next: safeNext(r.PostFormValue("next")),
			Token: d.cfg.DashboardToken != "", PreCSRF: d.csrfFor("pre:" + nonce), Message: "That token is not the dashboard token."})
		return
	}
	d.cookies.clear(w, d.cookies.presession)
	d.startSession(w, r, session{Login: "dashboard token", ReadOnly: true, TokenTag: d.tokenTag}, safeNext(r.PostFormValue("next")))
}

// startSession writes the session cookie and sends the browser on.
func (d *Dashboard) startSession(w http.ResponseWriter, r *http.Request, s session, next string) {
	exp := d.now().Add(d.cfg.SessionTTL)
	s.ID, s.Expires = randomID(), exp.Unix()
	if err := d.cookies.set(w, d.cookies.session, s, d.cfg.SessionTTL); err != nil {
		d.log.Error().Err(err).Msg("dashboard: writing the session cookie")
		d.renderError(w, r, http.StatusInternalServerError, "The session could not be written.")
		return
	}
	d.log.Info().Str("host", s.Host).Str("login", s.Login).Msg("dashboard: signed in")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// oauthStart sends the browser to the host's authorize page, with a state
// and a PKCE verifier kept in a cookie of this browser.
func (d *Dashboard) oauthStart(w http.ResponseWriter, r *http.Request) {
	p := d.hosts[r.PathValue("host")]
	if p == nil {
		d.renderError(w, r, http.StatusNotFound, "Sign-in with that host is not configured.")
		return
	}
	st := oauthState{Host: string(p.host), State: randomID(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(r.URL.Query().Get("next")), Expires: d.now().Add(oauthStateTTL).Unix()}
	if err := d.cookies.set(w, d.cookies.oauth, st, oauthStateTTL); err != nil {
		d.renderError(w, r, http.StatusInternalServerError, "The sign-in could not start.")
		return
	}
	http.Redirect(w, r, p.conf.AuthCodeURL(st.State, oauth2.S256ChallengeOption(st.Verifier)), http.StatusFound)
}

// oauthCallback finishes the OAuth round trip: the state must be this
// browser's, the code is exchanged for a token, and the token's user
// becomes the viewer.
func (d *Dashboard) oauthCallback(w http.ResponseWriter, r *http.Request) {
	p := d.hosts[r.PathValue("host")]
	if p == nil {
		d.renderError(w, r, http.StatusNotFound, "Sign-in with that host is not configured.")
		return
	}
	var st oauthState
	err := d.cookies.get(r, d.cookies.oauth, &st)
	d.cookies.clear(w, d.cookies.oauth)
	q := r.URL.Query()
	if err != nil || st.Host != string(p.host) || d.now().Unix() >= st.Expires ||
		subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		d.log.Warn().Str("host", string(p.host)).Msg("dashboard: OAuth callback without this browser's state")
		d.renderError(w, r, http.StatusBadRequest, "This sign-in was not started in this browser, or took too long: start again from the sign-in page.")
		return
	}
	if e := q.Get("error"); e != "" {
		d.renderError(w, r, http.StatusForbidden, fmt.Sprintf("%s refused the sign-in (%s).", p.label, truncateText(e, 80)))
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, d.client)
	tok, err := p.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		d.log.Warn().Str("host", string(p.host)).Str("error", oauthErrorCode(err)).Msg("dashboard: exchanging the OAuth code")
		d.renderError(w, r, http.StatusBadGateway, fmt.Sprintf("%s did not accept the sign-in: start again from the sign-in page.", p.label))
		return
	}
	login, name, err := p.user(r.Context(), d.client, bot.Secret(tok.AccessToken))
	if err != nil {
		d.log.Warn().Err(err).Str("host", string(p.host)).Msg("dashboard: reading the signed-in user")
		d.renderError(w, r, http.StatusBadGateway, fmt.Sprintf("%s did not say who signed in: try again.", p.label))
		return
	}
	d.startSession(w, r, session{Host: string(p.host), Login: login, Name: name, Token: tok.AccessToken}, st.Next)
}

// oauthErrorCode is the OAuth error code of a failed exchange, for the
// log: never the response body, which could carry a token.
func oauthErrorCode(err error) string {
	if re, ok := err.(*oauth2.RetrieveError); ok {
		if re.ErrorCode != "" {
			return re.ErrorCode
		}
		if re.Response != nil {
			return re.Response.Status
		}
	}
	return "exchange failed"
}

// signOut ends the session.
func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request) {
	d.cookies.clear(w, d.cookies.session)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// safeNext keeps a local path to go back to after sign-in; anything that
// could leave the site ("//evil", "https://…", "/\evil", control
// characters) becomes "/".
func safeNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > 2048 {
		return "/"
	}
	if strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	return next
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Host is the provider's host, for the sign-in page's links.
func (p *oauthProvider) Host() policies.Host { return p.host }

// Label is the host's name as people write it.
func (p *oauthProvider) Label() string { return p.label }
