package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

var _ gate.MergeBacker = (*project)(nil)

// OpenMergeBack implements gate.MergeBacker with GitLab's cherry-pick:
// the hotfix's merge commit (picked against its first parent, as GitLab's
// own Cherry-pick button does), else its squash commit, else — a
// fast-forward merge — its commits, oldest first, are cherry-picked onto
// a branch made afresh from the target's head, and the MR is opened from
// it. GitLab applies a commit whole or not at all: a commit that
// conflicts is left out with those after it, and the MR, a draft then,
// lists their files, says how to bring them in and is assigned to the
// hotfix's author. When every pick is empty the target holds the hotfix:
// Present. Calls: GET the MR (and its commits on a fast-forward), GET the
// MRs from the branch (a retry finds its own), GET the target branch,
// POST the branch (DELETE one found there first), POST each cherry-pick,
// GET the branch (still where Shipgate left it), POST the MR.
func (p *project) OpenMergeBack(ctx context.Context, r gate.MergeBackRequest) (gate.MergeBackResult, error) {
	mr, _, err := p.a.gl.MergeRequests.GetMergeRequest(p.pid, int64(r.Hotfix), nil, gl.WithContext(ctx))
	if err != nil {
		return gate.MergeBackResult{}, fmt.Errorf("reading the hotfix %s: %w", p.ref(r.Hotfix), err)
	}
	if mr.State != "merged" {
		return gate.MergeBackResult{}, fmt.Errorf("the hotfix %s is not merged: nothing to merge back", p.ref(r.Hotfix))
	}
	if existing, err := p.mergeBackMR(ctx, r); err != nil || existing.Number != 0 {
		return existing, err
	}
	picks, err := p.hotfixCommits(ctx, mr)
	if err != nil {
		return gate.MergeBackResult{}, err
	}
	target, _, err := p.a.gl.Branches.GetBranch(p.pid, r.Target, gl.WithContext(ctx))
	if err != nil || target.Commit == nil {
		return gate.MergeBackResult{}, fmt.Errorf("reading the branch %s of %s: %w", r.Target, p.path, err)
	}
	if err := p.freshBranch(ctx, r.BranchName(), target.Commit.ID); err != nil {
		return gate.MergeBackResult{}, err
	}
	head, applied, missing, err := p.cherryPick(ctx, r.BranchName(), target.Commit.ID, picks)
	if err != nil {
		return gate.MergeBackResult{}, err
	}
	if applied == 0 && len(missing) == 0 {
		// Every pick was empty: the target has the hotfix already.
		if _, err := p.a.gl.Branches.DeleteBranch(p.pid, r.BranchName(), gl.WithContext(ctx)); err != nil {
			return gate.MergeBackResult{}, fmt.Errorf("deleting the empty branch %s of %s: %w", r.BranchName(), p.path, err)
		}
		return gate.MergeBackResult{Present: true}, nil
	}
	var conflicts []string
	if len(missing) > 0 {
		if conflicts, err = p.filesOf(ctx, missing); err != nil {
			return gate.MergeBackResult{}, err
		}
	}
	if err := p.unmoved(ctx, r.BranchName(), head); err != nil {
		return gate.MergeBackResult{}, err
	}
	if err := r.RecordBranch(ctx, head, conflicts); err != nil {
		return gate.MergeBackResult{}, err
	}
	return p.proposeMergeBack(ctx, r, mr, missing, conflicts)
}

// hotfixCommits are the commits that bring the hotfix: its merge commit,
// its squash commit, or (fast-forwarded) its own commits, oldest first.
func (p *project) hotfixCommits(ctx context.Context, mr *gl.MergeRequest) ([]string, error) {
	switch {
	case mr.MergeCommitSHA != "":
		return []string{mr.MergeCommitSHA}, nil
	case mr.SquashCommitSHA != "":
		return []string{mr.SquashCommitSHA}, nil
	}
	commits, err := p.mrCommits(ctx, mr.IID)
	if err != nil {
		return nil, err
	}
	if len(commits) == 0 {
		return nil, fmt.Errorf("the hotfix %s has no commit to merge back", p.ref(int(mr.IID)))
	}
	out := make([]string, 0, len(commits))
	for i := len(commits) - 1; i >= 0; i-- { // GitLab lists them newest first
		out = append(out, commits[i].ID)
	}
	return out, nil
}

