package githistory

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// CurrentBranch returns the branch checked out (also in a repository
// without commits yet); "" on a detached HEAD.
func (r *Repo) CurrentBranch(ctx context.Context) (string, error) {
	out, err := r.git(ctx, "symbolic-ref", "--quiet", "--short", "HEAD")
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return "", nil // detached
	}
	if err != nil {
		return "", fmt.Errorf("reading the current branch of %s: %w", r.dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// OriginURL returns the URL of the remote named origin; "" when there is
// none.
func (r *Repo) OriginURL(ctx context.Context) (string, error) {
	out, err := r.git(ctx, "config", "--get", "remote.origin.url")
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return "", nil // not set
	}
	if err != nil {
		return "", fmt.Errorf("reading the origin of %s: %w", r.dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// TopLevel returns the root directory of the work tree.
func (r *Repo) TopLevel(ctx context.Context) (string, error) {
	out, err := r.git(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("finding the work tree of %s: %w", r.dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}
