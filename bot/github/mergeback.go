package github

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

var _ gate.MergeBacker = (*Session)(nil)

// OpenMergeBack implements gate.MergeBacker through the Git data API, as a
// cherry-pick of the hotfix's merge commit M onto the target's head H:
// each file M changed against its first parent P is taken from M where H
// still has P's version, skipped where H has M's already, and is a
// conflict where H changed it too (the PR explains it and is assigned to
// the hotfix's author). Calls: GET the PR, the three commits and their
// trees, POST a tree, a commit, the ref and the PR (or GET them when a
// retry finds them made).
func (s *Session) OpenMergeBack(ctx context.Context, r gate.MergeBackRequest) (gate.MergeBackResult, error) {
	pr, _, err := s.gh.PullRequests.Get(ctx, s.owner, s.name, r.Hotfix)
	if err != nil {
		return gate.MergeBackResult{}, s.wrap(err, "reading the hotfix %s#%d", s.repo, r.Hotfix)
	}
	if !pr.GetMerged() || pr.GetMergeCommitSHA() == "" {
		return gate.MergeBackResult{}, fmt.Errorf("the hotfix %s#%d is not merged: nothing to merge back", s.repo, r.Hotfix)
	}
	if existing, err := s.mergeBackPR(ctx, r); err != nil || existing.Number != 0 {
		return existing, err
	}
	merge := pr.GetMergeCommitSHA()
	after, parent, err := s.commitTree(ctx, merge)
	if err != nil {
		return gate.MergeBackResult{}, err
	}
	before, _, err := s.commitTree(ctx, parent)
	if err != nil {
		return gate.MergeBackResult{}, err
	}
	ref, _, err := s.gh.Git.GetRef(ctx, s.owner, s.name, "heads/"+r.Target)
	if err != nil {
		return gate.MergeBackResult{}, s.wrap(err, "reading the branch %s of %s", r.Target, s.repo)
	}
	head := ref.GetObject().GetSHA()
	target, _, err := s.commitTree(ctx, head)
	if err != nil {
		return gate.MergeBackResult{}, err
	}
	entries, conflicts := pick(before.files, after.files, target.files)
	if len(entries) == 0 && len(conflicts) == 0 {
		return gate.MergeBackResult{Present: true}, nil
	}
	return s.proposeMergeBack(ctx, r, pr, head, target.sha, entries, conflicts)
}

// tree is a commit's tree: its SHA and each file's blob SHA by path.
type tree struct {
	sha   string
	files map[string]string
}

// commitTree reads a commit's tree, whole, and its first parent.
func (s *Session) commitTree(ctx context.Context, sha string) (tree, string, error) {
	c, _, err := s.gh.Git.GetCommit(ctx, s.owner, s.name, sha)
	if err != nil {
		return tree{}, "", s.wrap(err, "reading the commit %.7s of %s", sha, s.repo)
	}
	var parent string
	if len(c.Parents) > 0 {
		parent = c.Parents[0].GetSHA()
	}
	t, _, err := s.gh.Git.GetTree(ctx, s.owner, s.name, c.GetTree().GetSHA(), true)
	if err != nil {
		return tree{}, "", s.wrap(err, "reading the tree of %.7s in %s", sha, s.repo)
	}
	if t.GetTruncated() {
		// A partial tree could hide a conflict: fail closed.
		return tree{}, "", fmt.Errorf("the tree of %.7s in %s is too large for the API; merge the hotfix back by hand", sha, s.repo)
	}
	out := tree{sha: c.GetTree().GetSHA(), files: map[string]string{}}
	for _, e := range t.Entries {
		if e.GetType() == "blob" {
			out.files[e.GetPath()] = e.GetSHA()
		}
	}
	return out, parent, nil
}

