package dashboard

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// RepoOpener opens a repository with Shipgate's own credentials on a host
// (gate.Host does): the dashboard reads policies with it, and the role of
// a calendar feed's owner, who presents no OAuth token.
type RepoOpener interface {
	Repo(ctx context.Context, repo string, scope int64) (gate.Repo, error)
}

// policyTTL is how long a repository's policy is kept; a failed read is
// kept for policyErrTTL, so that a broken repository does not slow every
// page.
const (
	policyTTL    = 5 * time.Minute
	policyErrTTL = time.Minute
)

// errNoHost is a repository of a host the server has no credentials for.
var errNoHost = errors.New("the server has no credentials for this host")

type policyEntry struct {
	p     *policies.Policy
	err   error
	until time.Time
}

// policyCache reads policies from default branches, briefly cached.
type policyCache struct {
	hosts map[policies.Host]RepoOpener
	now   func() time.Time
	mu    sync.Mutex
	m     map[RepoRef]policyEntry
}

// policy returns the policy of a repository's default branch; nil with
// no error when it has none.
func (c *policyCache) policy(ctx context.Context, r RepoRef) (*policies.Policy, error) {
	c.mu.Lock()
	e, ok := c.m[r]
	c.mu.Unlock()
	if ok && c.now().Before(e.until) {
		return e.p, e.err
	}
	p, err := c.load(ctx, r)
	ttl := policyTTL
	if err != nil {
		ttl = policyErrTTL
	}
	c.mu.Lock()
	c.m[r] = policyEntry{p: p, err: err, until: c.now().Add(ttl)}
	c.mu.Unlock()
	return p, err
}

func (c *policyCache) load(ctx context.Context, r RepoRef) (*policies.Policy, error) {
	h := c.hosts[r.Host]
	if h == nil {
		return nil, errNoHost
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	repo, err := h.Repo(ctx, r.Repo, 0)
	if err != nil {
		return nil, err
	}
	l, err := gate.LoadPolicy(ctx, repo, review.PolicyFile, "")
	if err != nil {
		return nil, err
	}
	if l.Invalid != nil {
		return nil, l.Invalid
	}
	return l.Policy, nil
}

// repoPolicy is one repository's policy, or why it could not be read.
type repoPolicy struct {
	RepoRef
	Policy *policies.Policy
	Err    error
}

// policiesOf reads the policies of repos, several at once.
func (d *Dashboard) policiesOf(ctx context.Context, repos []RepoRef) []repoPolicy {
	out := make([]repoPolicy, len(repos))
	eachRepo(repos, func(i int, r RepoRef) {
		p, err := d.policies.policy(ctx, r)
		out[i] = repoPolicy{RepoRef: r, Policy: p, Err: err}
	})
	return out
}
