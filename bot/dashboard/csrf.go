package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
)

// CSRFField is the form field, and CSRFHeader the header, that carry the
// CSRF token of a POST.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

// csrfFor derives the CSRF token of a session (or a pre-session nonce):
// an attacker's page cannot read it, so it cannot forge a form.
func (d *Dashboard) csrfFor(id string) string {
	m := hmac.New(sha256.New, d.cookies.csrfKey)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CSRFToken returns the token the viewer's forms must carry ("" without a
// viewer).
func (d *Dashboard) CSRFToken(r *http.Request) string {
	v, ok := ViewerFrom(r.Context())
	if !ok {
		return ""
	}
	return d.csrfFor("session:" + v.sessionID)
}

// checkCSRF refuses a POST whose token does not match the session's, or
// whose Origin is another site's.
func (d *Dashboard) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := d.CSRFToken(r)
		got := r.Header.Get(CSRFHeader)
		if got == "" {
			got = r.PostFormValue(CSRFField)
		}
		if want == "" || !hmac.Equal([]byte(got), []byte(want)) || !d.sameOrigin(r) {
			d.log.Warn().Str("path", r.URL.Path).Msg("dashboard: CSRF check failed")
			d.renderError(w, r, http.StatusForbidden, "This form is stale or came from another site: reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin checks the Origin header when the browser sends one: a POST
// from another site is refused even with a token.
func (d *Dashboard) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || d.public == nil {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Scheme == d.public.Scheme && u.Host == d.public.Host
}
