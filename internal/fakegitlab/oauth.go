package fakegitlab

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// OAuthApp is a GitLab OAuth application (User settings › Applications).
type OAuthApp struct {
	ClientID, ClientSecret string
	// RedirectURI is the registered callback; requests must name it
	// exactly.
	RedirectURI string
	// Scopes the application may ask for (default read_api).
	Scopes []string
}

// oauthState is the fake's OAuth side; guarded by Server.mu.
type oauthState struct {
	app      *OAuthApp
	signedIn User
	codes    map[string]*oauthCode
	users    map[string]User // access token → user
	granted  []string
	n        int
}

type oauthCode struct {
	user                       User
	redirect, challenge, scope string
	expires                    time.Time
	used                       bool
}

// EnableOAuth registers the OAuth application whose flow the fake serves
// at /oauth/authorize and /oauth/token beside the API (the instance's
// root is the API's base path without /api/v4).
func (s *Server) EnableOAuth(app OAuthApp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(app.Scopes) == 0 {
		app.Scopes = []string{"read_api"}
	}
	s.oauth = oauthState{app: &app, codes: map[string]*oauthCode{}, users: map[string]User{}}
}

// SignInAs makes u the person signed in to GitLab in "the browser".
func (s *Server) SignInAs(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.signedIn = u
}

// WebURL is the instance's URL (where people sign in), with a trailing
// slash: what SHIPGATE_GITLAB_URL names.
func (s *Server) WebURL() string { return s.srv.URL + strings.TrimSuffix(BasePath, "/api/v4") + "/" }

// OAuthGrants lists the tokens issued, as "username→client_id".
func (s *Server) OAuthGrants() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.oauth.granted...)
}

// bearerUser returns the user of the request's OAuth token (ok false for
// any other credential). The lock must be held.
func (s *Server) bearerUser(r *http.Request) (User, bool) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return User{}, false
	}
	u, ok := s.oauth.users[strings.TrimSpace(cred)]
	return u, ok
}

// serveOAuth answers the OAuth flow's endpoints; false for other paths.
// The lock must be held.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request, body []byte) bool {
	root := strings.TrimSuffix(BasePath, "/api/v4")
	switch {
	case r.URL.Path == root+"/oauth/authorize" && r.Method == http.MethodGet:
		s.authorize(w, r)
	case r.URL.Path == root+"/oauth/token" && r.Method == http.MethodPost:
		s.token(w, r, body)
	default:
		return false
	}
	return true
}

func (s *Server) oauthRefuse(w http.ResponseWriter, msg string) {
	s.unexpected = append(s.unexpected, "OAuth authorize GitLab would refuse: "+msg)
	http.Error(w, "fakegitlab: "+msg, http.StatusBadRequest)
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	app := s.oauth.app
	switch {
	case app == nil:
		s.oauthRefuse(w, "no OAuth application (EnableOAuth)")
	case q.Get("client_id") != app.ClientID:
		s.oauthRefuse(w, fmt.Sprintf("client_id %q is not the application's", q.Get("client_id")))
	case q.Get("redirect_uri") != app.RedirectURI:
		s.oauthRefuse(w, fmt.Sprintf("redirect_uri %q is not the registered %q", q.Get("redirect_uri"), app.RedirectURI))
	case q.Get("response_type") != "code":
		s.oauthRefuse(w, "response_type must be code")
	case len(q.Get("state")) < 16:
		s.oauthRefuse(w, "state is missing or too short to be unguessable")
	case !scopesAllowed(q.Get("scope"), app.Scopes):
		s.oauthRefuse(w, fmt.Sprintf("scope %q is not among the application's %v", q.Get("scope"), app.Scopes))
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		s.oauthRefuse(w, "code_challenge_method must be S256")
	case s.oauth.signedIn.Username == "":
		s.oauthRefuse(w, "nobody is signed in to the fake (SignInAs)")
	default:
		s.oauth.n++
		code := fmt.Sprintf("glcode%06d", s.oauth.n)
		s.oauth.codes[code] = &oauthCode{user: s.oauth.signedIn, redirect: app.RedirectURI, challenge: q.Get("code_challenge"),
			scope: q.Get("scope"), expires: s.Now().Add(10 * time.Minute)}
		u, _ := url.Parse(app.RedirectURI)
		cq := u.Query()
		cq.Set("code", code)
		cq.Set("state", q.Get("state"))
		u.RawQuery = cq.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
}

func scopesAllowed(asked string, allowed []string) bool {
	for _, sc := range strings.Fields(asked) {
		if !slices.Contains(allowed, sc) {
			return false
		}
	}
	return true
}

// token exchanges a code (grant_type authorization_code) for a token; a
// bad request is 400 or 401 with an OAuth error, as GitLab answers.
func (s *Server) token(w http.ResponseWriter, r *http.Request, body []byte) {
	form, _ := url.ParseQuery(string(body))
	app := s.oauth.app
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if app == nil || id != app.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(app.ClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed."})
		return
	}
	c := s.oauth.codes[form.Get("code")]
	bad := form.Get("grant_type") != "authorization_code" || c == nil || c.used || !s.Now().Before(c.expires) ||
		form.Get("redirect_uri") != c.redirect
	if !bad && c.challenge != "" {
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		bad = base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge
	}
	if bad {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."})
		return
	}
	c.used = true
	s.oauth.n++
	tok := fmt.Sprintf("glpat-oauth%04d%s", s.oauth.n, strings.Repeat("y", 20))
	s.oauth.users[tok] = c.user
	s.oauth.granted = append(s.oauth.granted, c.user.Username+"→"+app.ClientID)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 7200, "scope": c.scope})
}

// projectFor answers a project to a user token: 404 unless a member or
// the project is public or internal; permissions.project_access carries
// the member's level.
func (s *Server) projectFor(w http.ResponseWriter, p *Project, u User) {
	level := 0
	for _, m := range p.Members {
		if strings.EqualFold(m.Username, u.Username) {
			level = m.AccessLevel
		}
	}
	vis := p.Visibility
	if vis == "" {
		vis = "private"
	}
	if level < 10 && vis == "private" {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return
	}
	perms := map[string]any{"project_access": nil, "group_access": nil}
	if level > 0 {
		perms["project_access"] = map[string]int{"access_level": level, "notification_level": 3}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": p.ID, "path_with_namespace": p.Path, "default_branch": p.DefaultBranch,
		"visibility": vis, "web_url": "https://gitlab.example/" + p.Path, "permissions": perms})
}
