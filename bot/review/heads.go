package review

import (
	"context"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// HeadStore keeps the heads a change had. *store.Store implements it.
type HeadStore interface {
	RecordHead(ctx context.Context, host policies.Host, repo string, number int, h store.Head) error
	Heads(ctx context.Context, host policies.Host, repo string, number int) ([]store.Head, error)
}

// Heads records head as the change's current head (its first sighting
// kept), then returns every head the change had, as Evaluate reads them:
// an approval of an earlier head counts while the content is the same.
// Nil when there are none.
func Heads(ctx context.Context, st HeadStore, host policies.Host, repo string, number int, head store.Head) ([]policies.Head, error) {
	if err := st.RecordHead(ctx, host, repo, number, head); err != nil {
		return nil, err
	}
	stored, err := st.Heads(ctx, host, repo, number)
	if err != nil || len(stored) == 0 {
		return nil, err
	}
	out := make([]policies.Head, 0, len(stored))
	for _, h := range stored {
		out = append(out, policies.Head{SHA: h.SHA, Since: h.Since, Content: h.Content})
	}
	return out, nil
}

// OpenOnHead is the part of the store that finds the changes on a commit.
type OpenOnHead interface {
	OpenPRsWithHead(ctx context.Context, host policies.Host, repo, sha string) ([]store.PRState, error)
}

// RequeueOthers queues an evaluation of every open change of repo whose
// head is sha, other than number, whose verdict there was just withdrawn:
// each publishes its own verdict for its own base. One delivery per
// withdrawal, at now.
func RequeueOthers(ctx context.Context, st OpenOnHead, q bot.Acceptor, job ChangeJob, host policies.Host, repo string, number int, sha string, now time.Time) error {
	others, err := st.OpenPRsWithHead(ctx, host, repo, sha)
	if err != nil {
		return err
	}
	id := fmt.Sprintf("withdrawn/%s:%s#%d@%s/%d", host, repo, number, sha, now.UnixMicro())
	var jobs []store.Job
	for _, o := range others {
		if o.Number == number {
			continue
		}
		j, err := job(repo, o.Number, "withdrawn", id)
		if err != nil {
			return err
		}
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		return nil
	}
	if _, err := q.Accept(ctx, store.Delivery{Host: string(host), ID: id, Event: "withdrawn", Payload: []byte("{}")}, jobs...); err != nil {
		return fmt.Errorf("queueing the changes on %.7s of %s: %w", sha, repo, err)
	}
	return nil
}
