package dashboard

import (
	"context"
	"errors"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/shipgate/shipgate/policies"
)

// feedTTL is how long a calendar feed URL works; a new one is on the
// calendar page.
const feedTTL = 180 * 24 * time.Hour

// feedClaims is what a calendar feed token carries, signed and
// encrypted: who it is for, never an OAuth token (the URL sits in
// calendar clients for months). Their roles are read with Shipgate's own
// credentials instead.
type feedClaims struct {
	Host     string `json:"h"`
	Login    string `json:"l"`
	ReadOnly bool   `json:"ro,omitempty"`
	TokenTag string `json:"tt,omitempty"`
	Expires  int64  `json:"exp"`
}

func newFeedCodec(secret []byte) *securecookie.SecureCookie {
	c := securecookie.New(deriveKey(secret, "feed signing"), deriveKey(secret, "feed encryption"))
	c.SetSerializer(securecookie.JSONEncoder{})
	c.MaxAge(0) // the claims' own expiry, on the server's clock
	return c
}

// feedToken returns the viewer's calendar feed token.
func (d *Dashboard) feedToken(v *Viewer) (string, error) {
	if v == nil {
		return "", errors.New("no viewer")
	}
	return d.feeds.Encode("feed", feedClaims{Host: string(v.Host), Login: v.Login, ReadOnly: v.ReadOnly, TokenTag: v.tokenTag, Expires: d.now().Add(feedTTL).Unix()})
}

// feedViewer is the viewer a feed token names; forged, garbled and
// expired tokens are errors.
func (d *Dashboard) feedViewer(tok string) (*Viewer, error) {
	var c feedClaims
	if tok == "" {
		return nil, errors.New("no feed token")
	}
	if err := d.feeds.Decode("feed", tok, &c); err != nil {
		return nil, errors.New("invalid feed token")
	}
	if c.Login == "" || d.now().Unix() >= c.Expires {
		return nil, errors.New("expired feed token")
	}
	if !d.tokenCurrent(c.ReadOnly, c.TokenTag) {
		return nil, errTokenChanged
	}
	if !c.ReadOnly && c.Host == "" {
		return nil, errors.New("feed token without a host")
	}
	return &Viewer{Host: policies.Host(c.Host), Login: c.Login, ReadOnly: c.ReadOnly, tokenTag: c.TokenTag, viaFeed: true, sessionID: "feed"}, nil
}

// feedRole reads a feed viewer's role with Shipgate's own credentials on
// the host: the collaborator permission of their login.
func (d *Dashboard) feedRole(ctx context.Context, v *Viewer, repo string) (policies.Permission, error) {
	h := d.cfg.Hosts[v.Host]
	if h == nil {
		return policies.PermNone, nil
	}
	r, err := h.Repo(ctx, repo, 0)
	if err != nil {
		return policies.PermNone, err
	}
	return r.Role(ctx, v.Login)
}
