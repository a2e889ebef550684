package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// MergeBacker is a Repo that can open the merge-back PR of a hotfix
// (GitHub, through the Git data API; GitLab, through its cherry-pick).
// On a Repo without it no merge-back is tracked.
type MergeBacker interface {
	// OpenMergeBack reads the hotfix PR (which must be merged) and
	// cherry-picks its merge commit onto
	// r.Target on the branch r.BranchName() and opens (or finds) the PR
	// from it into r.Target. What conflicts is left out — on GitHub the
	// files both the hotfix and the target changed, on GitLab the commits
	// that did not apply, whole — listed in Conflicts (files) and
	// explained in the PR, which is then assigned to the hotfix's author.
	// A branch of that name without a PR of Shipgate's is made again.
	// Once the branch holds its commit it calls r.RecordBranch, and only
	// then opens the PR. Calling it again finds the open PR it made.
	OpenMergeBack(ctx context.Context, r MergeBackRequest) (MergeBackResult, error)
}

// MergeBackRequest is a hotfix to merge back.
type MergeBackRequest struct {
	Hotfix int
	Title  string
	Author string
	// Branch is the release branch the hotfix went into; Target is
	// hotfix.merge_back_to.
	Branch, Target string
	// Made records the commit the host left on the branch, and the files
	// left out, before it opens the PR: the merge-back counts only when
	// what merges holds that commit (see mergedBack), so it is known from
	// Shipgate's own write, never read back from a branch anyone may push
	// to. An error stops the host before it opens the PR. Nil records
	// nothing.
	Made func(ctx context.Context, head string, conflicts []string) error
}

// RecordBranch calls r.Made, if set: host adapters call it once the
// branch holds their commit, before they open the PR.
func (r MergeBackRequest) RecordBranch(ctx context.Context, head string, conflicts []string) error {
	if r.Made == nil {
		return nil
	}
	return r.Made(ctx, head, conflicts)
}

// BranchName is the merge-back's branch.
func (r MergeBackRequest) BranchName() string { return fmt.Sprintf("shipgate/merge-back-%d", r.Hotfix) }

// MergeBackResult is the merge-back PR.
type MergeBackResult struct {
	Number int
	URL    string
	// Conflicts are the files left out.
	Conflicts []string
	// Present tells that the target held every change already: no PR.
	Present bool
}

// MergeBackStore is the store of merge-backs; *store.Store implements
// it. A gate whose Store lacks it tracks no merge-back.
type MergeBackStore interface {
	LatestVerdict(ctx context.Context, host policies.Host, repo string, number int) ([]byte, error)
	TrackMergeBack(ctx context.Context, m store.MergeBack) (bool, error)
	MadeMergeBack(ctx context.Context, host policies.Host, repo string, hotfix int, head, conflicts string) error
	OpenedMergeBack(ctx context.Context, host policies.Host, repo string, hotfix, number int, url string) error
	MergedBack(ctx context.Context, host policies.Host, repo string, hotfix int, at time.Time) error
	MergeBackOf(ctx context.Context, host policies.Host, repo string, number int) (store.MergeBack, error)
	MergeBacks(ctx context.Context, host policies.Host, repo string, pending bool) ([]store.MergeBack, error)
	SettleMergeBack(ctx context.Context, host policies.Host, repo string, hotfix int, actor, reason string) error
}

var _ MergeBackStore = (*store.Store)(nil)

// MergeBackMarker is the hidden marker of the comment that links a hotfix
// to its merge-back.
const MergeBackMarker = "<!-- shipgate:merge-back -->"

