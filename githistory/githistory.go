// Package githistory reads a local git repository's history for the
// release commands: version tags with their commits, the commits of a
// range with full messages, the branches that contain a commit, and ref
// resolution. It is the I/O edge between git and the pure policies/release
// package: it runs the git command in a few single-pass invocations (never
// one process per object), so it stays fast on histories of 100,000
// commits.
//
// It may import policies and policies/release for their value types; it
// must not import bot/, actions/, templates or any host SDK.
package githistory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// ErrShallow is returned by Open for a shallow clone, whose history is cut
// and whose tags and version math would be wrong. The message tells how to
// fetch the full history.
var ErrShallow = errors.New("the repository is a shallow clone: fetch the full history with `git fetch --unshallow --tags` (in GitHub Actions: actions/checkout with `fetch-depth: 0`)")

// ErrUnknownRef is wrapped by Resolve when a ref names no commit.
var ErrUnknownRef = errors.New("unknown ref")

// Repo is a local git repository read with the git command.
type Repo struct {
	dir string
}

// Open checks that dir is inside a git work tree (or is a bare repository)
// with full history and returns it. A shallow clone gives ErrShallow.
func Open(ctx context.Context, dir string) (*Repo, error) {
	r := &Repo{dir: dir}
	out, err := r.git(ctx, "rev-parse", "--git-dir", "--is-shallow-repository")
	if err != nil {
		return nil, fmt.Errorf("opening git repository %s: %w", dir, err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return nil, fmt.Errorf("opening git repository %s: unexpected output of git rev-parse: %q", dir, out)
	}
	if lines[1] == "true" {
		return nil, fmt.Errorf("opening git repository %s: %w", dir, ErrShallow)
	}
	return r, nil
}

// Resolve returns the commit SHA a ref (branch, tag, SHA, HEAD~2…) names,
// peeling annotated tags. A ref that names no commit gives an error
// wrapping ErrUnknownRef.
func (r *Repo) Resolve(ctx context.Context, ref string) (string, error) {
	out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 {
			return "", fmt.Errorf("resolving %q in %s: %w: no commit has that name", ref, r.dir, ErrUnknownRef)
		}
		return "", fmt.Errorf("resolving %q in %s: %w", ref, r.dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Tags returns the tags reachable from the commit mergedInto (all tags
// when mergedInto is ""), each with the commit it points to (annotated
// tags peeled), in name order. One git process.
func (r *Repo) Tags(ctx context.Context, mergedInto string) ([]release.Tag, error) {
	timed, err := r.tagsWithTimes(ctx, mergedInto)
	if err != nil {
		return nil, err
	}
	return tagsOf(timed), nil
}

// tagsOf drops the times of timed tags.
func tagsOf(timed []timedTag) []release.Tag {
	var tags []release.Tag
	for _, t := range timed {
		tags = append(tags, t.tag)
	}
	return tags
}

// Commits returns the commits reachable from to but not from from (all of
// to's history when from is ""), newest first, with full messages, author
// names and author times. A GitHub no-reply e-mail address gives the
// author's login. One git process, parsed in a single pass.
func (r *Repo) Commits(ctx context.Context, from, to string) ([]policies.Commit, error) {
	rng := to
	if from != "" {
		rng = from + ".." + to
	}
	// -z separates commits with NUL; fields are NUL-separated too and the
	// message comes last, so a message with any content but NUL parses.
	out, err := r.git(ctx, "log", "-z", "--no-color",
		"--format=%H%x00%an%x00%ae%x00%at%x00%B", "--end-of-options", rng)
	if err != nil {
		return nil, fmt.Errorf("listing commits %s in %s: %w", rng, r.dir, err)
	}
	s := string(out)
	commits := make([]policies.Commit, 0, bytes.Count(out, []byte{0})/5+1)
	for len(s) > 0 {
		var f [5]string
		for i := 0; i < 4; i++ {
			var ok bool
			f[i], s, ok = strings.Cut(s, "\x00")
			if !ok {
				return nil, fmt.Errorf("listing commits %s in %s: truncated git log output", rng, r.dir)
			}
		}
		f[4], s, _ = strings.Cut(s, "\x00")
		secs, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("listing commits %s in %s: author time of %s: %w", rng, r.dir, f[0], err)
		}
		commits = append(commits, policies.Commit{
			SHA:        f[0],
			AuthorName: f[1],
			Author:     policies.Actor{Login: loginFromEmail(f[2])},
			Time:       time.Unix(secs, 0).UTC(),
			Message:    strings.TrimRight(f[4], "\n"),
		})
	}
	return commits, nil
}

// BranchesContaining returns the local and remote-tracking branches whose
// history contains sha, without the refs/heads/ or refs/remotes/REMOTE/
// prefix, de-duplicated, in git's ref order. One git process.
func (r *Repo) BranchesContaining(ctx context.Context, sha string) ([]string, error) {
	out, err := r.git(ctx, "for-each-ref", "--contains="+sha, "--format=%(refname)%00%(symref)", "refs/heads", "refs/remotes")
	if err != nil {
		return nil, fmt.Errorf("listing branches containing %s in %s: %w", sha, r.dir, err)
	}
	seen := make(map[string]bool)
	var branches []string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		ref, symref, _ := strings.Cut(line, "\x00")
		if ref == "" || symref != "" {
			continue // origin/HEAD and other symbolic refs
		}
		var name string
		if n, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
			name = n
		} else if n, ok := strings.CutPrefix(ref, "refs/remotes/"); ok {
			_, name, _ = strings.Cut(n, "/")
		}
		if name != "" && !seen[name] {
			seen[name] = true
			branches = append(branches, name)
		}
	}
	return branches, nil
}

// loginFromEmail returns the GitHub login of a no-reply address
// (ID+login@users.noreply.github.com or login@users.noreply.github.com),
// else "".
func loginFromEmail(email string) string {
	local, ok := strings.CutSuffix(email, "@users.noreply.github.com")
	if !ok {
		return ""
	}
	if _, login, ok := strings.Cut(local, "+"); ok {
		return login
	}
	return local
}

// git runs git in the repository and returns its standard output. A
// failure's error carries git's standard error.
func (r *Repo) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := r.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, fmt.Errorf("git %s: %w", args[0], err)
		}
		return nil, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return stdout.Bytes(), nil
}
