// Package fakeprometheus is an httptest fake of Prometheus's instant query
// API (GET or POST /api/v1/query), which prometheus/client_golang's
// api/prometheus/v1 client talks to. Each query answers scripted values
// that change over time (the request's `time` parameter picks the value),
// every query is recorded, and any other route fails the test. It imports
// nothing of Shipgate.
package fakeprometheus

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"
)

// TB is the part of testing.TB the fake uses.
type TB interface {
	Errorf(format string, args ...any)
	Cleanup(func())
}

// Point is a query's value from At on, until the next point. NoData makes
// the query match no series from At on; Status answers that HTTP error
// instead (503: Prometheus unavailable).
type Point struct {
	At     time.Time
	Value  float64
	NoData bool
	Status int
}

// Query is one query the fake answered.
type Query struct {
	Query string
	Time  time.Time
}

// Server is the fake.
type Server struct {
	t   TB
	srv *httptest.Server
	// prefix is the non-root path the API lives under.
	prefix string

	mu      sync.Mutex
	scripts map[string][]Point
	queries []Query
}

// New starts a fake that stops with the test.
func New(t TB) *Server {
	s := &Server{t: t, prefix: "/prom", scripts: map[string][]Point{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is Prometheus's base URL; it has a non-root path so that
// absolute-URL mistakes fail.
func (s *Server) URL() string { return s.srv.URL + s.prefix }

// Client returns an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Script sets the values of query over time; points are sorted by At. A
// query without a script, or asked before its first point, matches no
// series.
func (s *Server) Script(query string, points ...Point) {
	s.mu.Lock()
	defer s.mu.Unlock()
	points = slices.Clone(points)
	slices.SortFunc(points, func(a, b Point) int { return a.At.Compare(b.At) })
	s.scripts[query] = points
}

// Queries returns the queries answered, oldest first.
func (s *Server) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.prefix+"/api/v1/query" || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
		s.t.Errorf("fakeprometheus: unexpected %s %s", r.Method, r.URL.Path)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.t.Errorf("fakeprometheus: bad form: %v", err)
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	q := r.Form.Get("query")
	if q == "" {
		writeError(w, http.StatusBadRequest, "bad_data", "invalid parameter \"query\": empty query")
		return
	}
	at, err := parseTime(r.Form.Get("time"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err.Error())
		return
	}
	p, ok := s.answer(q, at)
	switch {
	case ok && p.Status != 0:
		writeError(w, p.Status, "unavailable", "scripted failure")
	case !ok || p.NoData:
		writeVector(w, nil, at)
	default:
		writeVector(w, &p.Value, at)
	}
}

// answer records q and returns its point at `at`.
func (s *Server) answer(q string, at time.Time) (Point, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, Query{Query: q, Time: at})
	var cur Point
	found := false
	for _, p := range s.scripts[q] {
		if p.At.After(at) {
			break
		}
		cur, found = p, true
	}
	return cur, found
}

// parseTime reads Prometheus's `time`: Unix seconds, possibly fractional.
// The fake requires it, as Shipgate always sends the time it judges.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("missing parameter \"time\": the fake scripts values over time")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid parameter \"time\": %q", s)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
}

func writeVector(w http.ResponseWriter, v *float64, at time.Time) {
	result := []any{}
	if v != nil {
		ts := float64(at.UnixMilli()) / 1000
		result = append(result, map[string]any{"metric": map[string]string{}, "value": []any{ts, strconv.FormatFloat(*v, 'g', -1, 64)}})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}})
}

func writeError(w http.ResponseWriter, status int, kind, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"status": "error", "errorType": kind, "error": msg})
}
