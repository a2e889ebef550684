package hostapi

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Cache makes GET requests conditional: it remembers the ETag and body of
// each answer and sends If-None-Match the next time; a 304 Not Modified
// (which GitHub does not charge to the rate limit) is answered from the
// remembered body. What the bot reads again and again — the policy file,
// team members, permissions, CODEOWNERS, and a change's reviews and
// comments between two events — then costs nothing while it does not
// change. A host that sends no ETag for an answer is asked as usual.
//
// Entries are kept per scope (one per credential: a token or an App
// installation, which may see different data), least recently used first
// out, within maxEntries and maxBytes.
type Cache struct {
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

// NewCache returns a cache of at most maxEntries answers and maxBytes.
func NewCache(maxEntries, maxBytes int) *Cache {
	return &Cache{entries: map[cacheKey]*list.Element{}, maxEntries: maxEntries, maxBytes: maxBytes}
}

// Transport returns the cache's round tripper for one scope.
func (c *Cache) Transport(scope string, next http.RoundTripper) http.RoundTripper {
	return RoundTripFunc(func(req *http.Request) (*http.Response, error) {
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
		if strings.Contains(k, "Ratelimit-") { // keys of an http.Header are canonical: X-Ratelimit-*, Ratelimit-*
			h[k] = v
		}
	}
	return &http.Response{
		Status: "200 OK", StatusCode: e.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(e.body)), ContentLength: int64(len(e.body)), Request: req,
	}
}

func (c *Cache) get(k cacheKey) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cacheEntry)
}

func (c *Cache) put(e *cacheEntry) {
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
