package fakegithub

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-github/v62/github"
)

// issue returns the issue or pull request named by issue_number or
// pull_number, answering 404 when there is none (or when a pull request
// is asked for and it is an issue).
func (c *call) issue(r *repoState, param string, wantPR bool) *issueState {
	n, ok := c.number(param)
	if !ok {
		return nil
	}
	is := r.issues[int(n)]
	if is == nil || (wantPR && is.isIssue) {
		c.notFound()
		return nil
	}
	return is
}

func (c *call) labels(r *repoState, names []string) []*github.Label {
	out := make([]*github.Label, 0, len(names))
	for _, name := range names {
		id := int64(userID(r.FullName + "\x00" + name))
		out = append(out, &github.Label{
			ID: ptr(id), NodeID: ptr(fmt.Sprintf("LA_%d", id)), Name: ptr(name), Color: ptr("ededed"),
			Default: ptr(false), URL: ptr(c.apiURL("repos/%s/labels/%s", r.FullName, name)),
		})
	}
	return out
}

func (c *call) pull(r *repoState, is *issueState) *github.PullRequest {
	headRepo := r
	if is.HeadRepo != "" {
		if fork := c.s.st.repos[repoKey(is.HeadRepo)]; fork != nil {
			headRepo = fork
		}
	}
	var additions, deletions int
	for _, f := range is.files {
		additions += f.Additions
		deletions += f.Deletions
	}
	id := r.ID*100000 + int64(is.Number)
	pr := &github.PullRequest{
		ID:                ptr(id),
		NodeID:            ptr(fmt.Sprintf("PR_%d", id)),
		Number:            ptr(is.Number),
		State:             ptr(is.State),
		Locked:            ptr(false),
		Title:             ptr(is.Title),
		Body:              optional(is.Body),
		User:              c.user(is.Author),
		Labels:            c.labels(r, is.Labels),
		Draft:             ptr(is.Draft),
		Merged:            ptr(is.Merged),
		MergeCommitSHA:    optional(is.MergeCommitSHA),
		MergedBy:          c.user(is.MergedBy),
		CreatedAt:         stamp(is.CreatedAt),
		UpdatedAt:         stamp(is.UpdatedAt),
		ClosedAt:          stamp(is.ClosedAt),
		MergedAt:          stamp(is.MergedAt),
		Commits:           ptr(len(is.commits)),
		ChangedFiles:      ptr(len(is.files)),
		Additions:         ptr(additions),
		Deletions:         ptr(deletions),
		AuthorAssociation: ptr(r.association(is.Author, is.AuthorAssociation)),
		URL:               ptr(c.apiURL("repos/%s/pulls/%d", r.FullName, is.Number)),
		HTMLURL:           ptr(fmt.Sprintf("%s/%s/pull/%d", c.s.srv.URL, r.FullName, is.Number)),
		IssueURL:          ptr(c.apiURL("repos/%s/issues/%d", r.FullName, is.Number)),
		Head: &github.PullRequestBranch{
			Label: ptr(headRepo.owner + ":" + is.Head), Ref: ptr(is.Head), SHA: ptr(is.HeadSHA),
			Repo: c.repository(headRepo), User: c.user(headRepo.owner),
		},
		Base: &github.PullRequestBranch{
			Label: ptr(r.owner + ":" + is.Base), Ref: ptr(is.Base), SHA: ptr(is.BaseSHA),
			Repo: c.repository(r), User: c.user(r.owner),
		},
	}
	return pr
}

func getPull(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if is := c.issue(r, "pull_number", true); is != nil {
		c.json(http.StatusOK, c.pull(r, is))
	}
}

// listPulls filters by state (default open), base and head ("owner:branch"),
// sorted by creation, newest first unless direction=asc.
func listPulls(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	state := c.query.Get("state")
	if state == "" {
		state = "open"
	}
	var list []*issueState
	for _, is := range r.issues {
		if is.isIssue || (state != "all" && is.State != state) {
			continue
		}
		if b := c.query.Get("base"); b != "" && b != is.Base {
			continue
		}
		if h := c.query.Get("head"); h != "" {
			owner, branch, ok := strings.Cut(h, ":")
			headOwner := r.owner
			if is.HeadRepo != "" {
				headOwner, _, _ = strings.Cut(is.HeadRepo, "/")
			}
			if !ok || !strings.EqualFold(owner, headOwner) || branch != is.Head {
				continue
			}
		}
		list = append(list, is)
	}
	asc := c.query.Get("direction") == "asc"
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt) == asc
		}
		return (a.Number < b.Number) == asc
	})
	out := make([]*github.PullRequest, 0, len(list))
	for _, is := range paginate(c, list) {
		out = append(out, c.pull(r, is))
	}
	c.json(http.StatusOK, out)
}

