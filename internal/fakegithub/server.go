package fakegithub

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/internal/fakehttp"
)

// DefaultBasePath is where the fake serves the API unless [WithBasePath]
// says otherwise: GitHub Enterprise Server's prefix, not the root, so that
// a client building absolute paths fails.
const DefaultBasePath = "/api/v3"

// DefaultTime returns the fixed time of the default clock: objects the
// fake creates carry it unless [WithClock] gives another clock.
func DefaultTime() time.Time { return time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC) }

// TB is the part of testing.TB the fake uses, which *testing.T and
// *testing.B satisfy: a non-test program (shipgate demo's sandbox)
// passes its own, so that its binary does not link package testing.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
}

// Server is a fake GitHub REST API served by an httptest.Server. Create it
// with [New]; it is closed when the test ends. All methods are safe for
// concurrent use.
type Server struct {
	t        TB
	srv      *httptest.Server
	basePath string
	clock    func() time.Time
	seed     uint64
	token    string
	app      *App
	bot      string
	api      *apiDescription // nil when conformance checking is off
	routes   pathTree[*route]
	names    map[string]*route
	closing  chan struct{}
	close    sync.Once

	mu         sync.Mutex
	st         state
	requests   []Request
	unexpected []string
	latency    time.Duration // before every answer (WithLatency)
	faults     []*faultRule
	seen       map[string]int // occurrences of identical requests, for fault shares
	rate       rateWindow
	ignored    map[string]bool // unknown query parameters already logged
	effects    effects
	oauth      oauthState
}

// Option configures a [Server].
type Option func(*config)

type config struct {
	basePath    string
	clock       func() time.Time
	seed        uint64
	token       string
	app         *App
	bot         string
	rateLimit   int
	conformance bool
	latency     time.Duration
}

// WithBasePath serves the API under p instead of [DefaultBasePath]. The
// root ("/") is allowed but hides absolute-URL mistakes.
func WithBasePath(p string) Option {
	return func(c *config) { c.basePath = "/" + strings.Trim(p, "/") }
}

// WithClock sets the clock that stamps created objects and rate-limit
// windows. The default is fixed at [DefaultTime], so answers are
// deterministic.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// WithSeed seeds the choice of requests that share-based faults hit
// (default 1).
func WithSeed(seed uint64) Option {
	return func(c *config) { c.seed = seed }
}

// WithToken requires every API call (except the App's JWT endpoints) to
// carry "Authorization: token T" or "Bearer T"; others are answered 401.
func WithToken(token string) Option {
	return func(c *config) { c.token = token }
}

// App describes the GitHub App the fake knows. With an App configured,
// POST /app/installations/{id}/access_tokens issues installation tokens and
// every other call needs one of them (or the [WithToken] token).
type App struct {
	// ID is the App ID, which must be the JWT's "iss" claim.
	ID int64
	// Slug names the App; its comments are written by "<slug>[bot]".
	// Default "shipgate".
	Slug string
	// PublicKey, when set, verifies the RS256 signature of the JWT. When
	// nil only its shape and claims are checked.
	PublicKey *rsa.PublicKey
}

// WithApp configures a GitHub App for app authentication.
func WithApp(app App) Option {
	return func(c *config) {
		if app.Slug == "" {
			app.Slug = "shipgate"
		}
		c.app = &app
	}
}

// WithBotLogin names the user the API calls act as (comment author, check
// run creator). The default is "<slug>[bot]" with an App, else
// "shipgate[bot]".
func WithBotLogin(login string) Option {
	return func(c *config) { c.bot = login }
}

// WithRateLimit sets the primary rate limit per hour (default 5000). Once
// it is used up, calls are answered 403 with X-RateLimit-Remaining: 0 until
// the clock passes the reset time.
func WithRateLimit(limit int) Option {
	return func(c *config) { c.rateLimit = limit }
}

// WithLatency delays every answer by d, as a distant GitHub would: work
// that calls the API stays in flight long enough to be interrupted.
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// WithoutConformance turns conformance checking off, for tests that send
// requests GitHub would reject on purpose.
func WithoutConformance() Option {
	return func(c *config) { c.conformance = false }
}

