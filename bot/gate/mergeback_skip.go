package gate

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
)

// skipMergeBack carries out an accepted `/merge-back skip REASON` on this
// change: only merged, and only while its merge-back is pending, it
// settles it in the store with the commenter and the reason in the audit
// log (release-only commits and reverts need not reach the main line).
// Said again (a retried job), it answers that it is settled already.
func (w *work) skipMergeBack(ctx context.Context, actor string, d review.Decision) (review.Decision, error) {
	reason, _ := review.MergeBackSkipReason(d.Command.Args) // Decide accepted it
	ms, ok := w.g.cfg.Store.(MergeBackStore)
	switch {
	case w.snap.State != Merged:
		d.Accepted, d.Reason = false, "only a merged "+w.g.host.ChangeAbbr()+" owes a merge-back: there is nothing to skip yet"
		return d, nil
	case !ok:
		d.Accepted, d.Reason = false, "this Shipgate keeps no merge-backs"
		return d, nil
	}
	err := ms.SettleMergeBack(ctx, w.g.host, w.repo.Name(), w.number, actor, reason)
	if errors.Is(err, store.ErrNotFound) {
		m, found, err := w.ownMergeBack(ctx, ms, false)
		if err != nil || !found || m.State != store.MergeBackMerged {
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