func listReviews(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r, "pull_number", true)
	if is == nil {
		return
	}
	out := make([]*github.PullRequestReview, 0, len(is.reviews))
	for _, rv := range paginate(c, is.reviews) {
		out = append(out, c.review(r, is, rv))
	}
	c.json(http.StatusOK, out)
}

func (c *call) review(r *repoState, is *issueState, rv *Review) *github.PullRequestReview {
	return &github.PullRequestReview{
		ID:                ptr(rv.ID),
		NodeID:            ptr(fmt.Sprintf("PRR_%d", rv.ID)),
		User:              c.user(rv.Author),
		Body:              ptr(rv.Body),
		State:             ptr(rv.State),
		CommitID:          ptr(rv.CommitID),
		SubmittedAt:       stamp(rv.SubmittedAt),
		AuthorAssociation: ptr(r.association(rv.Author, "")),
		HTMLURL:           ptr(fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", c.s.srv.URL, r.FullName, is.Number, rv.ID)),
		PullRequestURL:    ptr(c.apiURL("repos/%s/pulls/%d", r.FullName, is.Number)),
	}
}

func listPullFiles(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r, "pull_number", true)
	if is == nil {
		return
	}
	// GitHub lists at most 3000 files of a pull request, whatever its
	// changed_files says.
	files := is.files[:min(len(is.files), maxListedFiles)]
	out := make([]*github.CommitFile, 0, len(files))
	for _, f := range paginate(c, files) {
		status := f.Status
		if status == "" {
			status = "modified"
		}
		out = append(out, &github.CommitFile{
			SHA:              ptr(cmp.Or(f.SHA, madeUpSHA(r.FullName, is.HeadSHA, f.Filename))),
			Filename:         ptr(f.Filename),
			Status:           ptr(status),
			Additions:        ptr(f.Additions),
			Deletions:        ptr(f.Deletions),
			Changes:          ptr(f.Additions + f.Deletions),
			Patch:            optional(f.Patch),
			PreviousFilename: optional(f.PreviousFilename),
		})
	}
	c.json(http.StatusOK, out)
}

func (c *call) commit(r *repoState, sha string) *github.RepositoryCommit {
	cm := r.commits[sha]
	if cm == nil {
		cm = &Commit{SHA: sha}
	}
	author := &github.CommitAuthor{Name: optional(cm.AuthorName), Email: optional(cm.AuthorEmail), Date: stamp(cm.Date)}
	rc := &github.RepositoryCommit{
		SHA:    ptr(sha),
		NodeID: ptr("C_" + sha),
		Commit: &github.Commit{
			Message: ptr(cm.Message), Author: author, Committer: author,
			URL: ptr(c.apiURL("repos/%s/git/commits/%s", r.FullName, sha)),
		},
		Author:    c.user(cm.Author),
		Committer: c.user(cmp.Or(cm.Committer, cm.Author)),
		URL:       ptr(c.apiURL("repos/%s/commits/%s", r.FullName, sha)),
		HTMLURL:   ptr(fmt.Sprintf("%s/%s/commit/%s", c.s.srv.URL, r.FullName, sha)),
	}
	for _, p := range cm.Parents {
		rc.Parents = append(rc.Parents, &github.Commit{SHA: ptr(p), URL: ptr(c.apiURL("repos/%s/commits/%s", r.FullName, p))})
	}
	return rc
}

// GitHub's caps on the lists of one pull request.
const (
	maxListedFiles   = 3000
	maxListedCommits = 250
)

// listIssueEvents lists an issue's labeled and unlabeled events (the
// events the fake keeps).
func listIssueEvents(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r, "issue_number", false)
	if is == nil {
		return
	}
	out := make([]*github.IssueEvent, 0, len(is.labelEvents))
	for _, e := range paginate(c, is.labelEvents) {
		event := "unlabeled"
		if e.Added {
			event = "labeled"
		}
		out = append(out, &github.IssueEvent{
			ID: ptr(e.ID), Event: ptr(event), Actor: c.user(e.Actor),
			Label: &github.Label{Name: ptr(e.Label), Color: ptr("ededed")}, CreatedAt: stamp(e.CreatedAt),
			URL: ptr(c.apiURL("repos/%s/issues/events/%d", r.FullName, e.ID)),
		})
	}
	c.json(http.StatusOK, out)
}