// New starts a fake GitHub and closes it when t ends; at that point every
// unexpected request (a route the fake does not serve, or outside its base
// path) fails t.
//
// Conformance checking is on unless [WithoutConformance] is given: every
// request is checked against GitHub's REST API description, found at
// $SHIPGATE_FIXTURES/github/openapi/api.github.com.json or else
// ../shared/fixtures/github/openapi/api.github.com.json beside the module
// root (the nearest folder above the working directory with a go.mod). A
// request GitHub would reject fails t with the operation ID and the reason,
// and is still answered. When the file is absent checking is off and the
// fake says so with t.Log, unless SHIPGATE_REQUIRE_FIXTURES is set (CI),
// which makes it fatal.
func New(t TB, opts ...Option) *Server {
	t.Helper()
	cfg := config{
		basePath:    DefaultBasePath,
		clock:       DefaultTime,
		seed:        1,
		rateLimit:   5000,
		conformance: true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.basePath == "/" {
		cfg.basePath = ""
	}
	if cfg.bot == "" {
		cfg.bot = "shipgate[bot]"
		if cfg.app != nil {
			cfg.bot = cfg.app.Slug + "[bot]"
		}
	}
	s := &Server{
		t:        t,
		basePath: cfg.basePath,
		clock:    cfg.clock,
		seed:     cfg.seed,
		token:    cfg.token,
		app:      cfg.app,
		bot:      cfg.bot,
		names:    map[string]*route{},
		closing:  make(chan struct{}),
		seen:     map[string]int{},
		ignored:  map[string]bool{},
		st:       newState(),
		rate:     rateWindow{limit: cfg.rateLimit},
		latency:  cfg.latency,
	}
	if cfg.conformance {
		s.useDescription(loadDescription())
	}
	for _, r := range routeTable() {
		s.routes.add(r.template, r, nil)
		s.names[r.name()] = r
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(s.latency)
		s.serveHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// useDescription turns conformance checking on with api, or says why it
// is off.
func (s *Server) useDescription(api *apiDescription, err error) {
	s.t.Helper()
	switch {
	case err != nil:
		s.t.Fatalf("fakegithub: %v", err)
	case api == nil && os.Getenv("SHIPGATE_REQUIRE_FIXTURES") != "":
		s.t.Fatalf("fakegithub: GitHub's API description %s not found (set SHIPGATE_FIXTURES or put shared/fixtures beside the clone); conformance checking is required", descriptionFile)
	case api == nil:
		s.t.Logf("fakegithub: conformance checking is off: %s not found under $SHIPGATE_FIXTURES or ../shared/fixtures", descriptionFile)
	default:
		s.api = api
	}
}

// Close stops the server (releasing hung requests) and fails the test for
// every unexpected request. It runs when the test ends; calling it earlier
// is allowed.
func (s *Server) Close() {
	s.close.Do(func() {
		close(s.closing)
		s.srv.Close()
		s.mu.Lock()
		unexpected := append([]string(nil), s.unexpected...)
		s.mu.Unlock()
		for _, u := range unexpected {
			s.t.Errorf("fakegithub: unexpected request %s", u)
		}
	})
}

// URL returns the API base URL with its trailing slash, such as
// "http://127.0.0.1:4321/api/v3/": what go-github's BaseURL must be.
// (ghinstallation's BaseURL takes it without the trailing slash.)
func (s *Server) URL() string {
	return s.srv.URL + s.basePath + "/"
}

// Client returns a go-github client for the fake, authenticated with
// token when it is not empty.
func (s *Server) Client(token string) *github.Client {
	c := github.NewClient(s.srv.Client())
	if token != "" {
		c = c.WithAuthToken(token)
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		s.t.Fatalf("fakegithub: %v", err)
	}
	c.BaseURL, c.UploadURL = u, u
	return c
}

// HTTPClient returns the http.Client of the underlying httptest server.
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// Request is one request the fake received.
type Request struct {
	Method string
	// Path is the escaped path without the base path, such as
	// "/repos/acme/widgets/issues/42/labels/do-not-merge%2Fhold".
	Path  string
	Query string // the raw query
	Body  []byte
	// Route is the fake's route ("GET /repos/{owner}/{repo}/pulls/{pull_number}");
	// empty for an unexpected request.
	Route string
	// Operation is GitHub's operation ID ("pulls/get") when conformance
	// checking is on and the request matched one.
	Operation string
	// Status is the answer's status; 0 when the request hung until the
	// client gave up.
	Status int
	// Conditional is true when the request carried If-None-Match.
	Conditional bool
	// NotModified is true when it was answered 304, which GitHub does not
	// charge to the rate limit.
	NotModified bool
	// Fault names the injected fault that answered it, if any.
	Fault string
}

// String renders the request as "GET /repos/acme/widgets?x=1".
func (r Request) String() string {
	if r.Query == "" {
		return r.Method + " " + r.Path
	}
	return r.Method + " " + r.Path + "?" + r.Query
}

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the requests received so far (not the state nor
// the rate-limit usage), to measure the calls of one step.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// CountCalls returns how many requests were received; with excluding304
// set, those answered 304 Not Modified are left out, as GitHub does not
// charge them to the rate limit.
func (s *Server) CountCalls(excluding304 bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if !excluding304 || !r.NotModified {
			n++
		}
	}
	return n
}

// CallsByRoute counts the requests received per route name
// ("GET /repos/{owner}/{repo}/pulls/{pull_number}"), 304s included;
// unexpected requests count under "unexpected METHOD PATH".
func (s *Server) CallsByRoute() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, r := range s.requests {
		if r.Route == "" {
			out["unexpected "+r.Method+" "+r.Path]++
			continue
		}
		out[r.Route]++
	}
	return out
}

// Unexpected returns the requests the fake did not serve, as
// "METHOD PATH?QUERY"; each fails the test when it ends.
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

// Routes returns the names of the routes the fake serves, which is what
// [Fault.Route] takes.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range routeTable() {
		out = append(out, r.name())
	}
	return out
}

