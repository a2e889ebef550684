package fakegithub

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// OAuthApp is the OAuth side of a GitHub App (or an OAuth App): the web
// flow people sign in with. [Server.EnableOAuth] registers it.
type OAuthApp struct {
	ClientID     string
	ClientSecret string
	// CallbackURL is the registered callback: the authorize request's
	// redirect_uri must equal it, as must the token request's.
	CallbackURL string
}

// oauthState is the fake's OAuth side; guarded by Server.mu.
type oauthState struct {
	app *OAuthApp
	// signedIn is who the browser is signed in to GitHub as: the
	// authorize page grants the app to them.
	signedIn, signedInName string
	codes                  map[string]*oauthCode
	// users maps the user tokens issued to their login.
	users map[string]string
	names map[string]string
	// granted lists "login→client" for each token issued, readably.
	granted []string
	n       int
}

type oauthCode struct {
	login, redirect, challenge string
	expires                    time.Time
	used                       bool
}

// EnableOAuth registers the OAuth app whose web flow the fake serves at
// /login/oauth/authorize and /login/oauth/access_token (outside the API's
// base path, as on github.com and GHES).
func (s *Server) EnableOAuth(app OAuthApp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.app = &app
	s.oauth.codes = map[string]*oauthCode{}
	s.oauth.users = map[string]string{}
	s.oauth.names = map[string]string{}
}

// SignInAs makes login (with a display name) the person signed in to
// GitHub in "the browser": the next authorize request grants the app to
// them.
func (s *Server) SignInAs(login, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.signedIn, s.oauth.signedInName = login, name
}

// UserToken issues a user token for login directly, as if they had
// signed in through the app, for tests that skip the web flow.
func (s *Server) UserToken(login, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueUserToken(login, name)
}

// OAuthGrants lists the tokens issued, as "login→client_id".
func (s *Server) OAuthGrants() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.oauth.granted...)
}

func (s *Server) issueUserToken(login, name string) string {
	if s.oauth.users == nil {
		s.oauth.users, s.oauth.names = map[string]string{}, map[string]string{}
	}
	s.oauth.n++
	tok := fmt.Sprintf("gho_fake%04d%s", s.oauth.n, strings.Repeat("x", 20))
	s.oauth.users[tok], s.oauth.names[login] = login, name
	client := ""
	if s.oauth.app != nil {
		client = s.oauth.app.ClientID
	}
	s.oauth.granted = append(s.oauth.granted, login+"→"+client)
	return tok
}

// userOf returns the login a request's user token belongs to ("" for any
// other credential). The lock must be held.
func (s *Server) userOf(r *http.Request) string {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return s.oauth.users[strings.TrimSpace(cred)]
}

// isUserToken reports whether cred is a user token the fake issued.
func (s *Server) isUserToken(cred string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.oauth.users[cred]
	return ok
}

// serveOAuth answers the web flow's two endpoints, checking what GitHub
// checks; it reports false for other paths.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request, body []byte) bool {
	switch {
	case r.URL.Path == "/login/oauth/authorize" && r.Method == http.MethodGet:
		s.authorize(w, r)
	case r.URL.Path == "/login/oauth/access_token" && r.Method == http.MethodPost:
		s.accessToken(w, r, body)
	default:
		return false
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Route: r.Method + " " + r.URL.Path})
	s.mu.Unlock()
	return true
}

// authorize grants the app to the signed-in person and sends the browser
// back to the registered callback with a code and the client's state.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	app := s.oauth.app
	switch {
	case app == nil:
		s.oauthPageError(w, "no OAuth app registered (EnableOAuth)")
	case q.Get("client_id") != app.ClientID:
		s.oauthPageError(w, fmt.Sprintf("client_id %q is not the app's", q.Get("client_id")))
	case q.Get("redirect_uri") != app.CallbackURL:
		s.oauthPageError(w, fmt.Sprintf("redirect_uri %q is not the registered callback %q", q.Get("redirect_uri"), app.CallbackURL))
	case len(q.Get("state")) < 16:
		s.oauthPageError(w, "state is missing or too short to be unguessable")
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		s.oauthPageError(w, "code_challenge_method must be S256")
	case s.oauth.signedIn == "":
		s.oauthPageError(w, "nobody is signed in to the fake (SignInAs)")
	default:
		s.oauth.n++
		code := fmt.Sprintf("code%06d", s.oauth.n)
		s.oauth.codes[code] = &oauthCode{login: s.oauth.signedIn, redirect: app.CallbackURL, challenge: q.Get("code_challenge"),
			expires: s.clock().Add(10 * time.Minute)}
		s.oauth.names[s.oauth.signedIn] = s.oauth.signedInName
		u, _ := url.Parse(app.CallbackURL)
		cq := u.Query()
		cq.Set("code", code)
		cq.Set("state", q.Get("state"))
		u.RawQuery = cq.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
}

// oauthPageError answers a flow GitHub would refuse, and fails the test:
// the client must never send one. The lock must be held.
func (s *Server) oauthPageError(w http.ResponseWriter, msg string) {
	s.t.Errorf("fakegithub: OAuth authorize: %s", msg)
	http.Error(w, "fakegithub: "+msg, http.StatusBadRequest)
}

// accessToken exchanges a code for a user token. Like GitHub, it answers
// 200 with an "error" field for a bad code, and JSON only when asked.
func (s *Server) accessToken(w http.ResponseWriter, r *http.Request, body []byte) {
	form, _ := url.ParseQuery(string(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	answer := func(v map[string]string) {
		if strings.Contains(r.Header.Get("Accept"), "json") {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v)
			return
		}
		q := url.Values{}
		for k, x := range v {
			q.Set(k, x)
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = w.Write([]byte(q.Encode()))
	}
	app := s.oauth.app
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if app == nil || id != app.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(app.ClientSecret)) != 1 {
		answer(map[string]string{"error": "incorrect_client_credentials", "error_description": "The client_id and/or client_secret passed are incorrect."})
		return
	}
	c := s.oauth.codes[form.Get("code")]
	if c == nil || c.used || !s.clock().Before(c.expires) {
		answer(map[string]string{"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."})
		return
	}
	if form.Get("redirect_uri") != "" && form.Get("redirect_uri") != c.redirect {
		answer(map[string]string{"error": "redirect_uri_mismatch", "error_description": "The redirect_uri MUST match the registered callback URL for this application."})
		return
	}
	if c.challenge != "" {
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			answer(map[string]string{"error": "bad_verification_code", "error_description": "The code_verifier does not match the code_challenge."})
			return
		}
	}
	c.used = true
	tok := s.issueUserToken(c.login, s.oauth.names[c.login])
	answer(map[string]string{"access_token": tok, "token_type": "bearer", "scope": ""})
}
