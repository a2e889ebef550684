// Package fakegitlab is an httptest fake of the GitLab REST API (v4) that
// GitLab's real Go client talks to, for tests. It serves a few projects
// held in memory under a non-root base path, on exact routes only: any
// other request fails the test at cleanup. It checks PRIVATE-TOKEN,
// records every request, and lists the effects of writes readably
// (StatusesCreated, NotesCreated, NotesEdited, LabelsChanged, AwardsGiven,
// ReleasesCreated, MRsCreated, Assigned). Commits have trees (Files by
// SHA) and a first parent, enough for GitLab's cherry-pick.
//
// It is test support: production code must not import it, and it imports
// no Shipgate package.
package fakegitlab

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakehttp"
)

// BasePath is where the API is served, below the server's root, so that
// absolute-path mistakes fail.
const BasePath = "/gitlab/api/v4"

// User is a GitLab user.
type User struct {
	ID       int64
	Username string
	// Bot marks bot users (the /user answer carries it).
	Bot bool
}

// Member is a project member with its access level (10 Guest, 15
// Planner, 20 Reporter, 30 Developer, 40 Maintainer, 50 Owner).
type Member struct {
	User
	AccessLevel int
}

// Commit is one commit of a merge request.
type Commit struct {
	SHA, Message, AuthorName string
	At                       time.Time

	// Files are the paths the commit changed, which GET
	// /projects/:id/repository/commits/:sha/diff lists, with the diff
	// Patches gives (none: empty).
	Files   []string
	Patches map[string]string
	// Parent is the commit's first parent, which a cherry-pick picks it
	// against (its tree, like the commit's, is Project.Files[SHA]).
	Parent string
}

// Diff is one changed file of a merge request.
type Diff struct {
	OldPath, NewPath              string
	NewFile, RenamedFile, Deleted bool
	// Text is the unified diff GitLab shows; TooLarge marks a diff GitLab
	// leaves out (its text is then empty).
	Text     string
	TooLarge bool
}

// Note is a merge request note.
type Note struct {
	ID        int64
	Author    User
	Body      string
	System    bool
	CreatedAt time.Time
	// UpdatedAt is CreatedAt unless the note was edited.
	UpdatedAt time.Time
	// Awards are the award emoji names given on it.
	Awards []string
}

// MR is a merge request.
type MR struct {
	IID                        int
	Title, Description         string
	Author                     User
	SourceBranch, TargetBranch string
	SHA                        string
	// State is opened, closed, merged or locked.
	State  string
	Draft  bool
	Labels []string
	// ApprovedBy are the users who approved it.
	ApprovedBy []User
	Commits    []Commit
	Diffs      []Diff
	Notes      []*Note
	CreatedAt  time.Time
	// LabelEvents are the resource label events, oldest first.
	LabelEvents []LabelEvent
	// MergeCommitSHA and SquashCommitSHA are set once it is merged (GitLab
	// leaves the first empty on a fast-forward merge, the second unless
	// squashed).
	MergeCommitSHA, SquashCommitSHA string
	// Assignees are its assignees.
	Assignees []User
}

// LabelEvent is a label added to or removed from a merge request.
type LabelEvent struct {
	ID     int64
	Label  string
	User   User
	Action string // add or remove
	At     time.Time
}

// Approve records an approval by u at at, with the system note GitLab
// writes for it. Call it inside Do once the server runs.
func (mr *MR) Approve(u User, at time.Time) {
	mr.ApprovedBy = append(mr.ApprovedBy, u)
	mr.systemNote(u, "approved this merge request", at)
}

// Unapprove withdraws u's approval, with GitLab's system note.
func (mr *MR) Unapprove(u User, at time.Time) {
	for i, a := range mr.ApprovedBy {
		if a.Username == u.Username {
			mr.ApprovedBy = append(mr.ApprovedBy[:i:i], mr.ApprovedBy[i+1:]...)
			break
		}
	}
	mr.systemNote(u, "unapproved this merge request", at)
}

// Push adds a commit by pusher as the new head, with the system note
// GitLab writes for a push ("added 1 commit" and the commit's short SHA).
func (mr *MR) Push(c Commit, pusher User) {
	mr.Commits = append(mr.Commits, c)
	mr.SHA = c.SHA
	mr.systemNote(pusher, fmt.Sprintf("added 1 commit\n\n<ul><li>%s - %s</li></ul>", c.SHA[:min(8, len(c.SHA))], firstLine(c.Message)), c.At)
}

