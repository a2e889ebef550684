package deploy

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// A person may act on a deployment as a host login (a tag pushed, a
// /deploy or /approve-deploy comment; a GitHub login or a GitLab username)
// and as a Slack user (a button). Shipgate links the two through
// notify.slack.users and, where a login's vouched e-mail address is a
// Slack profile's, through that. Two
// identities it cannot link are not known to be different people: a
// Slack user linked to no login may be anyone whose login is linked to no
// Slack user. Approvals that such a doubt would let through (the starter
// approving, one person counted twice) are refused.

// Emails gives the e-mail addresses a host vouches for as a login's.
type Emails interface {
	// LoginEmails returns the addresses the host vouches for: GitHub, the
	// public address of login's profile and the author addresses of its
	// verified commits in repo; GitLab, the user's public e-mail (one of
	// its verified addresses).
	LoginEmails(ctx context.Context, repo, login string) ([]string, error)
}

// SlackDirectory finds Slack users by e-mail address.
type SlackDirectory interface {
	// SlackUserByEmail returns the Slack user whose profile has the
	// address, "" when none (users.lookupByEmail).
	SlackUserByEmail(ctx context.Context, email string) (string, error)
}

// linkTTL is how long a login's Slack user found by e-mail is kept: a
// changed address takes effect within it.
const linkTTL = time.Hour

// maxLinks bounds the cache.
const maxLinks = 4096

// linkCache keeps the Slack user found for a login by e-mail ("" for
// none), per repository.
type linkCache struct {
	mu sync.Mutex
	m  map[string]cachedLink
}

type cachedLink struct {
	user    string
	expires time.Time
}

func (c *linkCache) get(key string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.m[key]
	if !ok || !now.Before(l.expires) {
		return "", false
	}
	return l.user, true
}

func (c *linkCache) put(key, user string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxLinks {
		c.m = map[string]cachedLink{} // rare: start afresh rather than track age
	}
	c.m[key] = cachedLink{user: user, expires: now.Add(linkTTL)}
}

// slackOf returns the Slack user of a host login: through
// notify.slack.users, else the Slack user whose profile has an address
// the deployment's host vouches for as the login's; "" when unknown. A failed lookup is
// logged and leaves the login unlinked, which refuses rather than allows.
func (o *Orchestrator) slackOf(ctx context.Context, p *policies.Policy, st *State, login string) string {
	for l, user := range p.Notify.SlackUsers {
		if policies.SameLogin(l, login) {
			return user
		}
	}
	emails := o.on(st.Host).Emails
	if login == "" || isBot(login) || emails == nil || o.cfg.Directory == nil {
		return ""
	}
	key := string(st.Host) + "\x00" + st.Repo + "\x00" + login
	if user, ok := o.links.get(key, o.cfg.Now()); ok {
		return user
	}
	addrs, err := emails.LoginEmails(ctx, st.Repo, login)
	if err != nil {
		o.log(ctx, st).Warn().Err(err).Str("login", login).Msg("reading a login's e-mail addresses")
		return ""
	}
	user := ""
	for _, e := range addrs {
		u, err := o.cfg.Directory.SlackUserByEmail(ctx, e)
		if err != nil {
			o.log(ctx, st).Warn().Err(err).Str("login", login).Msg("looking a Slack user up by e-mail")
			return ""
		}
		if u != "" {
			user = u
			break
		}
	}
	o.links.put(key, user, o.cfg.Now())
	return user
}

// link fills in the other half of an actor: a login's Slack user, or the
// login, among candidates, whose Slack user a Slack actor is.
func (o *Orchestrator) link(ctx context.Context, p *policies.Policy, st *State, a Actor, candidates []string) Actor {
	a = resolve(p, a)
	switch {
	case a.Login != "" && a.SlackUser == "":
		a.SlackUser = o.slackOf(ctx, p, st, a.Login)
	case a.SlackUser != "" && a.Login == "":
		for _, c := range candidates {
			if c != "" && o.slackOf(ctx, p, st, c) == a.SlackUser {
				a.Login = c
				break
			}
		}
	}
	return a
}

// resolve fills in the other half of an actor through notify.slack.users.
func resolve(p *policies.Policy, a Actor) Actor {
	for login, user := range p.Notify.SlackUsers {
		switch {
		case a.Login == "" && a.SlackUser != "" && user == a.SlackUser:
			a.Login = login
		case a.SlackUser == "" && a.Login != "" && policies.SameLogin(login, a.Login):
			a.SlackUser = user
		}
	}
	return a
}

// identity is what Shipgate knows of whether two actors are one person.
type identity int

const (
	differentPeople identity = iota
	samePerson
	// unknownPeople: one is known only on GitHub, the other only on
	// Slack, and nothing links them.
	unknownPeople
)

// compare tells whether x and y are the same person, different people, or
// possibly either.
func compare(x, y Actor) identity {
	switch {
	case x.Login != "" && y.Login != "" && policies.SameLogin(x.Login, y.Login),
		x.SlackUser != "" && y.SlackUser != "" && x.SlackUser == y.SlackUser:
		return samePerson
	case x.Login != "" && y.Login != "", x.SlackUser != "" && y.SlackUser != "":
		return differentPeople // two accounts of one host are two people
	case x == Actor{} || y == Actor{}, isBot(x.Login) || isBot(y.Login):
		return differentPeople // Shipgate itself, or a bot, clicks nothing in Slack
	}
	return unknownPeople
}

// isBot reports whether a login is a GitHub App's bot account.
func isBot(login string) bool { return strings.HasSuffix(strings.ToLower(login), "[bot]") }

// decider is the actor of an earlier decision.
func (d Decision) decider() Actor {
	if d.Login != "" || d.SlackUser != "" {
		return Actor{Login: d.Login, SlackUser: d.SlackUser}
	}
	if u, ok := strings.CutPrefix(d.Person, "slack:"); ok {
		return Actor{SlackUser: u}
	}
	return Actor{Login: d.Person}
}
