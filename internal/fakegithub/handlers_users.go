package fakegithub

import (
	"net/http"
	"sort"
	"strings"

	"github.com/google/go-github/v62/github"
)

// getAuthenticatedUser answers who the credentials act as: the user of a
// user token, else the fake's bot login (see [WithBotLogin]).
func getAuthenticatedUser(c *call) {
	if login := c.s.userOf(c.r); login != "" {
		u := c.user(login)
		u.Name = optional(c.s.oauth.names[login])
		c.json(http.StatusOK, u)
		return
	}
	u := c.user(c.s.bot)
	u.Email = optional(c.s.st.emails[strings.ToLower(c.s.bot)])
	c.json(http.StatusOK, u)
}

// getUser answers a user's public profile, with the public e-mail set by
// [Server.SetUserEmail] (GitHub shows null when there is none).
func getUser(c *call) {
	login := c.params["username"]
	u := c.user(login)
	u.Email = optional(c.s.st.emails[strings.ToLower(login)])
	c.json(http.StatusOK, u)
}

// listCommits lists the repository's commits, newest first, filtered by
// author (a login or an e-mail address, as GitHub takes it). Unlike
// GitHub it lists every commit of the fake, not those reachable from a
// branch.
func listCommits(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	author := c.query.Get("author")
	var list []*Commit
	for _, cm := range r.commits {
		if author == "" || strings.EqualFold(cm.Author, author) || strings.EqualFold(cm.AuthorEmail, author) {
			list = append(list, cm)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Date.Equal(list[j].Date) {
			return list[i].Date.After(list[j].Date)
		}
		return list[i].SHA < list[j].SHA
	})
	out := make([]*github.RepositoryCommit, 0, len(list))
	for _, cm := range paginate(c, list) {
		rc := c.commit(r, cm.SHA)
		reason := "unsigned"
		if cm.Verified {
			reason = "valid"
		}
		rc.Commit.Verification = &github.SignatureVerification{Verified: ptr(cm.Verified), Reason: ptr(reason)}
		out = append(out, rc)
	}
	c.json(http.StatusOK, out)
}

// getCommit answers the commit a SHA, a branch or a tag names (GET
// /repos/{owner}/{repo}/commits/{ref}); 422 when it names none, as GitHub
// answers.
func getCommit(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	ref := c.params["ref"]
	sha := r.resolve(ref)
	if _, ok := r.commits[sha]; !ok {
		c.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+ref)
		return
	}
	rc := c.commit(r, sha)
	for _, f := range r.commits[sha].Files {
		cf := &github.CommitFile{Filename: ptr(f), Status: ptr("modified")}
		if p := r.commits[sha].Patches[f]; p != "" {
			cf.Patch = ptr(p)
		}
		rc.Files = append(rc.Files, cf)
	}
	c.json(http.StatusOK, rc)
}
