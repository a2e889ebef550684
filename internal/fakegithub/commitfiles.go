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

// SetCommitPatch sets the patch of one file a commit changed (listed
// among its files too).
func (s *Server) SetCommitPatch(repo, sha, path, patch string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.repo(repo).commits[sha]
	if c == nil {
		s.t.Fatalf("fakegithub: SetCommitPatch: no commit %s in %s", sha, repo)
	}
	if !slices.Contains(c.Files, path) {
		c.Files = append(c.Files, path)
	}
	if c.Patches == nil {
		c.Patches = map[string]string{}
	}
	c.Patches[path] = patch
}
