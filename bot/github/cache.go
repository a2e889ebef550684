package github

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// etagCache makes GET requests conditional: it remembers the ETag and body
// of each answer and sends If-None-Match the next time; a 304 Not Modified
// (which GitHub does not charge to the rate limit) is answered from the
// remembered body. What the bot reads again and again — the policy file,
// team members, permissions, CODEOWNERS, and a PR's reviews and comments
// between two events — then costs nothing while it does not change.
//
// Entries are kept per scope (one per credential: a token or an App
// installation, which may see different data), least recently used first
// out, within maxEntries and maxBytes.
type etagCache struct {
	mu         sync.Mutex
	entries    map[cacheKey]*list.Element
	lru        list.List // of *cacheEntry, most recent at the front
	bytes      int
	maxEntries int
	maxBytes   int
}

type cacheKey struct {
	scope  string
	url    string
	accept string
}

type cacheEntry struct {
	key    cacheKey
	etag   string
	status int
	header http.Header
	body   []byte
}

// maxCachedBody leaves large answers (a big diff) out of the cache.
const maxCachedBody = 1 << 20

func newETagCache(maxEntries, maxBytes int) *etagCache {
	return &etagCache{entries: map[cacheKey]*list.Element{}, maxEntries: maxEntries, maxBytes: maxBytes}
}

// transport returns the cache's round tripper for one scope.
func (c *etagCache) transport(scope string, next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet || req.Header.Get("If-None-Match") != "" {
			return next.RoundTrip(req)
		}
		key := cacheKey{scope: scope, url: req.URL.String(), accept: req.Header.Get("Accept")}
		e := c.get(key)
		if e != nil {
			req = req.Clone(req.Context())
			req.Header.Set("If-None-Match", e.etag)
		}
		resp, err := next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		switch {
		case resp.StatusCode == http.StatusNotModified && e != nil:
			resp.Body.Close()
			return e.response(req, resp.Header), nil
		case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBody+1))
			if err != nil {
				resp.Body.Close()
				return nil, err
			}
			if len(body) > maxCachedBody {
				resp.Body = struct {
					io.Reader
					io.Closer
				}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
				return resp, nil
			}
			resp.Body.Close()
			c.put(&cacheEntry{key: key, etag: resp.Header.Get("ETag"), status: resp.StatusCode, header: resp.Header.Clone(), body: body})
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
		return resp, nil
	})
}

// response rebuilds the remembered answer, with the fresh rate-limit
// headers of the 304.
func (e *cacheEntry) response(req *http.Request, fresh http.Header) *http.Response {
	h := e.header.Clone()
	for k, v := range fresh {
		if strings.HasPrefix(k, "X-Ratelimit-") { // keys of an http.Header are canonical
			h[k] = v
		}
	}
	return &http.Response{
		Status: "200 OK", StatusCode: e.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(e.body)), ContentLength: int64(len(e.body)), Request: req,
	}
}

func (c *etagCache) get(k cacheKey) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cacheEntry)
}

func (c *etagCache) put(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[e.key]; ok {
		c.bytes -= len(el.Value.(*cacheEntry).body)
		c.lru.Remove(el)
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.bytes += len(e.body)
	for c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes {
		old := c.lru.Back()
		oe := old.Value.(*cacheEntry)
		c.lru.Remove(old)
		delete(c.entries, oe.key)
		c.bytes -= len(oe.body)
	}
}

// lru is a bounded map, least recently used first out, safe for
// concurrent use. It holds what the adapter remembers between jobs in
// memory (published check runs, PRs and their comments); after a restart it is empty
// and the first job reads or publishes anyway.
type lru[V any] struct {
	mu  sync.Mutex
	max int
	m   map[string]*list.Element
	l   list.List // of lruEntry[V], most recent at the front
}

type lruEntry[V any] struct {
	key   string
	value V
}

func newLRU[V any](max int) *lru[V] { return &lru[V]{max: max, m: map[string]*list.Element{}} }

// get returns the value of key, if it is remembered.
func (c *lru[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.l.MoveToFront(el)
	return el.Value.(lruEntry[V]).value, true
}

// put remembers value under key.
func (c *lru[V]) put(key string, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		c.l.Remove(el)
	}
	c.m[key] = c.l.PushFront(lruEntry[V]{key, value})
	for c.l.Len() > c.max {
		old := c.l.Back()
		c.l.Remove(old)
		delete(c.m, old.Value.(lruEntry[V]).key)
	}
}

// published is what was last published on a check run: its digest, so
// that an unchanged check is not updated again, and its status.
type published struct {
	digest, status string
}

// seen is a PR and its comments as the last evaluation knew them.
// evaluatedAt is the PRState.LastEvaluatedAt that evaluation stored: they
// are only reused while no other replica has evaluated the PR since.
type seen struct {
	evaluatedAt time.Time
	pr          *gh.PullRequest
	// reviews and comments are nil when the evaluation did not read them.
	reviews  []*gh.PullRequestReview
	comments []*gh.IssueComment
	// headPushedAt is when pr's head was pushed, zero if unknown.
	headPushedAt time.Time
}
