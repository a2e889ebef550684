package fakegithub

import "slices"

// SetCommitFiles sets the paths a commit changed, which GET
// /repos/{owner}/{repo}/commits/{ref} lists; the commit must exist.
func (s *Server) SetCommitFiles(repo, sha string, files []string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.repo(repo).commits[sha]
	if c == nil {
		s.t.Fatalf("fakegithub: SetCommitFiles: no commit %s in %s", sha, repo)
	}
	c.Files = slices.Clone(files)
}