// pick decides each file the hotfix changed (before → after) against
// the target: the tree entries to apply, and the conflicting paths.
func pick(before, after, target map[string]string) ([]*gh.TreeEntry, []string) {
	var entries []*gh.TreeEntry
	var conflicts []string
	paths := slices.Sorted(maps.Keys(after))
	for p := range before {
		if _, ok := after[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range slices.Compact(paths) {
		b, a, t := before[p], after[p], target[p]
		switch {
		case a == b || t == a:
			// Unchanged by the hotfix, or the target has it already.
		case t != b:
			conflicts = append(conflicts, p)
		case a == "":
			entries = append(entries, &gh.TreeEntry{Path: gh.String(p), Mode: gh.String("100644"), Type: gh.String("blob")})
		default:
			entries = append(entries, &gh.TreeEntry{Path: gh.String(p), Mode: gh.String("100644"), Type: gh.String("blob"), SHA: gh.String(a)})
		}
	}
	return entries, conflicts
}

// proposeMergeBack commits entries onto head, makes the merge-back
// branch and opens the PR.
func (s *Session) proposeMergeBack(ctx context.Context, r gate.MergeBackRequest, pr *gh.PullRequest, head, base string, entries []*gh.TreeEntry, conflicts []string) (gate.MergeBackResult, error) {
	sha := head
	if len(entries) > 0 {
		t, _, err := s.gh.Git.CreateTree(ctx, s.owner, s.name, base, entries)
		if err != nil {
			return gate.MergeBackResult{}, s.wrap(err, "writing the merge-back tree of %s#%d", s.repo, r.Hotfix)
		}
		msg := fmt.Sprintf("Merge back hotfix #%d: %s\n\n(cherry picked from commit %s)", r.Hotfix, pr.GetTitle(), pr.GetMergeCommitSHA())
		c, _, err := s.gh.Git.CreateCommit(ctx, s.owner, s.name, &gh.Commit{Message: &msg, Tree: &gh.Tree{SHA: t.SHA}, Parents: []*gh.Commit{{SHA: &head}}}, nil)
		if err != nil {
			return gate.MergeBackResult{}, s.wrap(err, "committing the merge-back of %s#%d", s.repo, r.Hotfix)
		}
		sha = c.GetSHA()
	}
	_, _, err := s.gh.Git.CreateRef(ctx, s.owner, s.name, &gh.Reference{Ref: gh.String("refs/heads/" + r.BranchName()), Object: &gh.GitObject{SHA: &sha}})
	var ge *gh.ErrorResponse
	if errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode == http.StatusUnprocessableEntity {
		// The branch exists: a retry's, or one pushed by someone else with
		// other content. Either way it is made to hold this commit.
		_, _, err = s.gh.Git.UpdateRef(ctx, s.owner, s.name, &gh.Reference{Ref: gh.String("refs/heads/" + r.BranchName()), Object: &gh.GitObject{SHA: &sha}}, true)
	}
	if err != nil {
		return gate.MergeBackResult{}, s.wrap(err, "creating the branch %s in %s", r.BranchName(), s.repo)
	}
	if err := r.RecordBranch(ctx, sha, conflicts); err != nil {
		return gate.MergeBackResult{}, err
	}
	title := fmt.Sprintf("Merge back hotfix #%d: %s", r.Hotfix, pr.GetTitle())
	body := mergeBackBody(r, pr, conflicts)
	out, _, err := s.gh.PullRequests.Create(ctx, s.owner, s.name, &gh.NewPullRequest{Title: &title, Head: gh.String(r.BranchName()), Base: &r.Target, Body: &body})
	if err != nil {
		return gate.MergeBackResult{}, s.wrap(err, "opening the merge-back PR of %s#%d", s.repo, r.Hotfix)
	}
	res := gate.MergeBackResult{Number: out.GetNumber(), URL: out.GetHTMLURL(), Conflicts: conflicts}
	if len(conflicts) > 0 && r.Author != "" {
		if _, _, err := s.gh.Issues.AddAssignees(ctx, s.owner, s.name, res.Number, []string{r.Author}); err != nil {
			return res, s.wrap(err, "assigning %s to %s#%d", r.Author, s.repo, res.Number)
		}
	}
	return res, nil
}

// mergeBackPR finds the open merge-back PR a retry made already (its
// number 0 when there is none): its branch's commit was recorded before
// it was opened (gate.MergeBackRequest.Made), and its head now is not
// taken for it. A closed one is not taken: a merge-back that did not
// count (see gate's mergedBack) is opened anew.
func (s *Session) mergeBackPR(ctx context.Context, r gate.MergeBackRequest) (gate.MergeBackResult, error) {
	prs, _, err := s.gh.PullRequests.List(ctx, s.owner, s.name, &gh.PullRequestListOptions{State: "open", Head: s.owner + ":" + r.BranchName(), Base: r.Target})
	if err != nil {
		return gate.MergeBackResult{}, s.wrap(err, "finding the merge-back PR of %s#%d", s.repo, r.Hotfix)
	}
	for _, p := range prs {
		if p.GetHead().GetRef() == r.BranchName() && policies.SameLogin(p.GetUser().GetLogin(), s.a.knownSelf()) {
			return gate.MergeBackResult{Number: p.GetNumber(), URL: p.GetHTMLURL()}, nil
		}
	}
	return gate.MergeBackResult{}, nil
}

// mergeBackBody explains the merge-back, and its conflicts.
func mergeBackBody(r gate.MergeBackRequest, pr *gh.PullRequest, conflicts []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Merges back hotfix #%d (%s), merged into `%s`, into `%s`.\n\n", r.Hotfix, templates.Inert(pr.GetTitle()), r.Branch, r.Target)
	fmt.Fprintf(&b, "Shipgate refuses the next tag of `%s` until this PR is merged: closing it leaves the hotfix missing.\n", r.Target)
	if len(conflicts) > 0 {
		fmt.Fprintf(&b, "\n**Conflicts.** `%s` changed these files since the hotfix's base, so they are not in this PR yet:\n\n", r.Target)
		for _, c := range conflicts {
			fmt.Fprintf(&b, "- `%s`\n", strings.ReplaceAll(c, "`", "'"))
		}
		fmt.Fprintf(&b, "\n@%s, please bring them in on this branch:\n\n```\ngit fetch origin %s\ngit switch %s\ngit cherry-pick -x %s   # resolve the conflicts, keep the rest\ngit push\n```\n",
			r.Author, r.BranchName(), r.BranchName(), pr.GetMergeCommitSHA())
	}
	return b.String()
}
