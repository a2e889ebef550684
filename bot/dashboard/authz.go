package dashboard

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shipgate/shipgate/policies"
)

// Role returns the viewer's role on a repository, from the host with the
// viewer's own token, cached for RoleTTL. The dashboard token's viewer
// reads everything (and decides nothing); a viewer of another host has no
// role. An error means the role is unknown: treat it as none.
func (d *Dashboard) Role(ctx context.Context, host policies.Host, repo string) (policies.Permission, error) {
	v, ok := ViewerFrom(ctx)
	if !ok {
		return policies.PermNone, nil
	}
	if v.ReadOnly {
		return policies.PermRead, nil
	}
	if v.Host != host {
		return policies.PermNone, nil
	}
	p := d.hosts[string(host)]
	if p == nil && !v.viaFeed {
		return policies.PermNone, nil
	}
	key := roleKey{host: host, login: v.Login, session: v.sessionID, repo: repo}
	if role, ok := d.roles.get(key); ok {
		return role, nil
	}
	var role policies.Permission
	var err error
	if v.viaFeed {
		role, err = d.feedRole(ctx, v, repo)
	} else {
		role, err = p.role(ctx, d.client, v.token, repo)
	}
	if err != nil {
		d.log.Warn().Err(err).Str("host", string(host)).Str("repo", repo).Msg("dashboard: reading the viewer's role")
		return policies.PermNone, err
	}
	d.roles.put(key, role)
	return role, nil
}

// CanRead reports whether the viewer may see a repository. Every page and
// export asks it for every repository it shows; it fails closed.
func (d *Dashboard) CanRead(ctx context.Context, host policies.Host, repo string) bool {
	role, err := d.Role(ctx, host, repo)
	return err == nil && role >= policies.PermRead
}

// RepoRef names a repository of a host.
type RepoRef struct {
	Host policies.Host
	Repo string
}

// Readable returns the repositories of repos the viewer may read, in
// their order, asking the host for several at once.
func (d *Dashboard) Readable(ctx context.Context, repos []RepoRef) []RepoRef {
	ok := make([]bool, len(repos))
	eachRepo(repos, func(i int, r RepoRef) { ok[i] = d.CanRead(ctx, r.Host, r.Repo) })
	out := make([]RepoRef, 0, len(repos))
	for i, r := range repos {
		if ok[i] {
			out = append(out, r)
		}
	}
	return out
}

// roleKey keys the cache by session too: a new sign-in asks again.
type roleKey struct {
	host           policies.Host
	login, session string
	repo           string
}

type roleEntry struct {
	role  policies.Permission
	until time.Time
}

// roleCache keeps roles briefly: a role taken away on the host stops
// counting within the TTL.
type roleCache struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.Mutex
	m   map[roleKey]roleEntry
}

// maxRoles bounds the cache; it is emptied when full.
const maxRoles = 50000

func newRoleCache(ttl time.Duration, now func() time.Time) *roleCache {
	return &roleCache{ttl: ttl, now: now, m: map[roleKey]roleEntry{}}
}

func (c *roleCache) get(k roleKey) (policies.Permission, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || !c.now().Before(e.until) {
		return policies.PermNone, false
	}
	return e.role, true
}

func (c *roleCache) put(k roleKey, role policies.Permission) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxRoles {
		c.m = map[roleKey]roleEntry{}
	}
	c.m[k] = roleEntry{role: role, until: c.now().Add(c.ttl)}
}

// hostCallsAtOnce bounds the host calls one page makes at a time.
const hostCallsAtOnce = 8

// eachRepo calls f for every repository, hostCallsAtOnce at a time, and
// returns when all are done.
func eachRepo(repos []RepoRef, f func(i int, r RepoRef)) {
	var g errgroup.Group
	g.SetLimit(hostCallsAtOnce)
	for i, r := range repos {
		g.Go(func() error { f(i, r); return nil })
	}
	_ = g.Wait() // f returns no error
}
