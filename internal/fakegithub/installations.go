package fakegithub

import (
	"net/http"
	"strings"
)

// installationSees reports whether the request's credentials may see the
// repository its route names: an installation token sees only the
// repositories of its installation (GitHub answers 404 for the others, as
// for a repository that does not exist); the fake's fixed token sees all.
func (s *Server) installationSees(r *http.Request, params map[string]string) bool {
	owner, repo := params["owner"], params["repo"]
	if owner == "" || repo == "" {
		return true
	}
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	cred = strings.TrimSpace(cred)
	s.mu.Lock()
	defer s.mu.Unlock()
	id, installation := s.st.tokens[cred]
	if !installation {
		return true
	}
	rs := s.st.repos[repoKey(owner+"/"+repo)]
	return rs == nil || rs.InstallationID == id
}
