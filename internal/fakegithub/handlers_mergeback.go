package fakegithub

import (
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/google/go-github/v62/github"
)

// This file serves what a client needs to cherry-pick through the API and
// propose the result: trees read back whole, pull requests opened, and
// assignees added.

// getTree answers a tree (the fake's trees are flat: path → content) with
// a blob entry per file, recursive or not; the blobs become readable by
// SHA, as on GitHub.
func getTree(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	sha := c.params["tree_sha"]
	files, ok := r.trees[sha]
	if !ok {
		if commitTree, isCommit := r.commitTrees[sha]; isCommit {
			files, ok = r.trees[commitTree], true
		}
	}
	if !ok {
		c.notFound()
		return
	}
	out := &github.Tree{SHA: ptr(sha), Truncated: ptr(false)}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		b := blobSHA(files[p])
		r.blobs[b] = files[p]
		out.Entries = append(out.Entries, &github.TreeEntry{Path: ptr(p), Mode: ptr("100644"), Type: ptr("blob"), SHA: ptr(b), Size: ptr(len(files[p]))})
	}
	c.json(http.StatusOK, out)
}

// createPull opens a pull request from a branch of the repository by the
// caller (the App's bot). GitHub refuses a second open PR of one head
// into one base, and a head that is no branch.
func createPull(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Title string `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
	}
	if !c.decode(&in) {
		return
	}
	head, base := r.refs["refs/heads/"+in.Head], r.refs["refs/heads/"+in.Base]
	switch {
	case in.Title == "" || head == "" || base == "":
		c.invalid("PullRequest", "head", "invalid", "title, and head and base branches, are required")
		return
	}
	number := 1
	for n, is := range r.issues {
		number = max(number, n+1)
		if !is.isIssue && is.State == "open" && is.Head == in.Head && is.Base == in.Base {
			c.invalid("PullRequest", "", "custom", "A pull request already exists for "+r.owner+":"+in.Head+".")
			return
		}
	}
	now := c.s.clock()
	is := &issueState{PR: PR{Number: number, Title: in.Title, Body: in.Body, Author: c.s.bot, Base: in.Base, Head: in.Head,
		BaseSHA: base, HeadSHA: head, State: "open", CreatedAt: now, UpdatedAt: now}}
	r.issues[number] = is
	c.s.effects.pullsCreated = append(c.s.effects.pullsCreated, fmt.Sprintf("%s#%d:%s->%s:%s", r.FullName, number, in.Head, in.Base, in.Title))
	c.json(http.StatusCreated, c.pull(r, is))
}

// addAssignees assigns people to an issue or pull request.
func addAssignees(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	n, ok := c.number("issue_number")
	if !ok {
		return
	}
	var in struct {
		Assignees []string `json:"assignees"`
	}
	if !c.decode(&in) {
		return
	}
	if r.issues[int(n)] == nil {
		c.notFound()
		return
	}
	for _, a := range in.Assignees {
		c.s.effects.assigned = append(c.s.effects.assigned, fmt.Sprintf("%s#%d:%s", r.FullName, n, a))
	}
	c.json(http.StatusCreated, &github.Issue{Number: ptr(int(n))})
}

// PullsCreated lists the pull requests opened through the API, as
// "acme/widgets#43:head->base:title".
func (s *Server) PullsCreated() []string { return s.read(&s.effects.pullsCreated) }

// Assigned lists the assignees added, as "acme/widgets#43:erin".
func (s *Server) Assigned() []string { return s.read(&s.effects.assigned) }

// TreeFiles returns the files of a commit (path → content) as the fake
// holds them: what a branch or a merge-back commit contains.
func (s *Server) TreeFiles(repo, ref string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	sha := r.resolve(ref)
	if sha == "" {
		sha = ref
	}
	return maps.Clone(r.trees[r.treeOf(sha)])
}

// TreeRef returns the commit a ref (a branch or a tag) points at.
func (s *Server) TreeRef(repo, ref string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repo(repo).resolve(ref)
}
