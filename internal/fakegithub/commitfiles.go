package fakegithub

import "slices"

// SetCommitFiles sets the paths a commit changed, which GET
// /repos/{owner}/{repo}/commits/{ref} lists; the commit must exist.
func (s *Server) SetCommitFiles(repo, sha string, files []string) {
	s.t.Helper()
	s.editCommit("SetCommitFiles", repo, sha, func(c *Commit) { c.Files = slices.Clone(files) })
}

// SetCommitPatch sets the patch of one file a commit changed (listed
// among its files too).
func (s *Server) SetCommitPatch(repo, sha, path, patch string) {
	s.t.Helper()
	s.editCommit("SetCommitPatch", repo, sha, func(c *Commit) {
		if !slices.Contains(c.Files, path) {
			c.Files = append(c.Files, path)
		}
		if c.Patches == nil {
			c.Patches = map[string]string{}
		}
		c.Patches[path] = patch
	})
}

// editCommit runs edit on an existing commit of repo, under the lock.
func (s *Server) editCommit(caller, repo, sha string, edit func(c *Commit)) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.repo(repo).commits[sha]
	if c == nil {
		s.t.Fatalf("fakegithub: %s: no commit %s in %s", caller, sha, repo)
	}
	edit(c)
}
