package githistory

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/shipgate/shipgate/policies/release"
)

// skewSlack is how far (in seconds) the walk goes past a tag's commit time
// before it calls the tag unreachable, to tolerate clock skew between
// committers.
const skewSlack = 24 * 60 * 60

// ReleaseTags returns the version tags (names prefix+SemVer) reachable from
// to that a release computed at to depends on: the highest stable version
// below `below` (every version when below is nil) and every version above
// it and below `below` (the pre-releases of what comes next). With no
// stable version reachable it returns every reachable version tag below
// `below`.
//
// It takes two git processes whatever the history's size: one lists the
// tags with their commit times; one streams `git log to` newest first and
// is stopped as soon as the answer is known, that is once the highest
// reachable stable tag has been met and the walk has gone a day past the
// commit time of every higher tag it has not met. On a 100,000-commit
// history this reads a few hundred commits where `git tag --merged` reads
// them all. A commit dated more than a day before its parent (badly skewed
// clocks) can hide a tag from it.
func (r *Repo) ReleaseTags(ctx context.Context, to, prefix string, below *release.Version) ([]release.Tag, error) {
	all, err := r.tagsWithTimes(ctx, "")
	if err != nil {
		return nil, err
	}
	return r.releaseTags(ctx, all, to, prefix, below)
}

// candidate is a version tag releaseTags looks for in the history.
type candidate struct {
	tag     release.Tag
	version release.Version
	time    int64
	found   bool
}

// releaseTags is ReleaseTags on the repository's tags as tagsWithTimes
// listed them, for a caller that has them already.
func (r *Repo) releaseTags(ctx context.Context, all []timedTag, to, prefix string, below *release.Version) ([]release.Tag, error) {
	var cands []*candidate
	bySHA := make(map[string][]*candidate)
	for _, t := range all {
		v, err := release.ParseTag(prefix, t.tag.Name)
		if err != nil || (below != nil && v.Compare(*below) >= 0) {
			continue
		}
		c := &candidate{tag: t.tag, version: v, time: t.time}
		cands = append(cands, c)
		bySHA[t.tag.SHA] = append(bySHA[t.tag.SHA], c)
	}
	if len(cands) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(cands, func(a, b *candidate) int { return b.version.Compare(a.version) })
	err := r.walkLog(ctx, to, func(sha string, at int64) bool {
		for _, c := range bySHA[sha] {
			c.found = true
		}
		return settled(cands, at)
	})
	if err != nil {
		return nil, err
	}
	var tags []release.Tag
	for _, c := range cands {
		if !c.found {
			continue
		}
		tags = append(tags, c.tag)
		if !c.version.IsPrerelease() {
			break
		}
	}
	return tags, nil
}

// settled reports whether a walk now at commit time `at` has settled every
// candidate (highest version first) down to the highest reachable stable
// one.
func settled(cands []*candidate, at int64) bool {
	for _, c := range cands {
		switch {
		case c.found && !c.version.IsPrerelease():
			return true
		case !c.found && at >= c.time-skewSlack:
			return false // c may still be met
		}
	}
	return false
}

// walkLog streams `git log to` newest first, calling visit with each
// commit and its commit time, and stops git as soon as visit returns true.
func (r *Repo) walkLog(ctx context.Context, to string, visit func(sha string, at int64) (stop bool)) error {
	walkCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := r.command(walkCtx, "log", "--format=%H %ct", "--end-of-options", to)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("listing tags reachable from %s in %s: %w", to, r.dir, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("listing tags reachable from %s in %s: %w", to, r.dir, err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		sha, ts, _ := strings.Cut(sc.Text(), " ")
		at, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			stop()
			_ = cmd.Wait()
			return fmt.Errorf("listing tags reachable from %s in %s: bad git log line %q", to, r.dir, sc.Text())
		}
		if visit(sha, at) {
			stop() // kills git, whose remaining output is not needed
			_ = cmd.Wait()
			return nil
		}
	}
	waitErr := cmd.Wait()
	if err := sc.Err(); err != nil {
		return fmt.Errorf("listing tags reachable from %s in %s: %w", to, r.dir, err)
	}
	if waitErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("listing tags reachable from %s in %s: %w", to, r.dir, ctx.Err())
		}
		return fmt.Errorf("listing tags reachable from %s in %s: git log: %w: %s", to, r.dir, waitErr, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// timedTag is a tag with the commit time of the commit it points to.
type timedTag struct {
	tag  release.Tag
	time int64
}

// tagsWithTimes lists every tag that points (maybe through an annotated
// tag) at a commit, with the commit's time, in one git process: all of
// them when mergedInto is "", else those reachable from that commit.
func (r *Repo) tagsWithTimes(ctx context.Context, mergedInto string) ([]timedTag, error) {
	args := []string{"for-each-ref",
		"--format=%(refname:strip=2)%00%(objectname)%00%(objecttype)%00%(committerdate:unix)%00%(*objectname)%00%(*objecttype)%00%(*committerdate:unix)"}
	if mergedInto != "" {
		args = append(args, "--merged="+mergedInto)
	}
	args = append(args, "refs/tags")
	out, err := r.git(ctx, args...)
	if err != nil {
		if mergedInto == "" {
			return nil, fmt.Errorf("listing tags in %s: %w", r.dir, err)
		}
		return nil, fmt.Errorf("listing tags reachable from %s in %s: %w", mergedInto, r.dir, err)
	}
	var tags []timedTag
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\x00")
		if len(f) != 7 {
			return nil, fmt.Errorf("listing tags in %s: unexpected line %q", r.dir, line)
		}
		var sha, ts string
		switch {
		case f[2] == "commit":
			sha, ts = f[1], f[3]
		case f[2] == "tag" && f[5] == "commit":
			sha, ts = f[4], f[6]
		default:
			continue // a tag of a tree, a blob or another tag is no release
		}
		t, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("listing tags in %s: commit time of %s: %q", r.dir, f[0], ts)
		}
		tags = append(tags, timedTag{tag: release.Tag{Name: f[0], SHA: sha}, time: t})
	}
	slices.SortStableFunc(tags, func(a, b timedTag) int { return cmp.Compare(a.tag.Name, b.tag.Name) })
	return tags, nil
}

// command prepares git in the repository with the settings of the user's
// that would change the output overridden.
func (r *Repo) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "log.showSignature=false", "-c", "core.quotePath=false"}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_PAGER=cat")
	return cmd
}
