package githistory

import (
	"context"
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// CommitsFor returns Commits(from, to) for the version line of s: with
// each commit's changed files (Commit.Paths) when s is a component's line
// that picks its commits by path, so that s.Own keeps the right ones.
// Two git processes then, one otherwise.
func (r *Repo) CommitsFor(ctx context.Context, s policies.ReleaseSettings, from, to string) ([]policies.Commit, error) {
	commits, err := r.Commits(ctx, from, to)
	if err != nil || !s.NeedsCommitPaths() {
		return commits, err
	}
	paths, err := r.commitPaths(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for i := range commits {
		commits[i].Paths = paths[commits[i].SHA]
		if commits[i].Paths == nil {
			commits[i].Paths = []string{} // read: the commit changed no file (a merge)
		}
	}
	return commits, nil
}

// commitPaths maps each commit of from..to (to's history when from is "")
// to the files it changed; a rename lists both paths, a merge none. One
// git process.
func (r *Repo) commitPaths(ctx context.Context, from, to string) (map[string][]string, error) {
	rng := to
	if from != "" {
		rng = from + ".." + to
	}
	// Each commit starts with \x01 and its SHA, then NUL; the paths follow
	// after a newline, each ended by NUL.
	out, err := r.git(ctx, "log", "-z", "--no-color", "--name-only", "--no-renames", "--format=%x01%H", "--end-of-options", rng)
	if err != nil {
		return nil, fmt.Errorf("listing the files of commits %s in %s: %w", rng, r.dir, err)
	}
	paths := make(map[string][]string)
	for _, chunk := range strings.Split(string(out), "\x01")[1:] {
		sha, rest, _ := strings.Cut(chunk, "\x00")
		if !isObjectName(sha) {
			// A path holding \x01 would shift what follows: refuse rather
			// than give a commit another's files.
			return nil, fmt.Errorf("listing the files of commits %s in %s: unexpected output near %q", rng, r.dir, sha)
		}
		files := []string{}
		for _, f := range strings.Split(strings.TrimPrefix(rest, "\n"), "\x00") {
			if f != "" {
				files = append(files, f)
			}
		}
		paths[sha] = files
	}
	return paths, nil
}

// isObjectName reports whether s is a full SHA-1 or SHA-256 object name.
func isObjectName(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}
