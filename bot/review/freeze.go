package review

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// KindFreezeChange is the job of a freeze window starting or ending on a
// base branch: the open changes into it are judged again at that instant,
// so a verdict follows the freeze with no event on the change. It is a
// queue job due at the instant: it survives restarts and runs once.
const KindFreezeChange = "freeze.change"

// freezeChange is a KindFreezeChange job's payload.
type freezeChange struct {
	Host       policies.Host
	Repo, Base string
	At         time.Time
}

// ScheduleFreezeChange queues the re-evaluation of the changes into base
// at the next start or end of a freeze window of p after now, once per
// instant (its delivery ID names it), so that every evaluation may ask
// again. A policy without freeze windows schedules nothing.
func ScheduleFreezeChange(ctx context.Context, q bot.Acceptor, host policies.Host, repo, base string, p *policies.Policy, now time.Time) error {
	if p == nil || p.Freeze == nil {
		return nil
	}
	at := p.Freeze.NextChange(now, base)
	if at.IsZero() {
		return nil
	}
	payload, err := json.Marshal(freezeChange{Host: host, Repo: repo, Base: base, At: at})
	if err != nil {
		return err
	}
	id := fmt.Sprintf("freeze:%s:%s@%s:%d", host, repo, base, at.Unix())
	_, err = q.Accept(ctx, store.Delivery{Host: "shipgate", ID: id, Event: "freeze", Action: "change", Payload: payload},
		store.Job{Kind: KindFreezeChange, Key: id, Payload: payload, RunAt: at})
	if err != nil {
		return fmt.Errorf("scheduling the freeze change of %s@%s at %s: %w", repo, base, at.Format(time.RFC3339), err)
	}
	return nil
}

// ChangeJob builds the job that evaluates change number of repo again, for
// a host: reason says why ("freeze" when a window starts or ends,
// "withdrawn" when another change's verdict on its commit was withdrawn),
// cause names the delivery that led to it.
type ChangeJob func(repo string, number int, reason, cause string) (store.Job, error)

// OpenChanges is the part of the store freeze changes read.
type OpenChanges interface {
	OpenPRsInto(ctx context.Context, host policies.Host, repo, baseBranch string) ([]store.PRState, error)
}

// FreezeChanges is the bot.Processor of KindFreezeChange jobs: it queues an
// evaluation of every open change into the base, through the host's
// ChangeJob.
type FreezeChanges struct {
	Store    OpenChanges
	Acceptor bot.Acceptor
	// Jobs maps a host to how its changes are queued.
	Jobs map[policies.Host]ChangeJob
}

var _ bot.Processor = FreezeChanges{}

// Kinds implements bot.Processor.
func (FreezeChanges) Kinds() []string { return []string{KindFreezeChange} }

// Process implements bot.Processor.
func (f FreezeChanges) Process(ctx context.Context, b store.Batch) error {
	for _, j := range b.Jobs {
		var fc freezeChange
		if err := json.Unmarshal(j.Payload, &fc); err != nil {
			return bot.Permanent(fmt.Errorf("decoding freeze change job %d: %w", j.ID, err))
		}
		jobOf, ok := f.Jobs[fc.Host]
		if !ok {
			return bot.Permanent(fmt.Errorf("freeze change of %s: no adapter for host %q", fc.Repo, fc.Host))
		}
		open, err := f.Store.OpenPRsInto(ctx, fc.Host, fc.Repo, fc.Base)
		if err != nil {
			return err
		}
		cause := fmt.Sprintf("freeze:%s:%s@%s:%d", fc.Host, fc.Repo, fc.Base, fc.At.Unix())
		jobs := make([]store.Job, 0, len(open))
		for _, pr := range open {
			job, err := jobOf(fc.Repo, pr.Number, "freeze", cause)
			if err != nil {
				return err
			}
			jobs = append(jobs, job)
		}
		if len(jobs) == 0 {
			continue
		}
		if _, err := f.Acceptor.Accept(ctx, store.Delivery{Host: "shipgate", ID: cause + "/evaluate", Event: "freeze", Action: "evaluate", Payload: j.Payload}, jobs...); err != nil {
			return fmt.Errorf("queueing the changes into %s of %s after a freeze change: %w", fc.Base, fc.Repo, err)
		}
		zerolog.Ctx(ctx).Info().Str(bot.FieldRepo, fc.Repo).Str("base", fc.Base).Time("at", fc.At).Int("queued", len(jobs)).Msg("freeze window changed: open changes queued")
	}
	return nil
}