// serveHTTP records the request, checks it against GitHub's description,
// routes it, authenticates it, applies faults and rate limits, runs the
// handler and adds ETag and rate-limit headers.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	escaped := r.URL.EscapedPath()
	rec := Request{
		Method:      r.Method,
		Path:        escaped,
		Query:       r.URL.RawQuery,
		Body:        body,
		Conditional: r.Header.Get("If-None-Match") != "",
	}
	if strings.HasPrefix(escaped, "/login/oauth/") && s.serveOAuth(w, r, body) {
		return
	}
	path, inBase := strings.CutPrefix(escaped, s.basePath)
	if !inBase || !strings.HasPrefix(path, "/") {
		rec.Status = http.StatusNotFound
		s.finish(w, &rec, &call{status: http.StatusNotFound, header: http.Header{}, out: notFoundBody()}, false, fmt.Sprintf("%s outside the base path %s/", rec, s.basePath))
		return
	}
	rec.Path = path
	segs := splitPath(path)
	query := r.URL.Query()
	s.conform(&rec, r, segs, query, body)
	rt, params := s.route(r.Method, segs)
	c := &call{s: s, r: r, params: params, query: query, body: body, header: http.Header{}}
	if rt == nil {
		c.status, c.out = http.StatusNotFound, notFoundBody()
		s.finish(w, &rec, c, false, rec.String())
		return
	}
	rec.Route = rt.name()
	s.answer(w, r, &rec, rt, c)
}

// conform checks the request against GitHub's description, when the fake
// has it, failing the test for what GitHub would reject.
func (s *Server) conform(rec *Request, r *http.Request, segs []string, query url.Values, body []byte) {
	if s.api == nil {
		return
	}
	c := s.api.check(r.Method, segs, query, r.Header.Get("Content-Type"), body)
	rec.Operation = c.operation
	for _, p := range c.problems {
		op := c.operation
		if op == "" {
			op = "no operation"
		}
		s.t.Errorf("fakegithub: %s: GitHub would reject it (%s): %s", rec, op, p)
	}
	s.logIgnored(c)
}

// route finds the route of method and the path's segments, with its
// parameters; nil when none matches.
func (s *Server) route(method string, segs []string) (rt *route, params map[string]string) {
	s.routes.match(segs, func(candidate *route, pp []pathParam) bool {
		if candidate.method != method {
			return false
		}
		rt = candidate
		params = make(map[string]string, len(pp))
		for _, p := range pp {
			params[p.name] = p.value
		}
		return true
	})
	return rt, params
}

