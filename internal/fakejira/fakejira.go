// Package fakejira is an httptest fake of the part of Jira's REST API
// Shipgate reads: GET /rest/api/2/issue/{key} (which Jira Cloud and Jira
// Data Center both serve), under a context path (/jira) as Data Center
// installs often are, so that absolute-URL mistakes fail. It checks the
// credentials (Cloud's basic auth with an e-mail and an API token, or Data
// Center's bearer personal access token), fails the test on any other
// route, records every request, and can be taken down and brought back. It
// imports nothing of Shipgate.
package fakejira

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
)

// TB is the part of testing.TB the fake uses.
type TB interface {
	Errorf(format string, args ...any)
	Cleanup(func())
}

// Issue is an issue as the fake holds it.
type Issue struct {
	Key       string
	Summary   string
	Status    string
	Project   string
	IssueType string
	// Fields are other fields by ID (customfield_10042, priority), as Jira
	// returns them: a string, or an object such as {"value": "Approved"}.
	Fields map[string]any
}

// Request is one request the fake received.
type Request struct {
	Method, Path, RawQuery string
	// Auth is "basic", "bearer" or "" (none), and Authorized whether the
	// credentials were the fake's.
	Auth       string
	Authorized bool
}

// Server is the fake.
type Server struct {
	t   TB
	srv *httptest.Server
	// user and token are the basic credentials; bearer the personal access
	// token. Either may be empty (that scheme is refused).
	user, token, bearer string

	mu       sync.Mutex
	issues   map[string]Issue
	down     int // answer 503 to this many requests; -1: until Up
	requests []Request
}

// Option configures the fake.
type Option func(*Server)

// WithBasic accepts Jira Cloud's basic auth: an e-mail and an API token.
func WithBasic(user, token string) Option { return func(s *Server) { s.user, s.token = user, token } }

// WithBearer accepts a Data Center personal access token.
func WithBearer(token string) Option { return func(s *Server) { s.bearer = token } }

// New starts a fake that stops with the test.
func New(t TB, opts ...Option) *Server {
	s := &Server{t: t, issues: map[string]Issue{}}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL of the Jira site (with its context path).
func (s *Server) URL() string { return s.srv.URL + "/jira" }

// AddIssue adds or replaces an issue.
func (s *Server) AddIssue(i Issue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issues[i.Key] = i
}

// SetStatus moves an issue to status, as a workflow transition would.
func (s *Server) SetStatus(key, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.issues[key]
	i.Status = status
	s.issues[key] = i
}

// Down makes the fake answer 503 until Up.
func (s *Server) Down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = -1
}

// Up brings the fake back.
func (s *Server) Up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = 0
}

// Requests returns the requests received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// IssueReads counts the reads of issue key.
func (s *Server) IssueReads(key string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Path == "/jira/rest/api/2/issue/"+key {
			n++
		}
	}
	return n
}

func (s *Server) authorize(r *http.Request) (kind string, ok bool) {
	h := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(h, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		user, pass, found := strings.Cut(string(raw), ":")
		return "basic", err == nil && found && s.user != "" && user == s.user && pass == s.token
	case strings.HasPrefix(h, "Bearer "):
		return "bearer", s.bearer != "" && strings.TrimPrefix(h, "Bearer ") == s.bearer
	}
	return "", false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	auth, ok := s.authorize(r)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Auth: auth, Authorized: ok})
	down := s.down != 0
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	key, isIssue := strings.CutPrefix(r.URL.Path, "/jira/rest/api/2/issue/")
	if r.Method != http.MethodGet || !isIssue || key == "" || strings.Contains(key, "/") {
		s.t.Errorf("fakejira: unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, `{"errorMessages":["not found"]}`, http.StatusNotFound)
		return
	}
	if r.Header.Get("Accept") != "application/json" {
		s.t.Errorf("fakejira: %s %s without Accept: application/json", r.Method, r.URL.Path)
	}
	if down {
		http.Error(w, `{"errorMessages":["Service Unavailable"]}`, http.StatusServiceUnavailable)
		return
	}
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errorMessages":["You are not authenticated. Authentication required to perform this operation."]}`))
		return
	}
	s.mu.Lock()
	i, found := s.issues[key]
	s.mu.Unlock()
	if !found {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}`))
		return
	}
	_ = json.NewEncoder(w).Encode(s.issueJSON(i, r.URL.Query().Get("fields")))
}

// issueJSON is the issue as Jira returns it, with only the fields asked
// for when the request names them.
func (s *Server) issueJSON(i Issue, fields string) map[string]any {
	all := map[string]any{
		"summary":   i.Summary,
		"status":    map[string]any{"name": i.Status, "statusCategory": map[string]any{"key": "indeterminate"}},
		"project":   map[string]any{"key": i.Project, "name": i.Project + " project"},
		"issuetype": map[string]any{"name": i.IssueType, "subtask": false},
	}
	for k, v := range i.Fields {
		all[k] = v
	}
	out := all
	if fields != "" {
		out = map[string]any{}
		for _, f := range strings.Split(fields, ",") {
			if v, ok := all[f]; ok {
				out[f] = v
			}
		}
	}
	return map[string]any{"id": "10001", "key": i.Key, "self": s.URL() + "/rest/api/2/issue/10001", "fields": out}
}
