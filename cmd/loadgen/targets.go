package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
)

// targets spreads requests over one or more server URLs the way a load
// balancer would: round-robin per request, and past a server that refuses
// the connection (it is down or restarting) to the next one.
type targets struct {
	urls []string
	next atomic.Uint64
}

// parseTargets reads a comma-separated list of absolute http(s) URLs.
func parseTargets(list string) (*targets, error) {
	t := &targets{}
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("-url: %q is not an http(s) URL such as http://127.0.0.1:8080/webhooks/github", raw)
		}
		t.urls = append(t.urls, raw)
	}
	if len(t.urls) == 0 {
		return nil, errors.New("-url: no URL given: want one, or several separated by commas")
	}
	return t, nil
}

// order returns the targets in the order one request should try them: the
// next in turn first, then the others after it.
func (t *targets) order() []string {
	first := int((t.next.Add(1) - 1) % uint64(len(t.urls)))
	out := make([]string, 0, len(t.urls))
	for i := range t.urls {
		out = append(out, t.urls[(first+i)%len(t.urls)])
	}
	return out
}

// do sends the request newReq builds for a target, to the next target in
// turn; when that target refuses the connection, the request cannot have
// reached it, so it goes to the following one. Any other failure is
// returned: the server may have received the request.
func (t *targets) do(client *http.Client, newReq func(target string) (*http.Request, error)) (*http.Response, error) {
	var err error
	for _, target := range t.order() {
		var req *http.Request
		if req, err = newReq(target); err != nil {
			return nil, err
		}
		var resp *http.Response
		resp, err = client.Do(req)
		if err == nil {
			return resp, nil
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, err
		}
	}
	return nil, err
}
