package records

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/errgroup"

	"github.com/shipgate/shipgate/policies"
)

// DefaultTTL is how long an answer is reused: a record's state changes
// rarely, and a Jira webhook or a retry reads it again at once.
const DefaultTTL = time.Minute

// maxParallel bounds the concurrent questions of one verification.
const maxParallel = 4

// Verifier verifies cited records with their providers. A nil provider is
// not configured. It is safe for concurrent use.
type Verifier struct {
	Jira       *Jira
	ServiceNow *ServiceNow
	// TTL is how long an answer is reused (default DefaultTTL); errors
	// are never kept.
	TTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	once  sync.Once
	cache *lru.Cache[cacheKey, policies.Record]
}

type cacheKey struct {
	provider, id, fields string
}

// Verify asks each record's provider about it, reusing an answer younger
// than the TTL unless fresh (a webhook said the record changed, or a
// retry). It never fails: a record that could not be verified carries
// the reason in Unverified (and Retry when asking again may help), and an
// ID that no provider of v verifies is left out (the rule fails it).
func (v *Verifier) Verify(ctx context.Context, rv *policies.RecordVerification, ids []string, fresh bool) map[string]policies.Record {
	out := make(map[string]policies.Record, len(ids))
	recs := make([]policies.Record, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i, id := range ids {
		prov := rv.ProviderOf(id)
		if prov == "" {
			continue
		}
		g.Go(func() error {
			recs[i] = v.verify(gctx, rv, prov, id, fresh)
			return nil
		})
	}
	_ = g.Wait()
	for _, r := range recs {
		if r.ID != "" {
			out[r.ID] = r
		}
	}
	return out
}

// verify asks one record's provider, through the cache.
func (v *Verifier) verify(ctx context.Context, rv *policies.RecordVerification, prov, id string, fresh bool) policies.Record {
	var fields []string
	if prov == policies.ProviderJira {
		fields = rv.Jira.FieldIDs()
	}
	key := cacheKey{prov, id, strings.Join(fields, ",")}
	now := nowOr(v.Now)
	if r, ok := v.lru().Get(key); ok && !fresh && now.Sub(r.CheckedAt) < v.ttl() {
		return r
	}
	var (
		r   policies.Record
		err error
	)
	switch {
	case prov == policies.ProviderJira && v.Jira == nil:
		return unconfigured(id, prov, "Jira", EnvJiraURL+" and "+EnvJiraToken+" (with "+EnvJiraUser+" for Jira Cloud)")
	case prov == policies.ProviderServiceNow && v.ServiceNow == nil:
		return unconfigured(id, prov, "ServiceNow", EnvServiceNowURL+" with "+EnvServiceNowUser+" and "+EnvServiceNowPassword+", or "+EnvServiceNowToken)
	case prov == policies.ProviderJira:
		r, err = v.Jira.Issue(ctx, id, fields)
	default:
		r, err = v.ServiceNow.Change(ctx, id)
	}
	if err != nil {
		r.Unverified, r.Retry = err.Error(), !errors.Is(err, errNotAnID)
		return r
	}
	r.CheckedAt = nowOr(v.Now)
	v.lru().Add(key, r)
	return r
}

// unconfigured is a record whose provider has no settings here.
func unconfigured(id, prov, name, settings string) policies.Record {
	return policies.Record{ID: id, Provider: prov, Unverified: "verification was not done: Shipgate has no " + name + " settings (set " + settings + ")"}
}

// Forget drops the kept answers about id (a webhook said it changed).
func (v *Verifier) Forget(id string) {
	c := v.lru()
	for _, k := range c.Keys() {
		if k.id == id {
			c.Remove(k)
		}
	}
}

func (v *Verifier) ttl() time.Duration {
	if v.TTL > 0 {
		return v.TTL
	}
	return DefaultTTL
}

func (v *Verifier) lru() *lru.Cache[cacheKey, policies.Record] {
	v.once.Do(func() { v.cache, _ = lru.New[cacheKey, policies.Record](4096) })
	return v.cache
}