// afterMerge tracks what a merged change means for merge-backs: the
// merge of a tracked merge-back PR marks its hotfix merged back; the
// merge of a declared hotfix into a release branch opens its merge-back.
// Only the PR Shipgate opened counts, and only merged into its target: a
// PR closed unmerged, retargeted, or one that merely names the hotfix,
// leaves it pending.
func (w *work) afterMerge(ctx context.Context) error {
	if w.snap.State != Merged {
		return nil
	}
	g, repo := w.g, w.repo.Name()
	ms, ok := g.cfg.Store.(MergeBackStore)
	if !ok {
		return nil
	}
	mb, err := ms.MergeBackOf(ctx, g.host, repo, w.number)
	switch {
	case err == nil:
		if mb.State == store.MergeBackMerged {
			return nil
		}
		if !strings.EqualFold(w.snap.Base, mb.Target) {
			// Its base was edited to another branch: the target still
			// lacks the hotfix.
			zerolog.Ctx(ctx).Warn().Int("hotfix", mb.Hotfix).Str("base", w.snap.Base).Str("target", mb.Target).Msg("the merge-back PR merged outside its target: the hotfix stays pending")
			return nil
		}
		return w.mergedBack(ctx, ms, mb)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	lp, err := LoadPolicy(ctx, w.repo, review.PolicyFile, w.snap.Base)
	if err != nil || lp.Policy == nil {
		return err
	}
	h := lp.Policy.Hotfix
	owed, err := h.MergeBackOwed(w.snap.Head, w.snap.Base, func() (bool, error) { return w.declaredHotfix(ctx, ms) })
	if err != nil || !owed {
		return err
	}
	mbk, ok := w.repo.(MergeBacker)
	if !ok {
		// Tracked without a PR it could never be marked merged, and the
		// main line's tags would stay refused: such hosts track none.
		zerolog.Ctx(ctx).Info().Int("hotfix", w.number).Msg("the host opens no merge-back PR: not tracked")
		return nil
	}
	sha := w.snap.HeadSHA
	req := MergeBackRequest{Hotfix: w.number, Title: w.snap.Title, Author: w.snap.Author.Login, Branch: w.snap.Base, Target: h.MergeBackTo}
	created, err := ms.TrackMergeBack(ctx, store.MergeBack{Host: g.host, Repo: repo, Hotfix: w.number, HotfixSHA: sha,
		HotfixAuthor: req.Author, Branch: req.Branch, Target: req.Target, CreatedAt: g.cfg.Now()})
	if err != nil {
		return err
	}
	if !created && !w.unopened(ctx, ms) {
		return nil // opened or settled before: a later event of the merged hotfix
	}
	// A clean backport brings the target nothing it lacks, as when every
	// cherry-pick comes out empty (MergeBackResult.Present).
	if picked, err := w.backportOf(ctx, req.Target); err != nil || picked != "" {
		if err == nil {
			err = w.settleBackport(ctx, ms, req.Target, picked)
		}
		return err
	}
	return w.openMergeBack(ctx, lp.Policy, ms, mbk, req)
}

// mergedBack settles the merge of a merge-back PR into its target. It
// counts only when what merged holds the commit Shipgate left on the
// branch — a branch rewritten without it (by anyone who can push there)
// brings the target none of the hotfix — and, when files conflicted,
// more than that commit: merged as it was opened, it lacks what
// conflicted. Otherwise the hotfix stays pending, its merge-back is
// recorded as not opened, and the hotfix is told: its next event opens a
// new merge-back of what the target still lacks.
func (w *work) mergedBack(ctx context.Context, ms MergeBackStore, mb store.MergeBack) error {
	g, repo := w.g, w.repo.Name()
	why, err := w.mergeBackShortfall(ctx, mb)
	if err != nil || why == "" {
		if err == nil {
			err = ms.MergedBack(ctx, g.host, repo, mb.Hotfix, g.cfg.Now())
		}
		return err
	}
	zerolog.Ctx(ctx).Warn().Int("hotfix", mb.Hotfix).Int("merge_back", w.number).Str("why", why).Msg("the merge-back does not count: the hotfix stays pending")
	ref := g.host.Ref(w.number)
	body := fmt.Sprintf("%s\n%s was merged into `%s`, but %s: it does not count as this hotfix's merge-back, and tags of `%s` stay refused. Comment on this %s to have Shipgate open a new merge-back of what `%s` still lacks.",
		mergeBackRefusedMarker(w.number), ref, mb.Target, why, mb.Target, g.host.ChangeAbbr(), mb.Target)
	// The hotfix is told first: once the merge-back is recorded as not
	// opened, a retry of this job no longer finds it, and would not tell.
	if err := w.commentOnce(ctx, mb.Hotfix, mergeBackRefusedMarker(w.number), body); err != nil {
		return err
	}
	return ms.OpenedMergeBack(ctx, g.host, repo, mb.Hotfix, 0, "")
}

// mergeBackShortfall says why the merged merge-back PR does not bring its
// hotfix, "" when it does. A merge-back recorded without its commit (by a
// version before this check) counts, as it did.
func (w *work) mergeBackShortfall(ctx context.Context, mb store.MergeBack) (string, error) {
	merged := w.snap.HeadSHA
	switch {
	case mb.HeadSHA == "":
		return "", nil
	case merged == mb.HeadSHA && mb.Conflicts != "":
		return fmt.Sprintf("it was merged as Shipgate opened it, without the files that conflicted (%s)", mb.Conflicts), nil
	case merged == mb.HeadSHA:
		return "", nil
	}
	rel, ok := w.repo.(Releaser)
	if !ok {
		return "", fmt.Errorf("the host cannot tell whether %s holds the merge-back's commit", w.g.host.Ref(w.number))
	}
	holds, _, err := rel.Compare(ctx, mb.HeadSHA, merged, false)
	if err != nil {
		return "", err
	}
	if !holds {
		return fmt.Sprintf("its branch no longer held Shipgate's cherry-pick %.7s of the hotfix", mb.HeadSHA), nil
	}
	return "", nil
}

// unopened reports whether the change's merge-back is pending without a
// PR (an earlier try failed on the host).
func (w *work) unopened(ctx context.Context, ms MergeBackStore) bool {
	m, found, err := w.ownMergeBack(ctx, ms, true)
	if err != nil {
		return true // try again; opening finds what it made
	}
	return found && m.Number == 0
}

// ownMergeBack is this change's merge-back as a hotfix, among the pending
// ones or all of them.
func (w *work) ownMergeBack(ctx context.Context, ms MergeBackStore, pending bool) (store.MergeBack, bool, error) {
	all, err := ms.MergeBacks(ctx, w.g.host, w.repo.Name(), pending)
	for _, m := range all {
		if m.Hotfix == w.number {
			return m, true, err
		}
	}
	return store.MergeBack{}, false, err
}

// declaredHotfix reads whether the change's last verdict declared it a
// hotfix: its hotfix rule applied (a hotfix needs an authorised
// declaration, never a branch name alone). A verdict that cannot be read
// counts as a hotfix: a merge-back too many holds the main line's tags
// until it is merged, one too few would let a fix be lost from them.
func (w *work) declaredHotfix(ctx context.Context, ms MergeBackStore) (bool, error) {
	raw, err := ms.LatestVerdict(ctx, w.g.host, w.repo.Name(), w.number)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var v policies.Verdict
	if err := json.Unmarshal(raw, &v); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Int("number", w.number).
			Msg("the change's last verdict cannot be read: it is taken for a hotfix, and merged back")
		return true, nil
	}
	for _, r := range v.Results {
		if r.Rule == "hotfix" && r.Status != policies.Skipped {
			return true, nil
		}
	}
	return false, nil
}