// Label adds (action "add") or removes ("remove") a label as u did, with
// its resource label event.
func (mr *MR) Label(label string, u User, action string, at time.Time) {
	if action == "add" && !hasFold(mr.Labels, label) {
		mr.Labels = append(mr.Labels, label)
	}
	if action == "remove" {
		for i, l := range mr.Labels {
			if strings.EqualFold(l, label) {
				mr.Labels = append(mr.Labels[:i:i], mr.Labels[i+1:]...)
				break
			}
		}
	}
	mr.LabelEvents = append(mr.LabelEvents, LabelEvent{ID: int64(len(mr.LabelEvents) + 1), Label: label, User: u, Action: action, At: at})
}

func (mr *MR) systemNote(u User, body string, at time.Time) {
	mr.Notes = append(mr.Notes, &Note{ID: 100000 + int64(len(mr.Notes)), Author: u, Body: body, System: true, CreatedAt: at})
}

// Status is a commit status.
type Status struct {
	ID                                       int64
	SHA, Name, State, Description, TargetURL string
	// Author posted it (the token's user for statuses set through the API).
	Author User
}

// Release is a release created through the API.
type Release struct {
	TagName, Name, Description string
}

// Project is a GitLab project.
type Project struct {
	ID            int64
	Path          string // "group/sub/proj"
	DefaultBranch string
	// Visibility is private (when empty), internal or public: what a
	// user's OAuth token may read of it without being a member.
	Visibility string
	// Files maps ref → file path → content: a branch's or a commit's tree
	// (a branch without an entry has its head commit's).
	Files   map[string]map[string]string
	Members []Member
	MRs     map[int]*MR
	Tags    map[string]string // name → commit SHA
	// TagsCreated lists the tags created through the API, "name@sha".
	TagsCreated []string
	// BranchesCreated lists the branches created through the API,
	// "name@sha".
	BranchesCreated []string
	// History is a linear history, oldest first, for compare and commit
	// refs; Branches map a branch to its head among it, or among Commits.
	History  []Commit
	Branches map[string]string
	// Commits are the commits off History (a release branch's, those a
	// cherry-pick made), by SHA.
	Commits map[string]Commit
	// BranchesDeleted lists the branches deleted through the API.
	BranchesDeleted []string
	Statuses        []Status
	Releases        []Release
	// Pipelines are the project's pipelines, oldest first: those created
	// through the API and those added with AddPipeline. Set Status to move
	// one along.
	Pipelines []*Pipeline
	// Deployments and Environments are what the Deployments API made.
	Deployments  []*Deployment
	Environments []string
	// Pushes are the project's push events, oldest first (GET
	// /projects/:id/events?action=pushed); PushTag records one.
	Pushes []Push
}

// Push is a push event: who pushed ref (a branch or a tag), and what.
type Push struct {
	Author User
	// Action is GitLab's push_data.action: created, pushed or removed.
	Action, RefType, Ref, CommitTo string
}

// Request is one request the fake received.
type Request struct {
	Method, Path, Query string
	Body                []byte
	// NotModified: a conditional GET answered 304, as GitLab answers one
	// whose ETag still matches.
	NotModified bool
}

// Server is the fake. Lock it with Do to change projects while it runs.
type Server struct {
	// URL is the API's base URL, ending in BasePath + "/".
	URL string
	// Token is the PRIVATE-TOKEN it accepts.
	Token string
	// Self is the user the token authenticates (GET /user).
	Self User

	// Groups maps a group's full path to its members (inherited ones
	// included), for GET /groups/:id/members/all. Change it inside Do.
	Groups map[string][]User
	// PublicEmails maps usernames to the public e-mail of their profile
	// (GET /users/:id); Now is the clock of pipelines and deployments.
	PublicEmails map[string]string
	Now          func() time.Time

	srv        *httptest.Server
	mu         sync.Mutex
	projects   []*Project
	nextID     int64
	requests   []Request
	unexpected []string
	statuses   []string
	created    []string
	edited     []string
	labels     []string
	awards     []string
	releases   []string
	// releasesEdited are the releases whose description was edited.
	releasesEdited []string
	pipelines      []string
	deploys        []string
	mrsCreated     []string
	assigned       []string
	oauth          oauthState
	failNext       map[string]int           // route → status to answer once
	loseNext       map[string]bool          // route → served, then answered 502, once
	holds          map[string]chan struct{} // route → answers held until closed
}

// New starts a fake with token and the bot user self; it is closed, and
// unexpected requests fail t, at cleanup.
func New(t testing.TB, token string, self User) *Server {
	s := &Server{Token: token, Self: self, nextID: 1000, failNext: map[string]int{}, loseNext: map[string]bool{}, holds: map[string]chan struct{}{}, Groups: map[string][]User{},
		PublicEmails: map[string]string{}, Now: time.Now}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + BasePath + "/"
	t.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, u := range s.unexpected {
			t.Errorf("fakegitlab: unexpected request %s", u)
		}
	})
	return s
}

