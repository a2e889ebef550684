package gate

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/policies"
)

// CommitReader is a Repo that reads a change's commits and a commit's
// patches, so that a backport — a change into a release line made of
// clean cherry-picks of commits the main line holds — owes no merge-back.
type CommitReader interface {
	// ChangeCommits lists the commits of change number (SHA and message),
	// as many as the host lists (GitHub: 250).
	ChangeCommits(ctx context.Context, number int) ([]policies.Commit, error)
	// CommitPatches are the unified-diff patches of the files commit sha
	// changed, by path; complete is false when the host left a file's
	// patch out (binary, too large) or listed only some files.
	CommitPatches(ctx context.Context, sha string) (patches map[string]string, complete bool, err error)
}

// maxBackportCommits bounds the commits read to tell a backport.
const maxBackportCommits = 20

// cherryPickTrailer is the line `git cherry-pick -x` adds.
var cherryPickTrailer = regexp.MustCompile(`(?m)^\(cherry picked from commit ([0-9a-f]{7,40})\)[ \t]*\r?$`)

// backportOf says which main-line commits the merged change (into a
// release line) cherry-picked cleanly, "" unless every one of its commits
// names, with `git cherry-pick -x`'s trailer, a commit that target holds
// and adds and removes the same lines in the same files as it. A trailer
// alone proves nothing — anyone can write one — so the patches are
// compared; a host that cannot tell makes no backport (fail closed: the
// merge-back is opened).
func (w *work) backportOf(ctx context.Context, target string) (string, error) {
	cr, ok := w.repo.(CommitReader)
	rel, okRel := w.repo.(Releaser)
	if !ok || !okRel {
		return "", nil
	}
	commits, err := cr.ChangeCommits(ctx, w.number)
	if err != nil || len(commits) == 0 || len(commits) > maxBackportCommits {
		return "", err
	}
	var picked []string
	for _, c := range commits {
		m := cherryPickTrailer.FindAllStringSubmatch(c.Message, -1)
		if len(m) == 0 {
			return "", nil
		}
		from := m[len(m)-1][1]
		if same, err := cleanPick(ctx, cr, rel, c.SHA, from, target); err != nil || !same {
			return "", err
		}
		picked = append(picked, fmt.Sprintf("%.7s", from))
	}
	return strings.Join(picked, ", "), nil
}

// cleanPick reports whether commit sha changes exactly what commit from
// changed, and target holds from.
func cleanPick(ctx context.Context, cr CommitReader, rel Releaser, sha, from, target string) (bool, error) {
	held, _, err := rel.Compare(ctx, from, target, false)
	if err != nil || !held {
		return false, err
	}
	mine, complete, err := cr.CommitPatches(ctx, sha)
	if err != nil || !complete {
		return false, err
	}
	theirs, complete, err := cr.CommitPatches(ctx, from)
	if err != nil || !complete {
		return false, err
	}
	return samePatches(mine, theirs), nil
}

// samePatches reports whether two commits change the same files by the
// same added and removed lines, in order (the context and the line
// numbers may differ: the lines around moved).
func samePatches(a, b map[string]string) bool {
	if len(a) == 0 || len(a) != len(b) {
		return false
	}
	for path, pa := range a {
		pb, ok := b[path]
		if !ok || !slices.Equal(changedLines(pa), changedLines(pb)) {
			return false
		}
	}
	return true
}

// changedLines are a patch's added and removed lines.
func changedLines(patch string) []string {
	var out []string
	// Both hosts give a file's hunks without the file's header lines.
	for _, l := range strings.Split(patch, "\n") {
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") {
			out = append(out, strings.TrimSuffix(l, "\r"))
		}
	}
	return out
}

// backportMarker marks the comment that says a change owes no merge-back.
const backportMarker = "<!-- shipgate:backport -->"

// settleBackport records the tracked merge-back of a clean backport as
// merged, after telling the change why none is opened (first: once
// settled, a retry no longer comes here, and would not tell).
func (w *work) settleBackport(ctx context.Context, ms MergeBackStore, target, picked string) error {
	zerolog.Ctx(ctx).Info().Int("number", w.number).Str("picked", picked).Msg("a clean backport: no merge-back")
	body := fmt.Sprintf("%s\nShipgate opens no merge-back into `%s`: every commit of this %s is a clean cherry-pick of a commit `%s` holds (%s).",
		backportMarker, target, w.g.host.ChangeAbbr(), target, picked)
	if err := w.commentOnce(ctx, w.number, backportMarker, body); err != nil {
		return err
	}
	return ms.MergedBack(ctx, w.g.host, w.repo.Name(), w.number, w.g.cfg.Now())
}
