// Package fakeservicenow is an httptest fake of the part of ServiceNow's
// Table API Shipgate calls on change requests: a read by number
// (GET /api/now/table/change_request?sysparm_query=number=…), a create
// (POST) and an update (PATCH …/{sys_id}). It serves under a path (/sn) so
// that absolute-URL mistakes fail, checks the credentials (basic auth, or
// an OAuth bearer token), fails the test on any other route or on a query
// that is not exactly `number=ID`, records every request, and can be taken
// down and brought back. It imports nothing of Shipgate.
package fakeservicenow

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// TB is the part of testing.TB the fake uses.
type TB interface {
	Errorf(format string, args ...any)
	Cleanup(func())
}

// Change is a change request as the fake holds it. State and Approval are
// display values ("Scheduled", "Approved"); the fake maps them to the
// stored values ServiceNow answers beside them.
type Change struct {
	SysID            string
	Number           string
	ShortDescription string
	State            string
	Approval         string
	// Start and End are the planned window (start_date, end_date).
	Start, End time.Time
	// Fields are every other field as last written (by create or update).
	Fields map[string]string
}

// Request is one request the fake received.
type Request struct {
	Method, Path, RawQuery string
	// Body is the request's JSON body (create and update).
	Body map[string]any
	// Auth is "basic", "bearer" or ""; Authorized whether the credentials
	// were the fake's.
	Auth       string
	Authorized bool
}

// Server is the fake.
type Server struct {
	t                      TB
	srv                    *httptest.Server
	user, password, bearer string

	mu       sync.Mutex
	changes  []*Change
	next     int
	down     bool
	requests []Request
}

// Option configures the fake.
type Option func(*Server)

// WithBasic accepts basic auth with user and password.
func WithBasic(user, password string) Option {
	return func(s *Server) { s.user, s.password = user, password }
}

// WithBearer accepts an OAuth access token.
func WithBearer(token string) Option { return func(s *Server) { s.bearer = token } }

// New starts a fake that stops with the test.
func New(t TB, opts ...Option) *Server {
	s := &Server{t: t, next: 42420}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the instance's base URL.
func (s *Server) URL() string { return s.srv.URL + "/sn" }

// AddChange adds a change request (a sys_id is made up when missing).
func (s *Server) AddChange(c Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.SysID == "" {
		c.SysID = fmt.Sprintf("a1b2c3d4%024d", len(s.changes)+1)
	}
	s.changes = append(s.changes, &c)
}

// Change returns a change request by number.
func (s *Server) Change(number string) (Change, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.changes {
		if c.Number == number {
			return *c, true
		}
	}
	return Change{}, false
}

// Changes returns every change request, oldest first.
func (s *Server) Changes() []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Change, len(s.changes))
	for i, c := range s.changes {
		out[i] = *c
	}
	return out
}

// Update changes a change request, as a person in ServiceNow would.
func (s *Server) Update(number string, fn func(*Change)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.changes {
		if c.Number == number {
			fn(c)
			return
		}
	}
	s.t.Errorf("fakeservicenow: no change %s to update", number)
}

// Down makes the fake answer 503 until Up.
func (s *Server) Down() { s.setDown(true) }

// Up brings the fake back.
func (s *Server) Up() { s.setDown(false) }

func (s *Server) setDown(d bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = d
}

// Requests returns the requests received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) authorize(r *http.Request) (kind string, ok bool) {
	h := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(h, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		user, pass, found := strings.Cut(string(raw), ":")
		return "basic", err == nil && found && s.user != "" && user == s.user && pass == s.password
	case strings.HasPrefix(h, "Bearer "):
		return "bearer", s.bearer != "" && strings.TrimPrefix(h, "Bearer ") == s.bearer
	}
	return "", false
}