// mergeBackMR finds the open merge-back MR a retry made already:
// Shipgate's, from the branch into the target (its number 0 when there is
// none): its branch's commit was recorded before it was opened
// (gate.MergeBackRequest.Made). A merged or closed one is not taken: a
// merge-back that did not count (see gate's mergedBack) is opened anew.
func (p *project) mergeBackMR(ctx context.Context, r gate.MergeBackRequest) (gate.MergeBackResult, error) {
	self, err := p.a.id.Name(ctx)
	if err != nil {
		return gate.MergeBackResult{}, err
	}
	mrs, err := listPages(func(o gl.ListOptions) ([]*gl.BasicMergeRequest, *gl.Response, error) {
		return p.a.gl.MergeRequests.ListProjectMergeRequests(p.pid, &gl.ListProjectMergeRequestsOptions{ListOptions: o,
			SourceBranch: gl.Ptr(r.BranchName()), TargetBranch: gl.Ptr(r.Target), State: gl.Ptr("opened")}, gl.WithContext(ctx))
	})
	if err != nil {
		return gate.MergeBackResult{}, fmt.Errorf("finding the merge-back MR of %s: %w", p.ref(r.Hotfix), err)
	}
	for _, m := range mrs {
		if m.SourceBranch == r.BranchName() && m.TargetBranch == r.Target && m.SourceProjectID == m.TargetProjectID &&
			m.Author != nil && policies.SameLogin(m.Author.Username, self) {
			return gate.MergeBackResult{Number: int(m.IID), URL: m.WebURL}, nil
		}
	}
	return gate.MergeBackResult{}, nil
}

// freshBranch makes branch start at sha. No merge-back MR of Shipgate's
// comes from a branch found there (mergeBackMR looked first): it is an
// earlier try's, or one someone pushed, perhaps with commits of their
// own; either way it is deleted and made again.
func (p *project) freshBranch(ctx context.Context, branch, sha string) error {
	err := p.CreateBranch(ctx, branch, sha)
	if !errors.Is(err, gate.ErrBranchExists) {
		return err
	}
	if resp, err := p.a.gl.Branches.DeleteBranch(p.pid, branch, gl.WithContext(ctx)); err != nil && !IsNotFound(resp, err) {
		return fmt.Errorf("deleting the branch %s of %s, not Shipgate's, to make it again: %w", branch, p.path, err)
	}
	return p.CreateBranch(ctx, branch, sha)
}

// cherryPick picks each commit onto branch, whose head is head: the
// head it leaves, how many applied, and the commits left out from the
// first that conflicted. An empty pick (the branch has it) is skipped. A
// pick whose parent is not the head Shipgate left means someone pushed to
// the branch meanwhile: it fails, and a retry makes the branch again.
func (p *project) cherryPick(ctx context.Context, branch, head string, picks []string) (string, int, []string, error) {
	applied := 0
	for i, sha := range picks {
		c, _, err := p.a.gl.Commits.CherryPickCommit(p.pid, sha, &gl.CherryPickCommitOptions{Branch: gl.Ptr(branch)}, gl.WithContext(ctx))
		switch refusal(err) {
		case "":
		case "empty":
			continue
		case "conflict":
			return head, applied, picks[i:], nil
		default:
			return "", 0, nil, fmt.Errorf("cherry-picking %.7s onto %s in %s: %w", sha, branch, p.path, err)
		}
		if len(c.ParentIDs) == 0 || c.ParentIDs[0] != head {
			return "", 0, nil, errMoved(branch, p.path)
		}
		head = c.ID
		applied++
	}
	return head, applied, nil, nil
}

// unmoved checks that branch is still at head, as Shipgate left it, before
// an MR is opened from it.
func (p *project) unmoved(ctx context.Context, branch, head string) error {
	b, _, err := p.a.gl.Branches.GetBranch(p.pid, branch, gl.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("reading the branch %s of %s: %w", branch, p.path, err)
	}
	if b.Commit == nil || b.Commit.ID != head {
		return errMoved(branch, p.path)
	}
	return nil
}

func errMoved(branch, repo string) error {
	return fmt.Errorf("the branch %s of %s moved while Shipgate cherry-picked onto it (someone pushed to it): not opening a merge-back from it", branch, repo)
}

