package announce

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
)

// KindAnnounce is the job kind of an announcement waiting to be posted.
const KindAnnounce = "announce"

// Queue is the Announcer that work emitting events uses: it queues each
// announced event as a durable job, named by the event, which the
// Processor posts. The work is then neither held up nor failed by Slack
// being down (a tag is validated and deployed whatever Slack does), and
// the post is retried, with backoff, until it goes through.
type Queue struct {
	Acceptor bot.Acceptor
}

var _ Announcer = Queue{}

// Announce implements Announcer: an event the policy does not announce is
// not queued; one queued before is a duplicate.
func (q Queue) Announce(ctx context.Context, e Event) error {
	if _, ok, err := e.route(); !ok {
		return err
	}
	payload, err := json.Marshal(e)
	if err != nil {
		return err
	}
	id := e.onceKey()
	_, err = q.Acceptor.Accept(ctx, store.Delivery{Host: "shipgate", ID: id, Event: "announce", Action: string(e.Kind), Payload: payload},
		store.Job{Kind: KindAnnounce, Key: id, Payload: payload})
	if err != nil {
		return fmt.Errorf("queueing the %s announcement of %s: %w", e.Kind, e.Repo, err)
	}
	return nil
}

// Processor is the bot.Processor of KindAnnounce jobs: it posts them
// through the Notifier, once each.
type Processor struct {
	Notifier *Notifier
}

var _ bot.Processor = Processor{}

// Kinds implements bot.Processor.
func (Processor) Kinds() []string { return []string{KindAnnounce} }

// Process implements bot.Processor.
func (p Processor) Process(ctx context.Context, b store.Batch) error {
	for _, j := range b.Jobs {
		var e Event
		if err := json.Unmarshal(j.Payload, &e); err != nil {
			return bot.Permanent(fmt.Errorf("decoding announcement job %d: %w", j.ID, err))
		}
		if err := p.Notifier.Announce(ctx, e); err != nil {
			return err
		}
	}
	return nil
}
