package fakegitlab

import (
	"encoding/json"
	"net/http"
)

// branchRoutes are the branch calls of a release train.
func (s *Server) branchRoutes() map[string]handler {
	return map[string]handler{
		"POST /projects/:id/repository/branches":        s.createBranch,
		"GET /projects/:id/repository/branches/:branch": s.getBranch,
	}
}

// createBranch creates a branch at a ref (a branch or a SHA of the
// history), as GitLab does: 400 when it exists.
func (s *Server) createBranch(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, _ ...string) {
	var in struct {
		Branch string `json:"branch"`
		Ref    string `json:"ref"`
	}
	_ = json.Unmarshal(body, &in)
	if in.Branch == "" || in.Ref == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "branch and ref are required"})
		return
	}
	if _, ok := p.Branches[in.Branch]; ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Branch already exists"})
		return
	}
	sha := in.Ref
	if head, ok := p.Branches[in.Ref]; ok {
		sha = head
	}
	if p.Branches == nil {
		p.Branches = map[string]string{}
	}
	p.Branches[in.Branch] = sha
	p.BranchesCreated = append(p.BranchesCreated, in.Branch+"@"+sha)
	writeJSON(w, http.StatusCreated, map[string]any{"name": in.Branch, "commit": map[string]any{"id": sha}})
}

// getBranch reads a branch.
func (s *Server) getBranch(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	sha, ok := p.Branches[args[1]]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Branch Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": args[1], "commit": map[string]any{"id": sha}})
}