// openMergeBack opens the merge-back PR where the host can, records it,
// and links the hotfix to it.
func (w *work) openMergeBack(ctx context.Context, p *policies.Policy, ms MergeBackStore, mbk MergeBacker, req MergeBackRequest) error {
	g, repo := w.g, w.repo.Name()
	req.Made = func(ctx context.Context, head string, conflicts []string) error {
		return ms.MadeMergeBack(ctx, g.host, repo, req.Hotfix, head, strings.Join(conflicts, ", "))
	}
	res, err := mbk.OpenMergeBack(ctx, req)
	if err != nil {
		return err
	}
	if res.Present {
		return ms.MergedBack(ctx, g.host, repo, req.Hotfix, g.cfg.Now())
	}
	if err := ms.OpenedMergeBack(ctx, g.host, repo, req.Hotfix, res.Number, res.URL); err != nil {
		return err
	}
	if err := w.announceMergeBack(ctx, p, req, res); err != nil {
		return err
	}
	ref := g.host.Ref(res.Number)
	body := fmt.Sprintf("%s\nThis hotfix went into `%s`; Shipgate opened %s to merge it back into `%s`. Tags of `%s` are refused until %s is merged.",
		MergeBackMarker, req.Branch, ref, req.Target, req.Target, ref)
	if len(res.Conflicts) > 0 {
		body += fmt.Sprintf("\n\n@%s: %s conflicted and need your hand there: %s.", req.Author, plural(len(res.Conflicts), "file"), strings.Join(res.Conflicts, ", "))
	}
	return w.linkHotfix(ctx, body)
}