func listPullCommits(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r, "pull_number", true)
	if is == nil {
		return
	}
	// GitHub lists at most 250 commits of a pull request.
	commits := is.commits[:min(len(is.commits), maxListedCommits)]
	out := make([]*github.RepositoryCommit, 0, len(commits))
	for _, sha := range paginate(c, commits) {
		out = append(out, c.commit(r, sha))
	}
	c.json(http.StatusOK, out)
}

// listPullsWithCommit answers the pull requests whose head is the commit,
// that contain it, or that were merged as it.
func listPullsWithCommit(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	sha := r.resolve(c.params["commit_sha"])
	if sha == "" {
		sha = c.params["commit_sha"]
	}
	var list []*issueState
	for _, is := range r.issues {
		if !is.isIssue && (is.HeadSHA == sha || is.MergeCommitSHA == sha || slices.Contains(is.commits, sha)) {
			list = append(list, is)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Number > list[j].Number })
	out := make([]*github.PullRequest, 0, len(list))
	for _, is := range paginate(c, list) {
		out = append(out, c.pull(r, is))
	}
	c.json(http.StatusOK, out)
}

func getIssue(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if is := c.issue(r, "issue_number", false); is != nil {
		c.json(http.StatusOK, c.issueObject(r, is))
	}
}

func (c *call) issueObject(r *repoState, is *issueState) *github.Issue {
	out := &github.Issue{
		ID:                ptr(r.ID*100000 + int64(is.Number)),
		NodeID:            ptr(fmt.Sprintf("I_%d", r.ID*100000+int64(is.Number))),
		Number:            ptr(is.Number),
		State:             ptr(is.State),
		Title:             ptr(is.Title),
		Body:              optional(is.Body),
		User:              c.user(is.Author),
		Labels:            c.labels(r, is.Labels),
		CreatedAt:         stamp(is.CreatedAt),
		UpdatedAt:         stamp(is.UpdatedAt),
		ClosedAt:          stamp(is.ClosedAt),
		AuthorAssociation: ptr(r.association(is.Author, is.AuthorAssociation)),
		URL:               ptr(c.apiURL("repos/%s/issues/%d", r.FullName, is.Number)),
		HTMLURL:           ptr(fmt.Sprintf("%s/%s/issues/%d", c.s.srv.URL, r.FullName, is.Number)),
	}
	if !is.isIssue {
		out.PullRequestLinks = &github.PullRequestLinks{URL: ptr(c.apiURL("repos/%s/pulls/%d", r.FullName, is.Number))}
	}
	return out
}

func (c *call) comment(r *repoState, cs *commentState) *github.IssueComment {
	counts := map[string]int{}
	for _, rc := range cs.reactions {
		counts[rc.content]++
	}
	return &github.IssueComment{
		ID:                ptr(cs.ID),
		NodeID:            ptr(fmt.Sprintf("IC_%d", cs.ID)),
		Body:              ptr(cs.Body),
		User:              c.user(cs.Author),
		CreatedAt:         stamp(cs.CreatedAt),
		UpdatedAt:         stamp(cs.UpdatedAt),
		AuthorAssociation: ptr(r.association(cs.Author, cs.AuthorAssociation)),
		URL:               ptr(c.apiURL("repos/%s/issues/comments/%d", r.FullName, cs.ID)),
		HTMLURL:           ptr(fmt.Sprintf("%s/%s/issues/%d#issuecomment-%d", c.s.srv.URL, r.FullName, cs.number, cs.ID)),
		IssueURL:          ptr(c.apiURL("repos/%s/issues/%d", r.FullName, cs.number)),
		Reactions: &github.Reactions{
			TotalCount: ptr(len(cs.reactions)), PlusOne: ptr(counts["+1"]), MinusOne: ptr(counts["-1"]),
			Laugh: ptr(counts["laugh"]), Confused: ptr(counts["confused"]), Heart: ptr(counts["heart"]),
			Hooray: ptr(counts["hooray"]), Rocket: ptr(counts["rocket"]), Eyes: ptr(counts["eyes"]),
		},
	}
}

func listComments(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r, "issue_number", false)
	if is == nil {
		return
	}
	var list []*commentState
	for _, cs := range r.comments {
		if cs.number == is.Number {
			list = append(list, cs)
		}
	}
	out := make([]*github.IssueComment, 0, len(list))
	for _, cs := range paginate(c, list) {
		out = append(out, c.comment(r, cs))
	}
	c.json(http.StatusOK, out)
}

