package fakeslack

import "net/http"

// FailNext makes the next n calls of method (e.g. "chat.postMessage")
// answer 500 with nothing done, as Slack does in an outage.
func (s *Server) FailNext(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing == nil {
		s.failing = map[string]int{}
	}
	s.failing[method] += n
}

// fail answers a call FailNext asked to fail; s.mu is held.
func (s *Server) fail(w http.ResponseWriter, method string) bool {
	if s.failing[method] == 0 {
		return false
	}
	s.failing[method]--
	http.Error(w, "fakeslack: failing as asked", http.StatusInternalServerError)
	return true
}
