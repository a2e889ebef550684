package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/shipgate/shipgate/bot"
)

// session is what the session cookie carries, signed and encrypted: the
// OAuth token never leaves the server in the clear, and a cookie edited
// by its holder fails to decode.
type session struct {
	// ID is random; the CSRF token and the feed token derive from it.
	ID       string `json:"id"`
	Host     string `json:"host,omitempty"`
	Login    string `json:"login"`
	Name     string `json:"name,omitempty"`
	Token    string `json:"token,omitempty"`
	ReadOnly bool   `json:"ro,omitempty"`
	// TokenTag names the dashboard token a read-only session signed in
	// with (dashboardTokenTag).
	TokenTag string `json:"tt,omitempty"`
	// Expires is checked on the server's clock (Unix seconds): a cookie
	// kept past its time is refused even if the browser still sends it.
	Expires int64 `json:"exp"`
}

// oauthState binds an OAuth round trip to the browser that started it:
// the callback's state must equal the one in this cookie.
type oauthState struct {
	Host     string `json:"host"`
	State    string `json:"state"`
	Verifier string `json:"verifier"`
	Next     string `json:"next"`
	Expires  int64  `json:"exp"`
}

// oauthStateTTL bounds an OAuth round trip.
const oauthStateTTL = 10 * time.Minute

// cookies encodes and decodes the dashboard's cookies.
type cookies struct {
	codec   *securecookie.SecureCookie
	csrfKey []byte
	feedKey []byte
	secure  bool
	// session and oauth are the cookie names: __Host- prefixed when
	// Secure, so no subdomain can plant one.
	session, oauth, presession string
}

// deriveKey derives a key for one use from the session secret.
func deriveKey(secret []byte, use string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("shipgate dashboard " + use))
	return m.Sum(nil)
}

func newCookies(secret []byte, secure bool) *cookies {
	codec := securecookie.New(deriveKey(secret, "cookie signing"), deriveKey(secret, "cookie encryption"))
	codec.SetSerializer(securecookie.JSONEncoder{})
	// The session's own expiry is checked on the injected clock; this is
	// a second bound on the real one.
	codec.MaxAge(int((31 * 24 * time.Hour).Seconds()))
	c := &cookies{codec: codec, csrfKey: deriveKey(secret, "csrf"), feedKey: deriveKey(secret, "calendar feed"), secure: secure,
		session: "shipgate_session", oauth: "shipgate_oauth", presession: "shipgate_pre"}
	if secure {
		c.session, c.oauth, c.presession = "__Host-shipgate_session", "__Host-shipgate_oauth", "__Host-shipgate_pre"
	}
	return c
}

// set writes a cookie holding v for the browser to keep for ttl (the
// value carries its own expiry, checked on the server's clock).
func (c *cookies) set(w http.ResponseWriter, name string, v any, ttl time.Duration) error {
	enc, err := c.codec.Encode(name, v)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: enc, Path: "/", MaxAge: int(ttl.Seconds()),
		Secure: c.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}

// get decodes the cookie name into v; an absent, forged or garbled cookie
// is an error.
func (c *cookies) get(r *http.Request, name string, v any) error {
	ck, err := r.Cookie(name)
	if err != nil {
		return err
	}
	return c.codec.Decode(name, ck.Value, v)
}

// clear removes a cookie.
func (c *cookies) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: c.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// dashboardTokenTag names a dashboard token without revealing it: "" when
// there is none, so that nothing matches.
func dashboardTokenTag(secret []byte, token bot.Secret) string {
	if token == "" {
		return ""
	}
	m := hmac.New(sha256.New, deriveKey(secret, "dashboard token tag"))
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// tokenCurrent reports whether a read-only viewer's tag names the
// dashboard token in force; other viewers need none.
func (d *Dashboard) tokenCurrent(readOnly bool, tag string) bool {
	return !readOnly || (d.tokenTag != "" && hmac.Equal([]byte(tag), []byte(d.tokenTag)))
}

// randomID returns 32 random bytes, URL-safe.
func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// errExpired is a session past its time.
var errExpired = errors.New("session expired")

// errTokenChanged is a read-only session or feed of a dashboard token no
// longer in force.
var errTokenChanged = errors.New("the dashboard token changed")

// readSession returns the request's session, or an error when it is
// absent, forged or expired at now.
func (c *cookies) readSession(r *http.Request, now time.Time) (session, error) {
	var s session
	if err := c.get(r, c.session, &s); err != nil {
		return session{}, err
	}
	if s.ID == "" || s.Login == "" || now.Unix() >= s.Expires {
		return session{}, errExpired
	}
	return s, nil
}
