package github

import (
	"context"
	"errors"
	"fmt"

	gh "github.com/google/go-github/v62/github"
)

// ErrBranchMoved is returned by CommitFiles when the branch moved while
// the commit was being made: the commit is not on it, and a re-run
// starts from the new head.
var ErrBranchMoved = errors.New("the branch moved while the commit was made; run again")

// FileChange is one file of a commit made through the API: its new
// Content, or Delete.
type FileChange struct {
	Path    string
	Content []byte
	Delete  bool
}

// ReadFile reads a file at ref ("" for the default branch): GET
// /repos/{owner}/{repo}/contents/{path}. found is false, with no error,
// when there is no such file.
func (r *Releases) ReadFile(ctx context.Context, path, ref string) (content []byte, found bool, err error) {
	content, _, found, err = r.s.readFile(ctx, path, ref)
	return content, found, err
}

// CommitFiles commits changes on top of branch's head as one commit with
// the Git Data API, without a clone: GET /repos/{owner}/{repo}/git/ref/
// heads/{branch} and /git/commits/{sha} for the base tree, POST /git/blobs
// per written file, POST /git/trees, POST /git/commits, then PATCH
// /git/refs/heads/{branch} without force, so that a branch that moved
// meanwhile is never rewound (ErrBranchMoved). It returns the commit's
// SHA.
func (r *Releases) CommitFiles(ctx context.Context, branch, message string, changes []FileChange) (string, error) {
	s := r.s
	ref, _, err := s.gh.Git.GetRef(ctx, s.owner, s.name, "heads/"+branch)
	if err != nil {
		return "", s.wrap(err, "reading the branch %s of %s", branch, s.repo)
	}
	head := ref.GetObject().GetSHA()
	base, _, err := s.gh.Git.GetCommit(ctx, s.owner, s.name, head)
	if err != nil {
		return "", s.wrap(err, "reading the commit %.7s of %s", head, s.repo)
	}
	entries := make([]*gh.TreeEntry, 0, len(changes))
	for _, c := range changes {
		e := &gh.TreeEntry{Path: gh.String(c.Path), Mode: gh.String("100644"), Type: gh.String("blob")}
		if !c.Delete {
			blob, _, err := s.gh.Git.CreateBlob(ctx, s.owner, s.name, &gh.Blob{Content: gh.String(string(c.Content)), Encoding: gh.String("utf-8")})
			if err != nil {
				return "", s.wrap(err, "storing %s in %s", c.Path, s.repo)
			}
			e.SHA = blob.SHA
		} // a nil SHA without content deletes the path
		entries = append(entries, e)
	}
	tree, _, err := s.gh.Git.CreateTree(ctx, s.owner, s.name, base.GetTree().GetSHA(), entries)
	if err != nil {
		return "", s.wrap(err, "making the tree of the commit on %s of %s", branch, s.repo)
	}
	commit, _, err := s.gh.Git.CreateCommit(ctx, s.owner, s.name, &gh.Commit{
		Message: gh.String(message), Tree: &gh.Tree{SHA: tree.SHA}, Parents: []*gh.Commit{{SHA: gh.String(head)}},
	}, nil)
	if err != nil {
		return "", s.wrap(err, "making the commit on %s of %s", branch, s.repo)
	}
	_, resp, err := s.gh.Git.UpdateRef(ctx, s.owner, s.name, &gh.Reference{
		Ref: gh.String("refs/heads/" + branch), Object: &gh.GitObject{SHA: commit.SHA},
	}, false)
	if err != nil {
		if resp != nil && resp.StatusCode == 422 {
			return "", fmt.Errorf("moving %s of %s to %.7s: %w", branch, s.repo, commit.GetSHA(), ErrBranchMoved)
		}
		return "", s.wrap(err, "moving %s of %s to %.7s", branch, s.repo, commit.GetSHA())
	}
	return commit.GetSHA(), nil
}