// answer authenticates a routed request, applies faults and rate limits,
// runs the handler and adds the ETag.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, rec *Request, rt *route, c *call) {
	if msg, ok := s.authenticate(r, rt); !ok {
		c.fail(http.StatusUnauthorized, msg)
		s.finish(w, rec, c, true, "")
		return
	}
	if !s.installationSees(r, c.params) {
		c.fail(http.StatusNotFound, "Not Found")
		s.finish(w, rec, c, true, "")
		return
	}
	if f := s.pickFault(rt, rec); f != nil {
		rec.Fault = f.Kind.String()
		if f.Kind == Hang {
			s.hang(r, f)
			s.mu.Lock()
			s.requests = append(s.requests, *rec)
			s.mu.Unlock()
			panic(http.ErrAbortHandler) // drop the connection without an answer
		}
		if f.Kind == LostAnswer {
			s.mu.Lock()
			rt.handle(c)
			s.mu.Unlock()
			c.header = http.Header{}
		}
		s.answerFault(c, f)
		s.finish(w, rec, c, true, "")
		return
	}
	if s.rateExhausted(c) {
		s.finish(w, rec, c, false, "")
		return
	}
	s.mu.Lock()
	rt.handle(c)
	s.mu.Unlock()

	if r.Method == http.MethodGet && c.status == http.StatusOK {
		etag := fakehttp.ETag(c.out)
		c.header.Set("ETag", etag)
		if fakehttp.ETagMatches(r.Header.Get("If-None-Match"), etag) {
			c.status, c.out = http.StatusNotModified, nil
			rec.NotModified = true
		}
	}
	s.finish(w, rec, c, !rec.NotModified, "")
}

// finish charges the rate limit, writes the answer and records the request.
func (s *Server) finish(w http.ResponseWriter, rec *Request, c *call, charge bool, unexpected string) {
	s.mu.Lock()
	s.rate.headers(c.header, s.clock(), charge)
	rec.Status = c.status
	s.requests = append(s.requests, *rec)
	if unexpected != "" {
		s.unexpected = append(s.unexpected, unexpected)
	}
	s.mu.Unlock()
	for k, v := range c.header {
		w.Header()[k] = v
	}
	if c.out != nil && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(c.out)
}

// logIgnored logs, once per operation and name, query parameters GitHub
// does not know: it ignores them, so a misspelt filter quietly filters
// nothing.
func (s *Server) logIgnored(c conformance) {
	for _, name := range c.ignored {
		key := c.operation + " " + name
		s.mu.Lock()
		seen := s.ignored[key]
		s.ignored[key] = true
		s.mu.Unlock()
		if !seen {
			s.t.Logf("fakegithub: %s does not take the query parameter %q; GitHub ignores it", c.operation, name)
		}
	}
}

func notFoundBody() []byte {
	return []byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`)
}

// call is one request being answered by a route handler, which runs with
// the server's lock held and writes into status, header and out.
type call struct {
	s      *Server
	r      *http.Request
	params map[string]string
	query  url.Values
	body   []byte
	status int
	header http.Header
	out    []byte
}

// json answers status with v encoded as JSON.
func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.s.t.Errorf("fakegithub: encoding the answer to %s %s: %v", c.r.Method, c.r.URL.Path, err)
		c.fail(http.StatusInternalServerError, err.Error())
		return
	}
	c.status, c.out = status, b
}

// noContent answers 204.
func (c *call) noContent() { c.status, c.out = http.StatusNoContent, nil }

// fail answers status with GitHub's error body.
func (c *call) fail(status int, message string) {
	b, _ := json.Marshal(map[string]string{
		"message":           message,
		"documentation_url": "https://docs.github.com/rest",
		"status":            strconv.Itoa(status),
	})
	c.status, c.out = status, b
}

// notFound answers 404 as GitHub does.
func (c *call) notFound() { c.status, c.out = http.StatusNotFound, notFoundBody() }

// invalid answers 422 Validation Failed with one error, as GitHub does.
func (c *call) invalid(resource, field, code, message string) {
	c.json(http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"documentation_url": "https://docs.github.com/rest",
		"status":            "422",
		"errors": []map[string]string{{
			"resource": resource, "field": field, "code": code, "message": message,
		}},
	})
}

// decode reads the JSON body into v, answering 400 as GitHub does when it
// cannot.
func (c *call) decode(v any) bool {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return true
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// number reads an integer path parameter; a malformed one answers 404.
func (c *call) number(name string) (int64, bool) {
	n, err := strconv.ParseInt(c.params[name], 10, 64)
	if err != nil {
		c.notFound()
		return 0, false
	}
	return n, true
}

// repo returns the repository named by the owner and repo parameters,
// answering 404 when there is none.
func (c *call) repo() *repoState {
	r := c.s.st.repos[repoKey(c.params["owner"]+"/"+c.params["repo"])]
	if r == nil {
		c.notFound()
	}
	return r
}

// apiURL makes an absolute API URL from a path such as "repos/o/r".
func (c *call) apiURL(format string, args ...any) string {
	return c.s.URL() + fmt.Sprintf(format, args...)
}
