package fakegitlab

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// cherryPickFailed is GitLab's message for a cherry-pick it cannot make;
// its error_code says why: conflict, or empty (the branch has it all).
const cherryPickFailed = "Sorry, we cannot cherry-pick this commit automatically. This commit may already have been cherry-picked, or a more recent commit may have updated some of its content."

// mergeBackRoutes are the calls of a hotfix's merge-back.
func (s *Server) mergeBackRoutes() map[string]handler {
	return map[string]handler{
		"POST /projects/:id/merge_requests":                      s.createMR,
		"POST /projects/:id/repository/commits/:sha/cherry_pick": s.cherryPick,
		"DELETE /projects/:id/repository/branches/:branch":       s.deleteBranch,
	}
}

// MRsCreated lists the merge requests created, as
// "group/proj!iid:source->target:title".
func (s *Server) MRsCreated() []string { return s.effects(&s.mrsCreated) }

// Assigned lists the assignees set when an MR was created, as
// "group/proj!iid:username".
func (s *Server) Assigned() []string { return s.effects(&s.assigned) }

// commit finds a commit of the history or off it.
func (p *Project) commit(sha string) (Commit, bool) {
	for _, c := range p.History {
		if c.SHA == sha {
			return c, true
		}
	}
	c, ok := p.Commits[sha]
	return c, ok
}

// Tree is a ref's files: its own entry in Files, else its head commit's
// when it is a branch.
func (p *Project) Tree(ref string) map[string]string {
	if t, ok := p.Files[ref]; ok {
		return t
	}
	if sha, ok := p.Branches[ref]; ok {
		return p.Files[sha]
	}
	return nil
}

// createMR opens a merge request as the token's user, as GitLab does:
// 400 without a title or an existing source and target branch, 409 when
// an open MR from the source into the target exists. A title starting
// "Draft:" makes a draft; assignee_ids (or assignee_id) of members are
// set, others ignored.
func (s *Server) createMR(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, _ ...string) {
	var in struct {
		Title        string  `json:"title"`
		Description  string  `json:"description"`
		SourceBranch string  `json:"source_branch"`
		TargetBranch string  `json:"target_branch"`
		AssigneeID   int64   `json:"assignee_id"`
		AssigneeIDs  []int64 `json:"assignee_ids"`
	}
	if !decodeJSON(w, body, &in) {
		return
	}
	if in.Title == "" || in.SourceBranch == "" || in.TargetBranch == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "title, source_branch and target_branch are required"})
		return
	}
	head, ok := p.Branches[in.SourceBranch]
	if _, tok := p.Branches[in.TargetBranch]; !ok || !tok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": []string{"Source branch or target branch does not exist"}})
		return
	}
	iid := 0
	for n, mr := range p.MRs {
		iid = max(iid, n)
		if mr.State == "opened" && mr.SourceBranch == in.SourceBranch && mr.TargetBranch == in.TargetBranch {
			writeJSON(w, http.StatusConflict, map[string]any{"message": []string{fmt.Sprintf("Another open merge request already exists for this source branch: !%d", n)}})
			return
		}
	}
	mr := &MR{IID: iid + 1, Title: in.Title, Description: in.Description, Author: s.Self, SourceBranch: in.SourceBranch,
		TargetBranch: in.TargetBranch, SHA: head, State: "opened", Draft: strings.HasPrefix(in.Title, "Draft:"), CreatedAt: s.Now().UTC(),
		Commits: p.commitsBetween(p.Branches[in.TargetBranch], head)}
	ref := fmt.Sprintf("%s!%d", p.Path, mr.IID)
	for _, id := range append(in.AssigneeIDs, in.AssigneeID) {
		for _, m := range p.Members {
			if id != 0 && m.ID == id {
				mr.Assignees = append(mr.Assignees, m.User)
				s.assigned = append(s.assigned, ref+":"+m.Username)
			}
		}
	}
	p.MRs[mr.IID] = mr
	s.mrsCreated = append(s.mrsCreated, fmt.Sprintf("%s:%s->%s:%s", ref, in.SourceBranch, in.TargetBranch, in.Title))
	writeJSON(w, http.StatusCreated, mrJSON(p, mr))
}

