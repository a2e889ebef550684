package fakegithub

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v62/github"
)

// This file is the Git Data API's write side: blobs, trees, commits and
// ref updates, as a client commits files without a clone. Trees are kept
// whole (path → content), which is all a test needs to read back.

// treeOf returns the tree SHA of a commit, making it from the files set at
// the commit (or at a ref that resolves to it) the first time.
func (r *repoState) treeOf(sha string) string {
	if t, ok := r.commitTrees[sha]; ok {
		return t
	}
	files := map[string]string{}
	for _, ref := range sortedRefs(r.files) {
		if ref == sha || r.resolve(ref) == sha {
			maps.Copy(files, r.files[ref])
		}
	}
	t := treeSHA(r.FullName, files)
	r.trees[t], r.commitTrees[sha] = files, t
	return t
}

// treeSHA names a tree by its content.
func treeSHA(repo string, files map[string]string) string {
	parts := []string{repo, "tree"}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		parts = append(parts, p, files[p])
	}
	return madeUpSHA(parts...)
}

// getGitCommit answers a commit object with its tree.
func getGitCommit(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	sha := c.params["commit_sha"]
	cm, ok := r.commits[sha]
	if !ok {
		c.notFound()
		return
	}
	out := &github.Commit{
		SHA: ptr(sha), Message: ptr(cm.Message),
		Tree: &github.Tree{SHA: ptr(r.treeOf(sha))},
		URL:  ptr(c.apiURL("repos/%s/git/commits/%s", r.FullName, sha)),
	}
	for _, p := range cm.Parents {
		out.Parents = append(out.Parents, &github.Commit{SHA: ptr(p), URL: ptr(c.apiURL("repos/%s/git/commits/%s", r.FullName, p))})
	}
	c.json(http.StatusOK, out)
}

// createBlob stores a blob, utf-8 or base64.
func createBlob(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Content  *string `json:"content"`
		Encoding string  `json:"encoding"`
	}
	if !c.decode(&in) {
		return
	}
	if in.Content == nil {
		c.invalid("Blob", "content", "missing_field", "content is required")
		return
	}
	content := *in.Content
	switch in.Encoding {
	case "", "utf-8":
	case "base64":
		b, err := base64.StdEncoding.DecodeString(content)
		if err != nil {
			c.fail(http.StatusUnprocessableEntity, "content is not valid Base64")
			return
		}
		content = string(b)
	default:
		c.invalid("Blob", "encoding", "invalid", "encoding must be utf-8 or base64")
		return
	}
	sha := blobSHA(content)
	r.blobs[sha] = content
	c.json(http.StatusCreated, map[string]string{"sha": sha, "url": c.apiURL("repos/%s/git/blobs/%s", r.FullName, sha)})
}

// treeEntry is one entry of a tree to create: a blob SHA, inline content,
// or a null SHA that deletes the path from the base tree.
type treeEntry struct {
	Path    string  `json:"path"`
	Mode    string  `json:"mode"`
	Type    string  `json:"type"`
	SHA     *string `json:"sha"`
	Content *string `json:"content"`
}

// createTree applies entries to base_tree (or to nothing).
func createTree(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		BaseTree string      `json:"base_tree"`
		Tree     []treeEntry `json:"tree"`
	}
	if !c.decode(&in) {
		return
	}
	files := map[string]string{}
	if in.BaseTree != "" {
		base, ok := r.trees[in.BaseTree]
		if !ok {
			c.fail(http.StatusUnprocessableEntity, "base_tree is not a valid tree oid")
			return
		}
		maps.Copy(files, base)
	}
	for _, e := range in.Tree {
		if msg := applyEntry(r, files, e); msg != "" {
			c.fail(http.StatusUnprocessableEntity, msg)
			return
		}
	}
	sha := treeSHA(r.FullName, files)
	r.trees[sha] = files
	c.json(http.StatusCreated, &github.Tree{SHA: ptr(sha)})
}

