// Package fakeslack is an httptest fake of the parts of Slack's Web API
// Shipgate calls: chat.postMessage (and thread replies), chat.update,
// chat.postEphemeral, views.open, usergroups.users.list and
// users.lookupByEmail. The real
// slack-go client talks to it through slack.OptionAPIURL(URL()). It checks
// the bot token, fails the test on any other route, and records effects
// readably for assertions. It is for tests and the sandbox of shipgate
// demo, and imports nothing of Shipgate.
package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Message is a message as the fake holds it.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	// Blocks is the raw Block Kit JSON.
	Blocks string
	// Edits counts chat.update calls.
	Edits int
	// Texts are every text the message had, oldest first: the posted one,
	// then each chat.update's.
	Texts []string
}

// Ephemeral is a chat.postEphemeral call.
type Ephemeral struct {
	Channel, User, Text string
}

// TB is the part of testing.TB the fake uses, which *testing.T
// satisfies: a non-test program (shipgate demo's sandbox) passes its own,
// so that its binary does not link package testing.
type TB interface {
	Errorf(format string, args ...any)
	Cleanup(func())
}

// Server is the fake.
type Server struct {
	t     TB
	srv   *httptest.Server
	token string

	mu         sync.Mutex
	next       int
	messages   []*Message
	ephemerals []Ephemeral
	views      []string
	groups     map[string][]string
	emails     map[string]string // lower-case e-mail → user
	lookups    int
	// failing counts the calls of a method still to fail (FailNext).
	failing map[string]int
}

// New starts a fake that accepts token and stops with the test.
func New(t TB, token string) *Server {
	s := &Server{t: t, token: token, groups: map[string][]string{}, emails: map[string]string{}, next: 1000}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API base URL for slack.OptionAPIURL; it has a non-root path
// so that absolute-URL mistakes fail.
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// SetGroup sets a user group's members.
func (s *Server) SetGroup(group string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[group] = users
}

// SetEmail sets the e-mail address of a user's profile, which
// users.lookupByEmail finds.
func (s *Server) SetEmail(user, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emails[strings.ToLower(email)] = user
}

// Lookups counts the users.lookupByEmail calls.
func (s *Server) Lookups() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookups
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	var form url.Values
	var jsonBody map[string]any
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		json.Unmarshal(body, &jsonBody)
	} else {
		form, _ = url.ParseQuery(string(body))
		if r.URL.RawQuery != "" {
			q, _ := url.ParseQuery(r.URL.RawQuery)
			for k, v := range q {
				form[k] = v
			}
		}
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" && form != nil {
		token = form.Get("token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		s.t.Errorf("fakeslack: unexpected %s %s", r.Method, r.URL.Path)
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	if token != s.token {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	if s.fail(w, method) {
		return
	}
	switch method {
	case "chat.postMessage":
		s.next++
		m := &Message{Channel: form.Get("channel"), TS: fmt.Sprintf("1700000000.%06d", s.next), ThreadTS: form.Get("thread_ts"),
			Text: form.Get("text"), Blocks: form.Get("blocks"), Texts: []string{form.Get("text")}}
		s.messages = append(s.messages, m)
		writeJSON(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS})
	case "chat.update":
		for _, m := range s.messages {
			if m.Channel == form.Get("channel") && m.TS == form.Get("ts") {
				m.Text, m.Blocks = form.Get("text"), form.Get("blocks")
				m.Edits++
				m.Texts = append(m.Texts, m.Text)
				writeJSON(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text})
				return
			}
		}
		writeJSON(w, map[string]any{"ok": false, "error": "message_not_found"})
	case "chat.postEphemeral":
		s.ephemerals = append(s.ephemerals, Ephemeral{Channel: form.Get("channel"), User: form.Get("user"), Text: form.Get("text")})
		writeJSON(w, map[string]any{"ok": true, "message_ts": "1700000000.999999"})
	case "views.open":
		view, _ := json.Marshal(jsonBody["view"])
		s.views = append(s.views, fmt.Sprintf("%v:%s", jsonBody["trigger_id"], view))
		writeJSON(w, map[string]any{"ok": true, "view": map[string]any{"id": fmt.Sprintf("V%d", len(s.views))}})
	case "usergroups.users.list":
		users, ok := s.groups[form.Get("usergroup")]
		if !ok {
			writeJSON(w, map[string]any{"ok": false, "error": "no_such_subteam"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "users": users})
	case "users.lookupByEmail":
		s.lookups++
		user, ok := s.emails[strings.ToLower(form.Get("email"))]
		if !ok {
			writeJSON(w, map[string]any{"ok": false, "error": "users_not_found"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "user": map[string]any{"id": user, "profile": map[string]any{"email": form.Get("email")}}})
	default:
		s.t.Errorf("fakeslack: unexpected method %s", method)
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// Messages returns the top-level messages (not thread replies), oldest
// first, as they are now.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.ThreadTS == "" {
			c := *m
			c.Texts = slices.Clone(m.Texts)
			out = append(out, c)
		}
	}
	return out
}

// Thread returns the texts of the replies to the message at ts.
func (s *Server) Thread(ts string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.messages {
		if m.ThreadTS == ts {
			out = append(out, m.Text)
		}
	}
	return out
}

// Ephemerals returns the ephemeral messages posted.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemerals)
}

// Views returns the views opened, as "TRIGGER:VIEW-JSON".
func (s *Server) Views() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.views)
}