// AddProject adds a project and returns it; change it inside Do once the
// server is in use.
func (s *Server) AddProject(p *Project) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.MRs == nil {
		p.MRs = map[int]*MR{}
	}
	if p.Files == nil {
		p.Files = map[string]map[string]string{}
	}
	if p.Tags == nil {
		p.Tags = map[string]string{}
	}
	if p.Branches == nil {
		p.Branches = map[string]string{}
	}
	if p.Commits == nil {
		p.Commits = map[string]Commit{}
	}
	s.projects = append(s.projects, p)
	return p
}

// Do runs fn with the fake locked, to change its data.
func (s *Server) Do(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// FailNext makes the next request to "METHOD route" (e.g. "GET
// /projects/:id/merge_requests/:iid") answer status once; a 429 says
// Retry-After: 30.
func (s *Server) FailNext(route string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[route] = status
}

// LoseAnswerNext makes the next request to "METHOD route" do its work,
// then answer 502, once: what a proxy answers when GitLab did what was
// asked but its answer was lost.
func (s *Server) LoseAnswerNext(route string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseNext[route] = true
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// StatusesCreated lists commit statuses set, as "group/proj@sha:name:state".
func (s *Server) StatusesCreated() []string { return s.effects(&s.statuses) }

// NotesCreated lists notes created, as "group/proj!iid:first line".
func (s *Server) NotesCreated() []string { return s.effects(&s.created) }

// NotesEdited lists notes edited, as "group/proj!iid#note:first line".
func (s *Server) NotesEdited() []string { return s.effects(&s.edited) }

// LabelsChanged lists label changes, as "group/proj!iid:+label" or
// "group/proj!iid:-label".
func (s *Server) LabelsChanged() []string { return s.effects(&s.labels) }

// AwardsGiven lists award emoji given on notes, as
// "group/proj!iid#note:thumbsup".
func (s *Server) AwardsGiven() []string { return s.effects(&s.awards) }

// ReleasesCreated lists releases created, as "group/proj@tag".
func (s *Server) ReleasesCreated() []string { return s.effects(&s.releases) }

// PipelinesCreated lists pipelines created, as "group/proj@ref:K=V,K=V"
// (variables in key order).
func (s *Server) PipelinesCreated() []string { return s.effects(&s.pipelines) }

// Reset forgets the recorded requests and effects (not the data).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.statuses, s.created, s.edited, s.labels, s.awards, s.releases, s.pipelines, s.deploys = nil, nil, nil, nil, nil, nil, nil, nil, nil
	s.mrsCreated, s.assigned = nil, nil
}

func (s *Server) effects(list *[]string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), (*list)...)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// HoldAnswers makes the answers to "METHOD route" (e.g. "POST
// /projects/:id/pipeline") wait until release is called: the requests'
// effects happen at once, and a client that dies meanwhile never hears of
// them, as when GitLab did the work and the caller crashed.
func (s *Server) HoldAnswers(route string) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	s.holds[route] = ch
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	if hold := s.answer(rec, r); hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if r.Method != http.MethodGet {
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	s.answerConditionally(w, r, rec)
}

// answer serves r into w, and returns the channel to wait on before
// sending the answer when its route is held.
func (s *Server) answer(w http.ResponseWriter, r *http.Request) (hold chan struct{}) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Body: body})
	if s.serveOAuth(w, r, body) {
		return
	}
	if _, user := s.bearerUser(r); !user && r.Header.Get("PRIVATE-TOKEN") != s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), BasePath+"/")
	if !ok {
		s.unexpected = append(s.unexpected, r.Method+" "+r.URL.String())
		http.NotFound(w, r)
		return
	}
	var seg []string
	for _, p := range strings.Split(rest, "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			u = p
		}
		seg = append(seg, u)
	}
	route, args := routeOf(seg)
	key := r.Method + " " + route
	if code, ok := s.failNext[key]; ok {
		delete(s.failNext, key)
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "30")
		}
		writeJSON(w, code, map[string]string{"message": http.StatusText(code)})
		return
	}
	if s.loseNext[key] {
		delete(s.loseNext, key)
		real := w
		w = httptest.NewRecorder()
		defer writeJSON(real, http.StatusBadGateway, map[string]string{"message": "502 Bad Gateway"})
	}
	hold = s.holds[key]
	h, known := s.routes()[key]
	if !known {
		s.unexpected = append(s.unexpected, r.Method+" "+r.URL.String())
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not Found (unexpected route " + key + ")"})
		return
	}
	if !strings.HasPrefix(route, "/projects/") {
		h(w, r, nil, nil, body, args...)
		return
	}
	p := s.project(args[0])
	if p == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return
	}
	var mr *MR
	if strings.HasPrefix(route, "/projects/:id/merge_requests/:iid") {
		iid, _ := strconv.Atoi(args[1])
		if mr = p.MRs[iid]; mr == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
			return
		}
	}
	h(w, r, p, mr, body, args...)
	return hold
}

