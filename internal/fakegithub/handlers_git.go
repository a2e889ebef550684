package fakegithub

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

func (c *call) reference(r *repoState, ref, sha string) *github.Reference {
	kind := "commit"
	if r.tagObjects[sha] != nil {
		kind = "tag"
	}
	return &github.Reference{
		Ref:    ptr(ref),
		NodeID: ptr("REF_" + madeUpSHA(r.FullName, ref)[:12]),
		URL:    ptr(c.apiURL("repos/%s/git/%s", r.FullName, ref)),
		Object: &github.GitObject{Type: ptr(kind), SHA: ptr(sha), URL: ptr(c.apiURL("repos/%s/git/%ss/%s", r.FullName, kind, sha))},
	}
}

// getRef answers one ref, "tags/v1.2.0" or "heads/main".
func getRef(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	ref := "refs/" + strings.TrimPrefix(c.params["ref"], "refs/")
	sha, ok := r.refs[ref]
	if !ok {
		c.notFound()
		return
	}
	c.json(http.StatusOK, c.reference(r, ref, sha))
}

// listMatchingRefs answers the refs starting with the prefix, sorted.
func listMatchingRefs(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	prefix := "refs/" + strings.TrimPrefix(c.params["ref"], "refs/")
	var refs []string
	for ref := range r.refs {
		if strings.HasPrefix(ref, prefix) {
			refs = append(refs, ref)
		}
	}
	sort.Strings(refs)
	out := make([]*github.Reference, 0, len(refs))
	for _, ref := range paginate(c, refs) {
		out = append(out, c.reference(r, ref, r.refs[ref]))
	}
	c.json(http.StatusOK, out)
}

// createRef creates a ref; GitHub wants "refs/…" with two slashes and
// refuses one that exists.
func createRef(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !c.decode(&in) {
		return
	}
	if !strings.HasPrefix(in.Ref, "refs/") || strings.Count(in.Ref, "/") < 2 || in.SHA == "" {
		c.fail(http.StatusUnprocessableEntity, "Reference name must start with 'refs/' and have at least two slashes.")
		return
	}
	if _, exists := r.refs[in.Ref]; exists {
		c.fail(http.StatusUnprocessableEntity, "Reference already exists")
		return
	}
	r.refs[in.Ref] = in.SHA
	c.s.effects.refsCreated = append(c.s.effects.refsCreated, fmt.Sprintf("%s:%s@%s", r.FullName, in.Ref, in.SHA))
	c.json(http.StatusCreated, c.reference(r, in.Ref, in.SHA))
}

// createTagObject creates an annotated tag object (not its ref).
func createTagObject(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Tag     string `json:"tag"`
		Message string `json:"message"`
		Object  string `json:"object"`
		Type    string `json:"type"`
		Tagger  *struct {
			Name  string    `json:"name"`
			Email string    `json:"email"`
			Date  time.Time `json:"date"`
		} `json:"tagger"`
	}
	if !c.decode(&in) {
		return
	}
	if in.Tag == "" || in.Object == "" || in.Type == "" {
		c.invalid("Tag", "tag", "missing_field", "tag, object and type are required")
		return
	}
	t := &tagObject{tag: in.Tag, message: in.Message, object: in.Object, objectType: in.Type}
	if in.Tagger != nil {
		t.tagger = taggerInfo{name: in.Tagger.Name, email: in.Tagger.Email, date: in.Tagger.Date}
	}
	if t.tagger.date.IsZero() {
		t.tagger.date = c.s.clock()
	}
	t.sha = madeUpSHA(r.FullName, "tag", in.Tag, in.Object, in.Message)
	r.tagObjects[t.sha] = t
	c.s.effects.tagsCreated = append(c.s.effects.tagsCreated, fmt.Sprintf("%s:%s@%s", r.FullName, in.Tag, in.Object))
	c.json(http.StatusCreated, &github.Tag{
		Tag: ptr(t.tag), SHA: ptr(t.sha), Message: ptr(t.message), NodeID: ptr("TAG_" + t.sha[:12]),
		URL:    ptr(c.apiURL("repos/%s/git/tags/%s", r.FullName, t.sha)),
		Tagger: &github.CommitAuthor{Name: optional(t.tagger.name), Email: optional(t.tagger.email), Date: stamp(t.tagger.date)},
		Object: &github.GitObject{Type: ptr(t.objectType), SHA: ptr(t.object), URL: ptr(c.apiURL("repos/%s/git/commits/%s", r.FullName, t.object))},
	})
}