// commitsBetween are the commits from head back to base along first
// parents, oldest first (none when base is not among them).
func (p *Project) commitsBetween(base, head string) []Commit {
	var out []Commit
	for sha := head; sha != base && sha != ""; {
		c, ok := p.commit(sha)
		if !ok || len(out) > 100 {
			return nil
		}
		out = append(out, c)
		sha = c.Parent
	}
	slices.Reverse(out)
	return out
}

// cherryPick applies what a commit changed against its first parent to a
// branch's head, as a new commit there, file by file: a file the branch
// has as the commit made it is skipped; one the branch changed otherwise
// since the parent is a conflict. GitLab answers 400 with error_code
// conflict, or empty when nothing is left to apply.
func (s *Server) cherryPick(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, body []byte, args ...string) {
	var in struct {
		Branch string `json:"branch"`
		DryRun bool   `json:"dry_run"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Branch == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "branch is missing"})
		return
	}
	c, ok := p.commit(args[1])
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Commit Not Found"})
		return
	}
	head, ok := p.Branches[in.Branch]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Branch Not Found"})
		return
	}
	tree, changed, conflict := apply(p.Tree(c.Parent), p.Tree(c.SHA), p.Tree(in.Branch))
	switch {
	case conflict:
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": cherryPickFailed, "error_code": "conflict"})
		return
	case len(changed) == 0:
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": cherryPickFailed, "error_code": "empty"})
		return
	case in.DryRun:
		writeJSON(w, http.StatusOK, map[string]string{"dry_run": "success"})
		return
	}
	sum := sha1.Sum([]byte(head + c.SHA))
	picked := Commit{SHA: hex.EncodeToString(sum[:]), Message: fmt.Sprintf("%s\n\n(cherry picked from commit %s)", c.Message, c.SHA),
		AuthorName: c.AuthorName, At: s.Now().UTC(), Files: changed, Parent: head}
	p.Commits[picked.SHA] = picked
	p.Files[picked.SHA] = tree
	if _, own := p.Files[in.Branch]; own {
		p.Files[in.Branch] = maps.Clone(tree)
	}
	p.Branches[in.Branch] = picked.SHA
	j := commitJSON(picked)
	j["parent_ids"] = []string{head}
	writeJSON(w, http.StatusCreated, j)
}

// apply puts each file changed from before to after onto target: the
// new tree, the paths it changed, and whether a file conflicted.
func apply(before, after, target map[string]string) (map[string]string, []string, bool) {
	tree := maps.Clone(target)
	if tree == nil {
		tree = map[string]string{}
	}
	paths := slices.Collect(maps.Keys(after))
	for p := range before {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var changed []string
	for _, path := range slices.Compact(paths) {
		b, inB := before[path]
		a, inA := after[path]
		t, inT := target[path]
		switch {
		case inA == inB && a == b, inA == inT && a == t:
			// Unchanged by the commit, or the target has it already.
		case inB != inT || b != t:
			return nil, nil, true
		case !inA:
			delete(tree, path)
			changed = append(changed, path)
		default:
			tree[path] = a
			changed = append(changed, path)
		}
	}
	return tree, changed, false
}

// deleteBranch deletes a branch (404 when there is none), and its own
// files.
func (s *Server) deleteBranch(w http.ResponseWriter, _ *http.Request, p *Project, _ *MR, _ []byte, args ...string) {
	if _, ok := p.Branches[args[1]]; !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Branch Not Found"})
		return
	}
	delete(p.Branches, args[1])
	delete(p.Files, args[1])
	p.BranchesDeleted = append(p.BranchesDeleted, args[1])
	w.WriteHeader(http.StatusNoContent)
}