// answerConditionally sends a GET's answer with a weak ETag, or 304 Not
// Modified when the request's If-None-Match holds it, as GitLab does.
func (s *Server) answerConditionally(w http.ResponseWriter, r *http.Request, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	if rec.Code != http.StatusOK {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	etag := fakehttp.ETag(rec.Body.Bytes())
	w.Header().Set("ETag", etag)
	if fakehttp.ETagMatches(r.Header.Get("If-None-Match"), etag) {
		s.markNotModified(r)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rec.Body.Bytes())
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// CountCalls counts the requests received, those answered 304 left out
// when excluding304.
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

// markNotModified marks the newest record of r as answered 304.
func (s *Server) markNotModified(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.requests) - 1; i >= 0; i-- {
		if q := &s.requests[i]; q.Method == r.Method && q.Path == r.URL.EscapedPath() && q.Query == r.URL.RawQuery {
			q.NotModified = true
			return
		}
	}
}

// routeOf names the route of a path's segments and returns its
// parameters: ":id", ":iid", ":note", ":sha", ":path" in order.
func routeOf(seg []string) (string, []string) {
	if len(seg) == 1 && seg[0] == "user" {
		return "/user", nil
	}
	if len(seg) == 4 && seg[0] == "groups" && seg[2] == "members" && seg[3] == "all" {
		return "/groups/:id/members/all", []string{seg[1]}
	}
	if len(seg) == 2 && seg[0] == "users" {
		return "/users/:id", []string{seg[1]}
	}
	if len(seg) < 2 || seg[0] != "projects" {
		return "/" + strings.Join(seg, "/"), nil
	}
	args := []string{seg[1]}
	route := "/projects/:id"
	rest := seg[2:]
	switch {
	case len(rest) >= 2 && rest[0] == "merge_requests":
		args = append(args, rest[1])
		route += "/merge_requests/:iid"
		rest = rest[2:]
		if len(rest) >= 2 && rest[0] == "notes" {
			args = append(args, rest[1])
			route += "/notes/:note"
			rest = rest[2:]
		}
	case len(rest) >= 4 && rest[0] == "repository" && rest[1] == "files" && rest[len(rest)-1] == "raw":
		args = append(args, strings.Join(rest[2:len(rest)-1], "/"))
		return route + "/repository/files/:path/raw", args
	case len(rest) == 2 && rest[0] == "pipelines":
		args = append(args, rest[1])
		return route + "/pipelines/:pipeline", args
	case len(rest) == 3 && rest[0] == "pipelines" && rest[2] == "variables":
		args = append(args, rest[1])
		return route + "/pipelines/:pipeline/variables", args
	case len(rest) == 2 && rest[0] == "deployments":
		args = append(args, rest[1])
		return route + "/deployments/:deployment", args
	case len(rest) == 2 && rest[0] == "releases":
		args = append(args, rest[1])
		return route + "/releases/:tag", args
	case len(rest) == 3 && rest[0] == "repository" && (rest[1] == "tags" || rest[1] == "commits"):
		args = append(args, rest[2])
		return route + "/repository/" + rest[1] + "/:ref", args
	case len(rest) == 3 && rest[0] == "repository" && rest[1] == "branches":
		args = append(args, rest[2])
		return route + "/repository/branches/:branch", args
	case len(rest) == 2 && rest[0] == "statuses":
		args = append(args, rest[1])
		return route + "/statuses/:sha", args
	case len(rest) == 4 && rest[0] == "repository" && rest[1] == "commits" && (rest[3] == "statuses" || rest[3] == "refs" || rest[3] == "diff" || rest[3] == "cherry_pick" || rest[3] == "merge_requests"):
		args = append(args, rest[2])
		return route + "/repository/commits/:sha/" + rest[3], args
	}
	if len(rest) > 0 {
		route += "/" + strings.Join(rest, "/")
	}
	return route, args
}

type handler func(w http.ResponseWriter, r *http.Request, p *Project, mr *MR, body []byte, args ...string)

func (s *Server) routes() map[string]handler {
	routes := s.deployRoutes()
	maps.Copy(routes, s.branchRoutes())
	maps.Copy(routes, s.mergeBackRoutes())
	maps.Copy(routes, map[string]handler{
		"GET /groups/:id/members/all":                                    s.groupMembers,
		"GET /user":                                                      s.getUser,
		"GET /projects/:id":                                              s.getProject,
		"GET /projects/:id/merge_requests":                               s.listMRs,
		"GET /projects/:id/merge_requests/:iid":                          s.getMR,
		"PUT /projects/:id/merge_requests/:iid":                          s.updateMR,
		"GET /projects/:id/merge_requests/:iid/approvals":                s.getApprovals,
		"GET /projects/:id/merge_requests/:iid/approval_state":           s.getApprovalState,
		"GET /projects/:id/merge_requests/:iid/commits":                  s.listCommits,
		"GET /projects/:id/merge_requests/:iid/diffs":                    s.listDiffs,
		"GET /projects/:id/merge_requests/:iid/notes":                    s.listNotes,
		"GET /projects/:id/merge_requests/:iid/resource_label_events":    s.listLabelEvents,
		"POST /projects/:id/merge_requests/:iid/notes":                   s.createNote,
		"PUT /projects/:id/merge_requests/:iid/notes/:note":              s.editNote,
		"GET /projects/:id/merge_requests/:iid/notes/:note":              s.getNote,
		"POST /projects/:id/merge_requests/:iid/notes/:note/award_emoji": s.award,
		"GET /projects/:id/repository/files/:path/raw":                   s.rawFile,
		"GET /projects/:id/members/all":                                  s.members,
		"POST /projects/:id/statuses/:sha":                               s.setStatus,
		"GET /projects/:id/repository/commits/:sha/statuses":             s.listStatuses,
		"GET /projects/:id/repository/tags":                              s.listTags,
		"POST /projects/:id/repository/tags":                             s.createTag,
		"GET /projects/:id/repository/branches":                          s.listBranches,
		"POST /projects/:id/releases":                                    s.createRelease,
		"GET /projects/:id/repository/compare":                           s.compare,
		"GET /projects/:id/repository/commits/:sha/refs":                 s.commitRefs,
		"GET /projects/:id/repository/commits/:sha/merge_requests":       s.commitMRs,
		"GET /projects/:id/repository/commits/:sha/diff":                 s.commitDiff,
	})
	return routes
}

func (s *Server) project(id string) *Project {
	for _, p := range s.projects {
		if p.Path == id || strconv.FormatInt(p.ID, 10) == id {
			return p
		}
	}
	return nil
}

// decodeJSON reads a request body into v, answering 400 with GitLab's
// {"message"} when it is not JSON of that shape.
func decodeJSON(w http.ResponseWriter, body []byte, v any) bool {
	if err := json.Unmarshal(body, v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func userJSON(u User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Username, "name": u.Username, "state": "active", "bot": u.Bot}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, _ *Project, _ *MR, _ []byte, _ ...string) {
	if u, ok := s.bearerUser(r); ok {
		writeJSON(w, http.StatusOK, userJSON(u))
		return
	}
	writeJSON(w, http.StatusOK, userJSON(s.Self))
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request, p *Project, _ *MR, _ []byte, _ ...string) {
	if u, ok := s.bearerUser(r); ok {
		s.projectFor(w, p, u)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": p.ID, "path_with_namespace": p.Path, "default_branch": p.DefaultBranch,
		"web_url": "https://gitlab.example/" + p.Path})
}

func mrJSON(p *Project, mr *MR) map[string]any {
	labels := mr.Labels
	if labels == nil {
		labels = []string{}
	}
	assignees := []map[string]any{}
	for _, u := range mr.Assignees {
		assignees = append(assignees, userJSON(u))
	}
	return map[string]any{
		"id": int64(mr.IID) + p.ID*1000, "iid": mr.IID, "project_id": p.ID, "title": mr.Title, "description": mr.Description,
		"state": mr.State, "draft": mr.Draft, "source_branch": mr.SourceBranch, "target_branch": mr.TargetBranch,
		"sha": mr.SHA, "author": userJSON(mr.Author), "labels": labels, "created_at": ts(mr.CreatedAt), "updated_at": ts(mr.CreatedAt),
		"web_url":          fmt.Sprintf("https://gitlab.example/%s/-/merge_requests/%d", p.Path, mr.IID),
		"merge_commit_sha": nullable(mr.MergeCommitSHA), "squash_commit_sha": nullable(mr.SquashCommitSHA),
		"source_project_id": p.ID, "target_project_id": p.ID, "assignees": assignees,
	}
}

// nullable is s, or JSON's null when it is empty, as GitLab sends an
// unset SHA.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) listMRs(w http.ResponseWriter, r *http.Request, p *Project, _ *MR, _ []byte, _ ...string) {
	q := r.URL.Query()
	var iids []int
	for iid := range p.MRs {
		iids = append(iids, iid)
	}
	sort.Ints(iids)
	out := []map[string]any{}
	for _, iid := range iids {
		mr := p.MRs[iid]
		if st := q.Get("state"); st != "" && st != "all" && mr.State != st {
			continue
		}
		if tb := q.Get("target_branch"); tb != "" && mr.TargetBranch != tb {
			continue
		}
		if sb := q.Get("source_branch"); sb != "" && mr.SourceBranch != sb {
			continue
		}
		out = append(out, mrJSON(p, mr))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getMR(w http.ResponseWriter, _ *http.Request, p *Project, mr *MR, _ []byte, _ ...string) {
	writeJSON(w, http.StatusOK, mrJSON(p, mr))
}

// updateMR applies add_labels and remove_labels (comma-separated) and
// nothing else.
func (s *Server) updateMR(w http.ResponseWriter, r *http.Request, p *Project, mr *MR, body []byte, _ ...string) {
	var in struct {
		AddLabels    string `json:"add_labels"`
		RemoveLabels string `json:"remove_labels"`
	}
	if !decodeJSON(w, body, &in) {
		return
	}
	ref := fmt.Sprintf("%s!%d", p.Path, mr.IID)
	for _, l := range splitLabels(in.AddLabels) {
		if !hasFold(mr.Labels, l) {
			mr.Labels = append(mr.Labels, l)
		}
		s.labels = append(s.labels, ref+":+"+l)
	}
	for _, l := range splitLabels(in.RemoveLabels) {
		kept := mr.Labels[:0:0]
		for _, have := range mr.Labels {
			if !strings.EqualFold(have, l) {
				kept = append(kept, have)
			}
		}
		mr.Labels = kept
		s.labels = append(s.labels, ref+":-"+l)
	}
	writeJSON(w, http.StatusOK, mrJSON(p, mr))
}

func splitLabels(s string) []string {
	var out []string
	for _, l := range strings.Split(s, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func hasFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

func (s *Server) getApprovals(w http.ResponseWriter, _ *http.Request, p *Project, mr *MR, _ []byte, _ ...string) {
	by := []map[string]any{}
	for _, u := range mr.ApprovedBy {
		by = append(by, map[string]any{"user": userJSON(u)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": int64(mr.IID) + p.ID*1000, "iid": mr.IID, "project_id": p.ID,
		"approved": len(by) > 0, "approved_by": by, "approvals_required": 0, "approvals_left": 0})
}

// getApprovalState answers as GitLab Free does: no approval rules.
func (s *Server) getApprovalState(w http.ResponseWriter, _ *http.Request, _ *Project, _ *MR, _ []byte, _ ...string) {
	writeJSON(w, http.StatusOK, map[string]any{"approval_rules_overwritten": false, "rules": []any{}})
}

func (s *Server) listCommits(w http.ResponseWriter, _ *http.Request, _ *Project, mr *MR, _ []byte, _ ...string) {
	out := []map[string]any{}
	// GitLab lists a merge request's commits newest first.
	for i := len(mr.Commits) - 1; i >= 0; i-- {
		c := mr.Commits[i]
		out = append(out, map[string]any{"id": c.SHA, "short_id": c.SHA[:min(8, len(c.SHA))], "title": firstLine(c.Message),
			"message": c.Message, "author_name": c.AuthorName, "authored_date": ts(c.At), "committed_date": ts(c.At), "created_at": ts(c.At)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listDiffs(w http.ResponseWriter, _ *http.Request, _ *Project, mr *MR, _ []byte, _ ...string) {
	out := []map[string]any{}
	for _, d := range mr.Diffs {
		out = append(out, map[string]any{"old_path": d.OldPath, "new_path": d.NewPath, "new_file": d.NewFile,
			"renamed_file": d.RenamedFile, "deleted_file": d.Deleted, "diff": d.Text, "too_large": d.TooLarge})
	}
	writeJSON(w, http.StatusOK, out)
}

func noteJSON(n *Note) map[string]any {
	updated := n.UpdatedAt
	if updated.IsZero() {
		updated = n.CreatedAt
	}
	return map[string]any{"id": n.ID, "body": n.Body, "system": n.System, "noteable_type": "MergeRequest",
		"author": userJSON(n.Author), "created_at": ts(n.CreatedAt), "updated_at": ts(updated)}
}

func (s *Server) listLabelEvents(w http.ResponseWriter, _ *http.Request, _ *Project, mr *MR, _ []byte, _ ...string) {
	out := []map[string]any{}
	for _, e := range mr.LabelEvents {
		out = append(out, map[string]any{"id": e.ID, "action": e.Action, "created_at": ts(e.At), "resource_type": "MergeRequest",
			"resource_id": mr.IID, "user": userJSON(e.User), "label": map[string]any{"id": e.ID, "name": e.Label}})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listNotes(w http.ResponseWriter, _ *http.Request, _ *Project, mr *MR, _ []byte, _ ...string) {
	out := []map[string]any{}
	for _, n := range mr.Notes {
		out = append(out, noteJSON(n))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createNote(w http.ResponseWriter, _ *http.Request, p *Project, mr *MR, body []byte, _ ...string) {
	var in struct {
		Body string `json:"body"`
	}
	_ = json.Unmarshal(body, &in)
	s.nextID++
	n := &Note{ID: s.nextID, Author: s.Self, Body: in.Body, CreatedAt: time.Now().UTC()}
	mr.Notes = append(mr.Notes, n)
	s.created = append(s.created, fmt.Sprintf("%s!%d:%s", p.Path, mr.IID, firstLine(in.Body)))
	writeJSON(w, http.StatusCreated, noteJSON(n))
}

func (s *Server) findNote(mr *MR, id string) *Note {
	for _, n := range mr.Notes {
		if strconv.FormatInt(n.ID, 10) == id {
			return n
		}
	}
	return nil
}

func (s *Server) editNote(w http.ResponseWriter, _ *http.Request, p *Project, mr *MR, body []byte, args ...string) {
	n := s.findNote(mr, args[2])
	if n == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Note Not Found"})
		return
	}
	var in struct {
		Body string `json:"body"`
	}
	_ = json.Unmarshal(body, &in)
	n.Body, n.UpdatedAt = in.Body, time.Now().UTC()
	s.edited = append(s.edited, fmt.Sprintf("%s!%d#%d:%s", p.Path, mr.IID, n.ID, firstLine(in.Body)))
	writeJSON(w, http.StatusOK, noteJSON(n))
}

func (s *Server) getNote(w http.ResponseWriter, _ *http.Request, _ *Project, mr *MR, _ []byte, args ...string) {
	n := s.findNote(mr, args[2])
	if n == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Note Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, noteJSON(n))
}

func (s *Server) award(w http.ResponseWriter, _ *http.Request, p *Project, mr *MR, body []byte, args ...string) {
	n := s.findNote(mr, args[2])
	if n == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Note Not Found"})
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(body, &in)
	n.Awards = append(n.Awards, in.Name)
	s.awards = append(s.awards, fmt.Sprintf("%s!%d#%d:%s", p.Path, mr.IID, n.ID, in.Name))
	s.nextID++
	writeJSON(w, http.StatusCreated, map[string]any{"id": s.nextID, "name": in.Name, "user": userJSON(s.Self), "awardable_id": n.ID})
}

func (s *Server) rawFile(w http.ResponseWriter, r *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = p.DefaultBranch
	}
	content, ok := p.Tree(ref)[args[1]]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 File Not Found"})
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, content)
}

func (s *Server) members(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, _ ...string) {
	out := []map[string]any{}
	for _, m := range p.Members {
		j := userJSON(m.User)
		j["access_level"] = m.AccessLevel
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) setStatus(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, args ...string) {
	var in struct {
		State       string `json:"state"`
		Name        string `json:"name"`
		Context     string `json:"context"`
		Description string `json:"description"`
		TargetURL   string `json:"target_url"`
	}
	if !decodeJSON(w, body, &in) {
		return
	}
	switch in.State {
	case "pending", "running", "success", "failed", "canceled", "skipped":
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "state does not have a valid value"})
		return
	}
	name := in.Name
	if name == "" {
		name = in.Context
	}
	if name == "" {
		name = "default"
	}
	s.nextID++
	st := Status{ID: s.nextID, SHA: args[1], Name: name, State: in.State, Description: in.Description, TargetURL: in.TargetURL, Author: s.Self}
	p.Statuses = append(p.Statuses, st)
	s.statuses = append(s.statuses, fmt.Sprintf("%s@%s:%s:%s", p.Path, st.SHA, st.Name, st.State))
	writeJSON(w, http.StatusCreated, map[string]any{"id": st.ID, "sha": st.SHA, "name": st.Name, "status": st.State,
		"description": st.Description, "target_url": st.TargetURL})
}

func (s *Server) listStatuses(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	out := []map[string]any{}
	for i := len(p.Statuses) - 1; i >= 0; i-- {
		st := p.Statuses[i]
		if st.SHA == args[1] {
			out = append(out, map[string]any{"id": st.ID, "sha": st.SHA, "name": st.Name, "status": st.State, "description": st.Description, "target_url": st.TargetURL,
				"author": userJSON(st.Author)})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listTags(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, _ ...string) {
	var names []string
	for n := range p.Tags {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []map[string]any{}
	for _, n := range names {
		out = append(out, map[string]any{"name": n, "target": p.Tags[n], "commit": map[string]any{"id": p.Tags[n]}})
	}
	writeJSON(w, http.StatusOK, out)
}

// createTag creates a lightweight tag at a commit SHA (ref); GitLab
// answers 400 "Tag TAG already exists" for a name taken.
func (s *Server) createTag(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, _ ...string) {
	var in struct {
		TagName string `json:"tag_name"`
		Ref     string `json:"ref"`
	}
	_ = json.Unmarshal(body, &in)
	if in.TagName == "" || in.Ref == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "tag_name and ref are required"})
		return
	}
	if _, ok := p.Tags[in.TagName]; ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Tag " + in.TagName + " already exists"})
		return
	}
	sha := in.Ref
	if head, ok := p.Branches[in.Ref]; ok {
		sha = head
	}
	p.Tags[in.TagName] = sha
	p.TagsCreated = append(p.TagsCreated, in.TagName+"@"+sha)
	writeJSON(w, http.StatusCreated, map[string]any{"name": in.TagName, "target": sha, "commit": map[string]any{"id": sha}})
}

func (s *Server) listBranches(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, _ ...string) {
	var names []string
	for n := range p.Branches {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []map[string]any{}
	for _, n := range names {
		out = append(out, map[string]any{"name": n, "commit": map[string]any{"id": p.Branches[n]}})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createRelease(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, _ ...string) {
	var in struct {
		TagName     string `json:"tag_name"`
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	_ = json.Unmarshal(body, &in)
	for _, rel := range p.Releases {
		if rel.TagName == in.TagName {
			writeJSON(w, http.StatusConflict, map[string]string{"message": "Release already exists"})
			return
		}
	}
	p.Releases = append(p.Releases, Release{TagName: in.TagName, Name: in.Name, Description: in.Description})
	s.releases = append(s.releases, p.Path+"@"+in.TagName)
	writeJSON(w, http.StatusCreated, map[string]any{"tag_name": in.TagName, "name": in.Name, "description": in.Description})
}

// history returns the commits up to ref (a SHA, tag or branch), oldest
// first; nil when ref is unknown.
func (p *Project) history(ref string) []Commit {
	if sha, ok := p.Tags[ref]; ok {
		ref = sha
	} else if sha, ok := p.Branches[ref]; ok {
		ref = sha
	}
	for i, c := range p.History {
		if c.SHA == ref {
			return p.History[:i+1]
		}
	}
	return nil
}

func commitJSON(c Commit) map[string]any {
	return map[string]any{"id": c.SHA, "short_id": c.SHA[:min(8, len(c.SHA))], "title": firstLine(c.Message),
		"message": c.Message, "author_name": c.AuthorName, "authored_date": ts(c.At), "committed_date": ts(c.At), "created_at": ts(c.At)}
}

// compare lists the commits of to that from lacks, oldest first.
func (s *Server) compare(w http.ResponseWriter, r *http.Request, p *Project, _ *MR, _ []byte, _ ...string) {
	q := r.URL.Query()
	from, to := p.history(q.Get("from")), p.history(q.Get("to"))
	if from == nil || to == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Ref Not Found"})
		return
	}
	have := map[string]bool{}
	for _, c := range from {
		have[c.SHA] = true
	}
	out := []map[string]any{}
	for _, c := range to {
		if !have[c.SHA] {
			out = append(out, commitJSON(c))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"commits": out, "diffs": []any{}, "compare_same_ref": q.Get("from") == q.Get("to")})
}

// commitRefs lists the branches whose history holds the commit.
func (s *Server) commitRefs(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	var names []string
	for name := range p.Branches {
		for _, c := range p.history(name) {
			if c.SHA == args[1] {
				names = append(names, name)
				break
			}
		}
	}
	sort.Strings(names)
	out := []map[string]any{}
	for _, n := range names {
		out = append(out, map[string]any{"type": "branch", "name": n})
	}
	writeJSON(w, http.StatusOK, out)
}

// commitMRs lists the merge requests related to a commit as GitLab's
// by_related_commit_sha finds them: those whose commits hold it, and
// those merged or squashed as it.
func (s *Server) commitMRs(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	sha := args[1]
	var iids []int
	for iid, mr := range p.MRs {
		related := mr.SHA == sha || mr.MergeCommitSHA == sha || mr.SquashCommitSHA == sha
		for _, c := range mr.Commits {
			related = related || c.SHA == sha
		}
		if related {
			iids = append(iids, iid)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(iids)))
	out := []map[string]any{}
	for _, iid := range iids {
		out = append(out, mrJSON(p, p.MRs[iid]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) groupMembers(w http.ResponseWriter, _ *http.Request, _ *Project, _ *MR, _ []byte, args ...string) {
	users, ok := s.Groups[args[0]]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Group Not Found"})
		return
	}
	out := []map[string]any{}
	for _, u := range users {
		j := userJSON(u)
		j["access_level"] = 30
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
}