// applyEntry changes files by one entry, or says why GitHub would refuse
// it.
func applyEntry(r *repoState, files map[string]string, e treeEntry) string {
	switch {
	case e.Path == "" || strings.HasPrefix(e.Path, "/") || strings.HasSuffix(e.Path, "/"):
		return fmt.Sprintf("tree.path %q is invalid", e.Path)
	case e.Type != "blob" || !slices.Contains([]string{"100644", "100755"}, e.Mode):
		return fmt.Sprintf("tree entry %s: the fake takes files only (type blob, mode 100644 or 100755)", e.Path)
	case e.Content != nil:
		files[e.Path] = *e.Content
	case e.SHA == nil:
		if _, ok := files[e.Path]; !ok {
			return fmt.Sprintf("tree entry %s: nothing to delete at that path", e.Path)
		}
		delete(files, e.Path)
	default:
		content, ok := r.blobs[*e.SHA]
		if !ok {
			return fmt.Sprintf("tree.sha %s is not a valid blob", *e.SHA)
		}
		files[e.Path] = content
	}
	return ""
}

// createGitCommit makes a commit of a tree on its parents.
func createGitCommit(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Message string   `json:"message"`
		Tree    string   `json:"tree"`
		Parents []string `json:"parents"`
	}
	if !c.decode(&in) {
		return
	}
	files, ok := r.trees[in.Tree]
	if !ok || in.Message == "" {
		c.fail(http.StatusUnprocessableEntity, "a commit needs a message and a valid tree")
		return
	}
	for _, p := range in.Parents {
		if _, ok := r.commits[p]; !ok {
			c.fail(http.StatusUnprocessableEntity, "parent "+p+" is not a commit")
			return
		}
	}
	sha := c.s.addCommit(r, Commit{Message: in.Message, Parents: in.Parents})
	r.commitTrees[sha] = in.Tree
	r.files[sha] = maps.Clone(files)
	var before map[string]string
	if len(in.Parents) > 0 {
		before = r.trees[r.treeOf(in.Parents[0])]
	}
	c.s.effects.commitsCreated = append(c.s.effects.commitsCreated, fmt.Sprintf("%s@%s:%s%s", r.FullName, sha, in.Message, treeDiff(before, files)))
	c.json(http.StatusCreated, &github.Commit{SHA: ptr(sha), Message: ptr(in.Message), Tree: &github.Tree{SHA: ptr(in.Tree)}})
}

// treeDiff writes " +path" for each path added or changed and " -path"
// for each removed, sorted.
func treeDiff(before, after map[string]string) string {
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(after)) {
		if old, ok := before[p]; !ok || old != after[p] {
			b.WriteString(" +" + p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[p]; !ok {
			b.WriteString(" -" + p)
		}
	}
	return b.String()
}

// updateRef moves a ref; without force only forward, to a commit that has
// the old one in its history.
func updateRef(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	ref := "refs/" + strings.TrimPrefix(c.params["ref"], "refs/")
	var in struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !c.decode(&in) {
		return
	}
	old, ok := r.refs[ref]
	switch {
	case !ok:
		c.fail(http.StatusUnprocessableEntity, "Reference does not exist")
		return
	case r.commits[in.SHA] == nil:
		c.fail(http.StatusUnprocessableEntity, "Object does not exist")
		return
	case !in.Force && !r.descends(in.SHA, old):
		c.fail(http.StatusUnprocessableEntity, "Update is not a fast forward")
		return
	}
	// Files set at the branch's name described its old commit: keep them
	// there, so that reads by name see the new commit.
	if name, isBranch := strings.CutPrefix(ref, "refs/heads/"); isBranch {
		for _, key := range []string{name, ref} {
			if files, ok := r.files[key]; ok {
				if r.files[old] == nil {
					r.files[old] = map[string]string{}
				}
				for p, content := range files {
					if _, set := r.files[old][p]; !set {
						r.files[old][p] = content
					}
				}
				delete(r.files, key)
			}
		}
	}
	r.refs[ref] = in.SHA
	c.s.effects.refsUpdated = append(c.s.effects.refsUpdated, fmt.Sprintf("%s:%s@%s", r.FullName, ref, in.SHA))
	c.json(http.StatusOK, c.reference(r, ref, in.SHA))
}

// descends reports whether ancestor is sha or in its history.
func (r *repoState) descends(sha, ancestor string) bool {
	seen := map[string]bool{}
	for queue := []string{sha}; len(queue) > 0; queue = queue[1:] {
		s := queue[0]
		if s == ancestor {
			return true
		}
		if seen[s] || r.commits[s] == nil {
			continue
		}
		seen[s] = true
		queue = append(queue, r.commits[s].Parents...)
	}
	return false
}