const table = "/sn/api/now/table/change_request"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	auth, ok := s.authorize(r)
	req := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Auth: auth, Authorized: ok}
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &req.Body); err != nil {
			s.t.Errorf("fakeservicenow: %s %s: body is not a JSON object: %v", r.Method, r.URL.Path, err)
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	down := s.down
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	sysID, isRecord := strings.CutPrefix(r.URL.Path, table+"/")
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == table || isRecord && sysID != ""),
		r.Method == http.MethodPost && r.URL.Path == table,
		r.Method == http.MethodPatch && isRecord && sysID != "":
	default:
		s.t.Errorf("fakeservicenow: unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, `{"error":{"message":"Requested URI does not represent any resource"}}`, http.StatusBadRequest)
		return
	}
	if r.Header.Get("Accept") != "application/json" {
		s.t.Errorf("fakeservicenow: %s %s without Accept: application/json", r.Method, r.URL.Path)
	}
	switch {
	case down:
		http.Error(w, `{"error":{"message":"Instance is hibernating"}}`, http.StatusServiceUnavailable)
	case !ok:
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}`))
	case r.Method == http.MethodGet && isRecord:
		s.get(w, sysID)
	case r.Method == http.MethodGet:
		s.query(w, r)
	case r.Method == http.MethodPost:
		s.create(w, req.Body)
	default:
		s.update(w, sysID, req.Body)
	}
}

// The only encoded queries the fake takes: an injected `^OR` or a second
// condition fails the test.
var (
	numberQuery      = regexp.MustCompile(`^number=[A-Z]+[0-9]+$`)
	correlationQuery = regexp.MustCompile(`^correlation_id=[a-z0-9-]+$`)
)

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := q.Get("sysparm_query")
	result := []map[string]any{}
	switch {
	case numberQuery.MatchString(query):
		if q.Get("sysparm_display_value") != "all" {
			s.t.Errorf("fakeservicenow: sysparm_display_value=%q, want all (display values, and dates in UTC)", q.Get("sysparm_display_value"))
		}
		number := strings.TrimPrefix(query, "number=")
		s.mu.Lock()
		for _, c := range s.changes {
			if c.Number == number {
				result = append(result, displayAll(c))
			}
		}
		s.mu.Unlock()
	case correlationQuery.MatchString(query):
		key := strings.TrimPrefix(query, "correlation_id=")
		s.mu.Lock()
		for _, c := range s.changes {
			if c.Fields["correlation_id"] == key {
				result = append(result, plain(c))
			}
		}
		s.mu.Unlock()
	default:
		s.t.Errorf("fakeservicenow: sysparm_query %q is not number=ID or correlation_id=KEY", query)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"result": result})
}

// get is a record by sys_id, with display values.
func (s *Server) get(w http.ResponseWriter, sysID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.changes {
		if c.SysID == sysID {
			_ = json.NewEncoder(w).Encode(map[string]any{"result": displayAll(c)})
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"error":{"message":"No Record found"}}`))
}

func (s *Server) create(w http.ResponseWriter, body map[string]any) {
	s.mu.Lock()
	s.next++
	c := &Change{SysID: fmt.Sprintf("f00d%028d", s.next), Number: fmt.Sprintf("CHG%07d", s.next), State: "New",
		Approval: "Not Yet Requested", Fields: map[string]string{}}
	apply(c, body)
	s.changes = append(s.changes, c)
	out := plain(c)
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"result": out})
}

func (s *Server) update(w http.ResponseWriter, sysID string, body map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.changes {
		if c.SysID == sysID {
			apply(c, body)
			_ = json.NewEncoder(w).Encode(map[string]any{"result": plain(c)})
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"error":{"message":"No Record found"}}`))
}

// states maps display values to the values ServiceNow stores.
var states = map[string]string{"New": "-5", "Assess": "-4", "Authorize": "-3", "Scheduled": "-2", "Implement": "-1",
	"Review": "0", "Closed": "3", "Canceled": "4"}

func stateValue(display string) string {
	if v, ok := states[display]; ok {
		return v
	}
	return display
}

func stateDisplay(value string) string {
	for d, v := range states {
		if v == value {
			return d
		}
	}
	return value
}

// apply writes a create's or an update's fields.
func apply(c *Change, body map[string]any) {
	if c.Fields == nil {
		c.Fields = map[string]string{}
	}
	for k, v := range body {
		s := fmt.Sprint(v)
		switch k {
		case "short_description":
			c.ShortDescription = s
		case "state":
			c.State = stateDisplay(s)
		case "start_date":
			c.Start, _ = time.Parse(time.DateTime, s)
		case "end_date":
			c.End, _ = time.Parse(time.DateTime, s)
		}
		c.Fields[k] = s
	}
}

const displayTime = "01/02/2006 03:04:05 PM"

// displayAll is a record as sysparm_display_value=all gives it: each field
// its display value and its stored value (dates: the user's format and
// timezone, and UTC).
func displayAll(c *Change) map[string]any {
	berlin := time.FixedZone("CET", 3600)
	date := func(t time.Time) map[string]string {
		if t.IsZero() {
			return map[string]string{"display_value": "", "value": ""}
		}
		return map[string]string{"display_value": t.In(berlin).Format(displayTime), "value": t.UTC().Format(time.DateTime)}
	}
	return map[string]any{
		"sys_id":            map[string]string{"display_value": c.SysID, "value": c.SysID},
		"number":            map[string]string{"display_value": c.Number, "value": c.Number},
		"short_description": map[string]string{"display_value": c.ShortDescription, "value": c.ShortDescription},
		"state":             map[string]string{"display_value": c.State, "value": stateValue(c.State)},
		"approval":          map[string]string{"display_value": c.Approval, "value": strings.ToLower(strings.ReplaceAll(c.Approval, " ", "_"))},
		"start_date":        date(c.Start),
		"end_date":          date(c.End),
	}
}

// plain is a record as a create or an update returns it (stored values).
func plain(c *Change) map[string]any {
	out := map[string]any{}
	for k, v := range c.Fields {
		out[k] = v
	}
	out["sys_id"], out["number"], out["short_description"] = c.SysID, c.Number, c.ShortDescription
	out["state"], out["approval"] = stateValue(c.State), strings.ToLower(strings.ReplaceAll(c.Approval, " ", "_"))
	return out
}