// refusal is the error_code of GitLab's 400 to a cherry-pick (conflict,
// empty), "" without an error, "other" for any other error.
func refusal(err error) string {
	if err == nil {
		return ""
	}
	var e *gl.ErrorResponse
	if !errors.As(err, &e) || e.Response == nil || e.Response.StatusCode != http.StatusBadRequest {
		return "other"
	}
	var body struct {
		ErrorCode string `json:"error_code"`
	}
	if json.Unmarshal(e.Body, &body) != nil || (body.ErrorCode != "conflict" && body.ErrorCode != "empty") {
		return "other"
	}
	return body.ErrorCode
}

// filesOf are the files the commits change, sorted; never empty, so that
// a conflict is never taken for a clean merge-back.
func (p *project) filesOf(ctx context.Context, commits []string) ([]string, error) {
	var files []string
	for _, sha := range commits {
		fs, err := p.CommitFiles(ctx, sha)
		if err != nil {
			return nil, err
		}
		files = append(files, fs...)
	}
	slices.Sort(files)
	files = slices.Compact(files)
	if len(files) == 0 {
		files = []string{fmt.Sprintf("(the changes of %.8s)", commits[0])}
	}
	return files, nil
}

// proposeMergeBack opens the merge-back MR; with commits left out it is a
// draft, assigned to the hotfix's author.
func (p *project) proposeMergeBack(ctx context.Context, r gate.MergeBackRequest, hotfix *gl.MergeRequest, missing, conflicts []string) (gate.MergeBackResult, error) {
	title := fmt.Sprintf("Merge back hotfix !%d: %s", r.Hotfix, hotfix.Title)
	opt := &gl.CreateMergeRequestOptions{SourceBranch: gl.Ptr(r.BranchName()), TargetBranch: gl.Ptr(r.Target),
		Description: gl.Ptr(mergeBackDescription(r, hotfix, missing, conflicts))}
	if len(missing) > 0 {
		// Merged as it is it would hold none of what conflicted, and
		// still count as merged back: GitLab refuses to merge a draft.
		title = "Draft: " + title
		if hotfix.Author != nil && hotfix.Author.ID != 0 {
			opt.AssigneeIDs = &[]int64{hotfix.Author.ID}
		}
	}
	opt.Title = gl.Ptr(title)
	out, resp, err := p.a.gl.MergeRequests.CreateMergeRequest(p.pid, opt, gl.WithContext(ctx))
	if resp != nil && resp.StatusCode == http.StatusConflict {
		return gate.MergeBackResult{}, fmt.Errorf("opening the merge-back MR of %s: an open merge request from %s into %s that Shipgate did not open exists: close it, then comment on %s to have Shipgate open its own: %w",
			p.ref(r.Hotfix), r.BranchName(), r.Target, p.ref(r.Hotfix), err)
	}
	if err != nil {
		return gate.MergeBackResult{}, fmt.Errorf("opening the merge-back MR of %s: %w", p.ref(r.Hotfix), err)
	}
	return gate.MergeBackResult{Number: int(out.IID), URL: out.WebURL, Conflicts: conflicts}, nil
}

// mergeBackDescription explains the merge-back, and what was left out.
func mergeBackDescription(r gate.MergeBackRequest, hotfix *gl.MergeRequest, missing, conflicts []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Merges back hotfix !%d (%s), merged into `%s`, into `%s`.\n\n", r.Hotfix, templates.Inert(hotfix.Title), r.Branch, r.Target)
	fmt.Fprintf(&b, "Shipgate refuses the next tag of `%s` until this merge request is merged: closing it leaves the hotfix missing.\n", r.Target)
	if len(missing) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "\n**Conflicts.** GitLab could not cherry-pick the hotfix onto `%s`, which changed the same lines since the hotfix's base, and GitLab applies a commit whole or not at all: this merge request does not hold these commits yet, which change:\n\n", r.Target)
	for _, c := range conflicts {
		fmt.Fprintf(&b, "- `%s`\n", strings.ReplaceAll(c, "`", "'"))
	}
	mainline := ""
	if hotfix.MergeCommitSHA != "" {
		mainline = "-m 1 " // a merge commit, picked against its first parent
	}
	fmt.Fprintf(&b, "\n@%s, please bring them in on this branch, then mark this merge request ready:\n\n```\ngit fetch origin %s\ngit switch %s\n", r.Author, r.BranchName(), r.BranchName())
	for _, sha := range missing {
		fmt.Fprintf(&b, "git cherry-pick -x %s%s   # resolve the conflicts\n", mainline, sha)
	}
	b.WriteString("git push\n```\n")
	return b.String()
}