// listTags answers the tags, newest name first (GitHub sorts by name,
// descending).
func listTags(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var names []string
	for ref := range r.refs {
		if name, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
			names = append(names, name)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	out := make([]*github.RepositoryTag, 0, len(names))
	for _, name := range paginate(c, names) {
		sha := r.resolve("refs/tags/" + name)
		out = append(out, &github.RepositoryTag{
			Name:   ptr(name),
			Commit: &github.Commit{SHA: ptr(sha), URL: ptr(c.apiURL("repos/%s/commits/%s", r.FullName, sha))},
		})
	}
	c.json(http.StatusOK, out)
}

func (c *call) release(r *repoState, rel *Release) *github.RepositoryRelease {
	out := &github.RepositoryRelease{
		ID:              ptr(rel.ID),
		NodeID:          ptr(fmt.Sprintf("RE_%d", rel.ID)),
		TagName:         ptr(rel.TagName),
		TargetCommitish: ptr(rel.TargetCommitish),
		Name:            optional(rel.Name),
		Body:            optional(rel.Body),
		Draft:           ptr(rel.Draft),
		Prerelease:      ptr(rel.Prerelease),
		Author:          c.user(rel.Author),
		CreatedAt:       stamp(rel.CreatedAt),
		URL:             ptr(c.apiURL("repos/%s/releases/%d", r.FullName, rel.ID)),
		HTMLURL:         ptr(fmt.Sprintf("%s/%s/releases/tag/%s", c.s.srv.URL, r.FullName, rel.TagName)),
		UploadURL:       ptr(c.apiURL("repos/%s/releases/%d/assets{?name,label}", r.FullName, rel.ID)),
	}
	if !rel.Draft {
		out.PublishedAt = stamp(rel.CreatedAt)
	}
	return out
}

func listReleases(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	list := make([]*Release, 0, len(r.releases))
	for i := len(r.releases) - 1; i >= 0; i-- {
		list = append(list, r.releases[i])
	}
	out := make([]*github.RepositoryRelease, 0, len(list))
	for _, rel := range paginate(c, list) {
		out = append(out, c.release(r, rel))
	}
	c.json(http.StatusOK, out)
}

// getLatestRelease answers the newest release that is neither a draft nor
// a prerelease, unless one was made latest explicitly.
func getLatestRelease(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var latest *Release
	for _, rel := range r.releases {
		if rel.Draft || rel.Prerelease || rel.MakeLatest == "false" {
			continue
		}
		if latest == nil || rel.MakeLatest == "true" || latest.MakeLatest != "true" {
			latest = rel
		}
	}
	if latest == nil {
		c.notFound()
		return
	}
	c.json(http.StatusOK, c.release(r, latest))
}

func getReleaseByTag(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	for _, rel := range r.releases {
		if rel.TagName == c.params["tag"] && !rel.Draft {
			c.json(http.StatusOK, c.release(r, rel))
			return
		}
	}
	c.notFound()
}

type releaseInput struct {
	TagName         *string `json:"tag_name"`
	TargetCommitish *string `json:"target_commitish"`
	Name            *string `json:"name"`
	Body            *string `json:"body"`
	Draft           *bool   `json:"draft"`
	Prerelease      *bool   `json:"prerelease"`
	MakeLatest      *string `json:"make_latest"`
}

func (in *releaseInput) apply(rel *Release) {
	for _, f := range []struct {
		dst *string
		src *string
	}{{&rel.TagName, in.TagName}, {&rel.TargetCommitish, in.TargetCommitish}, {&rel.Name, in.Name}, {&rel.Body, in.Body}, {&rel.MakeLatest, in.MakeLatest}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if in.Draft != nil {
		rel.Draft = *in.Draft
	}
	if in.Prerelease != nil {
		rel.Prerelease = *in.Prerelease
	}
}

// createRelease creates a release; a published release of a tag that does
// not exist creates the tag at target_commitish (default: the default
// branch), as GitHub does. A second release of a tag is refused.
func createRelease(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in releaseInput
	if !c.decode(&in) {
		return
	}
	if in.TagName == nil || *in.TagName == "" {
		c.invalid("Release", "tag_name", "missing_field", "tag_name is missing")
		return
	}
	for _, rel := range r.releases {
		if rel.TagName == *in.TagName {
			c.invalid("Release", "tag_name", "already_exists", "")
			return
		}
	}
	rel := &Release{ID: c.s.st.id(), Repo: r.FullName, TargetCommitish: r.DefaultBranch, Author: c.s.bot, CreatedAt: c.s.clock()}
	in.apply(rel)
	tagRef := "refs/tags/" + rel.TagName
	if _, exists := r.refs[tagRef]; !exists && !rel.Draft {
		sha := r.resolve(rel.TargetCommitish)
		if sha == "" {
			c.invalid("Release", "target_commitish", "invalid", "")
			return
		}
		r.refs[tagRef] = sha
		c.s.effects.refsCreated = append(c.s.effects.refsCreated, fmt.Sprintf("%s:%s@%s", r.FullName, tagRef, sha))
	}
	r.releases = append(r.releases, rel)
	c.json(http.StatusCreated, c.release(r, rel))
}

func updateRelease(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	id, ok := c.number("release_id")
	if !ok {
		return
	}
	for _, rel := range r.releases {
		if rel.ID == id {
			var in releaseInput
			if !c.decode(&in) {
				return
			}
			in.apply(rel)
			c.json(http.StatusOK, c.release(r, rel))
			return
		}
	}
	c.notFound()
}

// compareCommits compares two refs through the history set up with
// AddCommit, SetPRCommits and SetBranch: commits reachable from head and
// not from base, oldest first.
func compareCommits(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	base, head, ok := strings.Cut(c.params["basehead"], "...")
	if !ok {
		base, head, ok = strings.Cut(c.params["basehead"], "..")
	}
	if !ok {
		c.notFound()
		return
	}
	strip := func(ref string) string { // "owner:branch" names a fork's branch
		if _, after, found := strings.Cut(ref, ":"); found {
			return after
		}
		return ref
	}
	baseSHA, headSHA := r.resolve(strip(base)), r.resolve(strip(head))
	if baseSHA == "" || headSHA == "" {
		c.notFound()
		return
	}
	fromBase, fromHead := r.ancestors(baseSHA), r.ancestors(headSHA)
	ahead := r.topological(headSHA, func(sha string) bool { return !fromBase[sha] })
	behind := 0
	for sha := range fromBase {
		if !fromHead[sha] {
			behind++
		}
	}
	status := "identical"
	switch {
	case len(ahead) > 0 && behind > 0:
		status = "diverged"
	case len(ahead) > 0:
		status = "ahead"
	case behind > 0:
		status = "behind"
	}
	mergeBase := ""
	for _, sha := range r.topological(baseSHA, func(string) bool { return true }) {
		if fromHead[sha] {
			mergeBase = sha // parents come first, so the last common one has no common descendant
		}
	}
	commits := make([]*github.RepositoryCommit, 0, len(ahead))
	for _, sha := range paginate(c, ahead) {
		commits = append(commits, c.commit(r, sha))
	}
	out := &github.CommitsComparison{
		Status:       ptr(status),
		AheadBy:      ptr(len(ahead)),
		BehindBy:     ptr(behind),
		TotalCommits: ptr(len(ahead)),
		Commits:      commits,
		BaseCommit:   c.commit(r, baseSHA),
		URL:          ptr(c.apiURL("repos/%s/compare/%s", r.FullName, c.params["basehead"])),
		HTMLURL:      ptr(fmt.Sprintf("%s/%s/compare/%s", c.s.srv.URL, r.FullName, c.params["basehead"])),
	}
	if mergeBase != "" {
		out.MergeBaseCommit = c.commit(r, mergeBase)
	}
	c.json(http.StatusOK, out)
}

// ancestors returns sha and every commit reachable from it.
func (r *repoState) ancestors(sha string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] {
			continue
		}
		seen[s] = true
		if cm := r.commits[s]; cm != nil {
			stack = append(stack, cm.Parents...)
		}
	}
	return seen
}

// topological lists the commits reachable from sha that keep says to,
// parents before children; it does not walk past a commit keep refuses.
func (r *repoState) topological(sha string, keep func(string) bool) []string {
	var out []string
	done := map[string]bool{}
	var visit func(string)
	visit = func(s string) {
		if done[s] || !keep(s) {
			return
		}
		done[s] = true
		if cm := r.commits[s]; cm != nil {
			for _, p := range cm.Parents {
				visit(p)
			}
		}
		out = append(out, s)
	}
	visit(sha)
	return out
}
