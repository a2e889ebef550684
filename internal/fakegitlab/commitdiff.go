package fakegitlab

import (
	"net/http"
)

// commitDiff lists the files a commit changed (each file modified, no
// diff text), on one page.
func (s *Server) commitDiff(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	c, ok := p.commit(args[1])
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Commit Not Found"})
		return
	}
	out := []map[string]any{}
	for _, f := range c.Files {
		out = append(out, map[string]any{"old_path": f, "new_path": f, "new_file": false, "renamed_file": false, "deleted_file": false, "diff": c.Patches[f]})
	}
	writeJSON(w, http.StatusOK, out)
}
