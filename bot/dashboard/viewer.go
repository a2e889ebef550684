package dashboard

import (
	"context"
	"net/http"
	"net/url"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/policies"
)

// Viewer is the signed-in person.
type Viewer struct {
	// Host is where they signed in; "" for the dashboard token.
	Host policies.Host
	// Login is their login (GitLab: username); "dashboard token" for the
	// token's read-only viewer.
	Login string
	// Name is their display name, when the host has one.
	Name string
	// ReadOnly viewers (the dashboard token) see every repository and
	// decide nothing.
	ReadOnly bool

	// token is their OAuth token: calls to the host on their behalf.
	token bot.Secret
	// tokenTag names the dashboard token a read-only viewer signed in
	// with: their feed carries it.
	tokenTag string
	// sessionID keys the CSRF token.
	sessionID string
	// viaFeed is a calendar feed's viewer: no session, no token; roles
	// are read with Shipgate's credentials.
	viaFeed bool
}

// Display is the name to show.
func (v *Viewer) Display() string {
	if v.Name != "" {
		return v.Name
	}
	return v.Login
}

type viewerKey struct{}

// ViewerFrom returns the signed-in viewer of the request's context.
func ViewerFrom(ctx context.Context) (*Viewer, bool) {
	v, ok := ctx.Value(viewerKey{}).(*Viewer)
	return v, ok && v != nil
}

func withViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

func viewerOf(s session) *Viewer {
	return &Viewer{Host: policies.Host(s.Host), Login: s.Login, Name: s.Name, ReadOnly: s.ReadOnly, tokenTag: s.TokenTag, token: bot.Secret(s.Token), sessionID: s.ID}
}

// withSession puts the viewer of a valid session in the context. A
// forged, garbled or expired cookie is dropped: the request goes on as
// anonymous.
func (d *Dashboard) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := d.cookies.readSession(r, d.now())
		if err == nil && !d.tokenCurrent(s.ReadOnly, s.TokenTag) {
			err = errTokenChanged
		}
		if err != nil {
			if _, absent := r.Cookie(d.cookies.session); absent == nil {
				// A cookie was sent and refused: drop it.
				d.cookies.clear(w, d.cookies.session)
				d.log.Info().Str("reason", reasonOf(err)).Msg("dashboard: session cookie refused")
			}
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(withViewer(r.Context(), viewerOf(s))))
	})
}

// reasonOf names why a cookie was refused, for the log (never the cookie).
func reasonOf(err error) string {
	switch err {
	case errExpired:
		return "expired"
	case errTokenChanged:
		return "dashboard token changed"
	}
	return "invalid"
}

// requireViewer sends anonymous GETs to sign in (and back), and refuses
// other anonymous requests.
func (d *Dashboard) requireViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := ViewerFrom(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		d.renderError(w, r, http.StatusUnauthorized, "Sign in first.")
	})
}

// requireActor refuses the read-only viewer.
func (d *Dashboard) requireActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, ok := ViewerFrom(r.Context()); !ok || v.ReadOnly {
			d.renderError(w, r, http.StatusForbidden, "The dashboard token is read-only: sign in with GitHub or GitLab to decide.")
			return
		}
		next.ServeHTTP(w, r)
	})
}