func createComment(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r, "issue_number", false)
	if is == nil {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if !c.decode(&in) {
		return
	}
	if in.Body == nil {
		c.invalid("IssueComment", "body", "missing_field", "body is missing")
		return
	}
	now := c.s.clock()
	cs := &commentState{Comment: Comment{ID: c.s.st.id(), Author: c.s.bot, Body: *in.Body, CreatedAt: now, UpdatedAt: now}, number: is.Number}
	r.comments = append(r.comments, cs)
	c.s.effects.commentsCreated = append(c.s.effects.commentsCreated, fmt.Sprintf("%s#%d:%s", r.FullName, is.Number, cs.Body))
	c.json(http.StatusCreated, c.comment(r, cs))
}

func (c *call) findComment(r *repoState) *commentState {
	return findByID(c, "comment_id", r.comments, func(x *commentState) int64 { return x.ID })
}

func editComment(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	cs := c.findComment(r)
	if cs == nil {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if !c.decode(&in) {
		return
	}
	if in.Body == nil {
		c.invalid("IssueComment", "body", "missing_field", "body is missing")
		return
	}
	cs.Body, cs.UpdatedAt = *in.Body, c.s.clock()
	c.s.effects.commentsEdited = append(c.s.effects.commentsEdited, fmt.Sprintf("%s#%d:%s", r.FullName, cs.number, cs.Body))
	c.json(http.StatusOK, c.comment(r, cs))
}

func validReaction(content string) bool {
	switch content {
	case "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes":
		return true
	}
	return false
}

// createReaction answers 201 for a new reaction and 200 with the existing
// one when the same user already reacted so.
func createReaction(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	cs := c.findComment(r)
	if cs == nil {
		return
	}
	var in struct {
		Content string `json:"content"`
	}
	if !c.decode(&in) {
		return
	}
	if !validReaction(in.Content) {
		c.invalid("Reaction", "content", "invalid", "content is not a valid reaction")
		return
	}
	answer := func(status int, rc reaction) {
		c.json(status, &github.Reaction{ID: ptr(rc.id), NodeID: ptr(fmt.Sprintf("REA_%d", rc.id)), User: c.user(rc.user), Content: ptr(rc.content)})
	}
	for _, rc := range cs.reactions {
		if rc.user == c.s.bot && rc.content == in.Content {
			answer(http.StatusOK, rc)
			return
		}
	}
	rc := reaction{id: c.s.st.id(), user: c.s.bot, content: in.Content}
	cs.reactions = append(cs.reactions, rc)
	c.s.effects.reactions = append(c.s.effects.reactions, fmt.Sprintf("%s#%d:comment-%d:%s", r.FullName, cs.number, cs.ID, in.Content))
	answer(http.StatusCreated, rc)
}

// addLabels takes the documented {"labels": [...]} object, its
// [{"name": …}] variant, and the bare array go-github sends.
func addLabels(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r, "issue_number", false)
	if is == nil {
		return
	}
	names, ok := labelNames(c.body)
	if !ok {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	for _, name := range names {
		if !slices.Contains(is.Labels, name) {
			c.s.labelEvent(is, name, c.s.bot, true)
			c.s.effects.labelsAdded = append(c.s.effects.labelsAdded, fmt.Sprintf("%s#%d:%s", r.FullName, is.Number, name))
		}
	}
	c.json(http.StatusOK, c.labels(r, is.Labels))
}

func removeLabel(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r, "issue_number", false)
	if is == nil {
		return
	}
	name := c.params["name"]
	i := slices.Index(is.Labels, name)
	if i < 0 {
		c.fail(http.StatusNotFound, "Label does not exist")
		return
	}
	c.s.labelEvent(is, name, c.s.bot, false)
	c.s.effects.labelsRemoved = append(c.s.effects.labelsRemoved, fmt.Sprintf("%s#%d:%s", r.FullName, is.Number, name))
	c.json(http.StatusOK, c.labels(r, is.Labels))
}

// labelNames reads the label names of an "add labels" body: a bare array
// of names, {"labels": [...]}, with names or {"name": …} objects.
func labelNames(body []byte) ([]string, bool) {
	type named struct {
		Name string `json:"name"`
	}
	var list []json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil {
		var obj struct {
			Labels []json.RawMessage `json:"labels"`
		}
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, false
		}
		list = obj.Labels
	}
	var names []string
	for _, raw := range list {
		var name string
		if err := json.Unmarshal(raw, &name); err == nil {
			names = append(names, name)
			continue
		}
		var n named
		if err := json.Unmarshal(raw, &n); err != nil || n.Name == "" {
			return nil, false
		}
		names = append(names, n.Name)
	}
	return names, true
}
