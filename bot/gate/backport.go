package gate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// CommitReader is a Repo that reads a change's commits and a commit's
// patches, so that a backport — a change into a release line made of
// clean cherry-picks of commits the main line holds — owes no merge-back.
type CommitReader interface {
	// ChangeCommits lists the commits of change number (SHA and message),
	// up to maxBackportCommits and one more (more: not a backport).
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

// MergeBackSettler is the store's settling of a merge-back by someone's
// word; *store.Store implements it.
type MergeBackSettler interface {
	SettleMergeBack(ctx context.Context, host policies.Host, repo string, hotfix int, actor, reason string) error
}

// skipMergeBack carries out an accepted `/merge-back skip REASON` on this
// change: only merged, and only while its merge-back is pending, it
// settles it in the store with the commenter and the reason in the audit
// log (release-only commits and reverts need not reach the main line).
func (w *work) skipMergeBack(ctx context.Context, actor string, d review.Decision) (review.Decision, error) {
	_, reason, _ := strings.Cut(strings.TrimSpace(d.Command.Args), " ")
	ms, ok := w.g.cfg.Store.(MergeBackSettler)
	switch {
	case w.snap.State != Merged:
		d.Accepted, d.Reason = false, "only a merged "+w.g.host.ChangeAbbr()+" owes a merge-back: there is nothing to skip yet"
		return d, nil
	case !ok:
		d.Accepted, d.Reason = false, "this Shipgate keeps no merge-backs"
		return d, nil
	}
	err := ms.SettleMergeBack(ctx, w.g.host, w.repo.Name(), w.number, actor, strings.TrimSpace(reason))
	if errors.Is(err, store.ErrNotFound) {
		// Settled already (a retry of this command) or never owed.
		settled, err := w.mergedBackAlready(ctx)
		if err != nil || !settled {
			d.Accepted, d.Reason = false, "no merge-back of this "+w.g.host.ChangeAbbr()+" is pending"
			return d, err
		}
		d.Reason = "its merge-back is settled already"
		return d, nil
	} else if err != nil {
		return d, fmt.Errorf("settling the merge-back of %s: %w", w.ref(), err)
	}
	zerolog.Ctx(ctx).Info().Int("hotfix", w.number).Str("by", actor).Msg("merge-back skipped by command")
	d.Reason = "merge-back settled without one: tags of the main line no longer wait for it (close its open merge-back, if any)"
	return d, nil
}

// mergedBackAlready reports whether this change's merge-back is recorded
// as merged (or settled).
func (w *work) mergedBackAlready(ctx context.Context) (bool, error) {
	ms, ok := w.g.cfg.Store.(MergeBackStore)
	if !ok {
		return false, nil
	}
	all, err := ms.MergeBacks(ctx, w.g.host, w.repo.Name(), false)
	for _, m := range all {
		if m.Hotfix == w.number {
			return m.State == store.MergeBackMerged, err
		}
	}
	return false, err
}

var _ MergeBackSettler = (*store.Store)(nil)