// announceMergeBack tells the release's channel that a merge-back is open
// and holds the main line's tags until it merges.
func (w *work) announceMergeBack(ctx context.Context, p *policies.Policy, req MergeBackRequest, res MergeBackResult) error {
	e := announce.Event{Kind: announce.MergeBackOpen, Repo: w.repo.Name(), Key: fmt.Sprint(req.Hotfix),
		Title:  fmt.Sprintf("Merge-back %s of hotfix %s into %s is open", w.g.host.Ref(res.Number), w.g.host.Ref(req.Hotfix), req.Target),
		Reason: fmt.Sprintf("tags of %s are refused until it is merged", req.Target)}
	if len(res.Conflicts) > 0 {
		e.Lines = append(e.Lines, fmt.Sprintf("%s conflicted (assigned to @%s): %s", plural(len(res.Conflicts), "file"), req.Author, strings.Join(res.Conflicts, ", ")))
	}
	if res.URL != "" {
		e.Links = append(e.Links, templates.SlackLink{Label: w.g.host.Ref(res.Number), URL: res.URL})
	}
	return w.g.announce(ctx, p, e)
}

// linkHotfix comments on the hotfix once (a retried job finds its
// marker).
func (w *work) linkHotfix(ctx context.Context, body string) error {
	return w.commentOnce(ctx, w.number, MergeBackMarker, body)
}

// mergeBackRefusedMarker marks the comment that tells a hotfix its
// merge-back PR number did not count.
func mergeBackRefusedMarker(number int) string {
	return fmt.Sprintf("<!-- shipgate:merge-back-refused:%d -->", number)
}

// commentOnce comments body on change number unless a comment of
// Shipgate's there holds marker already (a retried job).
func (w *work) commentOnce(ctx context.Context, number int, marker, body string) error {
	comments, err := w.repo.Comments(ctx, number)
	if err != nil {
		return err
	}
	for _, c := range comments {
		if strings.Contains(c.Body, marker) && policies.SameLogin(c.Author.Login, w.self) {
			return nil
		}
	}
	_, err = w.repo.CreateComment(ctx, number, body)
	return err
}

// mainLineRefusal says why a tag at a commit of the branches onBranches
// is refused while hotfixes are not merged back into the main line, ""
// when it is not.
func (g *Gate) mainLineRefusal(ctx context.Context, p *policies.Policy, repo string, onBranches []string) (string, error) {
	h := p.Hotfix
	if h == nil || h.MergeBackTo == "" || !containsFold(onBranches, h.MergeBackTo) {
		return "", nil
	}
	ms, ok := g.cfg.Store.(MergeBackStore)
	if !ok {
		return "", nil
	}
	pending, err := ms.MergeBacks(ctx, g.host, repo, true)
	if err != nil {
		return "", err
	}
	var missing []string
	for _, m := range pending {
		if !strings.EqualFold(m.Target, h.MergeBackTo) {
			continue
		}
		s := fmt.Sprintf("hotfix %s (from %s)", g.host.Ref(m.Hotfix), m.Branch)
		if m.Number > 0 {
			s += " via " + g.host.Ref(m.Number)
		}
		missing = append(missing, s)
	}
	if len(missing) == 0 {
		return "", nil
	}
	return fmt.Sprintf("%s is missing %s: merge the merge-back %s, then tag again", h.MergeBackTo, strings.Join(missing, ", "), pluralNoun(len(missing), g.host.ChangeAbbr())), nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// pluralNoun is noun, with an s unless n is 1.
func pluralNoun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
