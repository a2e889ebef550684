package gate

import (
	"context"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// CommitFiler is a Releaser that can list the files a commit changed, so
// that a component's tag is judged by the component's own commits
// (policies.Component.Owns). Without it, or past MaxCommitFileReads, a
// commit's files stay unknown and the commit counts for every component
// with paths: a bump may then be asked too large, never too small.
type CommitFiler interface {
	// CommitFiles returns the paths a commit changed (both paths of a
	// rename), every page of them; none for a merge commit.
	CommitFiles(ctx context.Context, sha string) ([]string, error)
}

// MaxCommitFileReads caps the commits whose files one tag check reads:
// one API call each (more for a commit of many files).
const MaxCommitFileReads = 100

// withPaths fills the files of commits when st is a component's line
// that picks its commits by path and the host can list them. Each commit
// gets its own copy.
func (x refs) withPaths(ctx context.Context, st policies.ReleaseSettings, commits []policies.Commit) ([]policies.Commit, error) {
	cf, ok := x.r.(CommitFiler)
	if !ok || !st.NeedsCommitPaths() || len(commits) == 0 {
		return commits, nil
	}
	out := make([]policies.Commit, len(commits))
	copy(out, commits)
	for i := range out {
		if i == MaxCommitFileReads {
			break // the rest count for every component (Owns)
		}
		paths, err := cf.CommitFiles(ctx, out[i].SHA)
		if err != nil {
			return nil, err
		}
		if paths == nil {
			paths = []string{}
		}
		out[i].Paths = paths
	}
	return out, nil
}

// releaseLine reads the arguments of `/release [COMPONENT] [VERSION]`:
// the version line to release (a component named first, or the line of a
// version with a component's prefix, else the repository's) and the
// version asked for ("" for the next one).
func releaseLine(p *policies.Policy, args string) (policies.ReleaseSettings, string) {
	first, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	if k, ok := p.Component(first); ok && first != "" {
		return k.Release, strings.TrimSpace(rest)
	}
	return p.ReleaseOf(strings.TrimSpace(args)), args
}
