package announce_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/store"
)

func TestQueuedEventsArePostedByTheirJobsOnceAndRetriedWhileSlackIsDown(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	q := announce.Queue{Acceptor: w.st}
	e := everyKind[0].e
	e.Repo, e.Notify = "acme/shop", notify
	// Emitted twice (a redelivered tag): queued once; an event the policy
	// does not announce is not queued at all.
	for range 2 {
		if err := q.Announce(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	quiet := e
	quiet.Notify.Events = nil
	if err := q.Announce(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	p := announce.Processor{Notifier: w.n}
	claim := func() []store.Batch {
		t.Helper()
		b, err := w.st.Claim(ctx, "w", time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	batches := claim()
	if len(batches) != 1 || len(batches[0].Jobs) != 1 {
		t.Fatalf("batches: %+v", batches)
	}
	w.fake.FailNext("chat.postMessage", 1)
	if err := p.Process(ctx, batches[0]); err == nil {
		t.Fatal("a post Slack refused reported success")
	}
	if err := w.st.Retry(ctx, batches[0].Lease, batches[0].Jobs[0].ID, nil, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	batches = claim()
	if len(batches) != 1 {
		t.Fatalf("the failed announcement is not retried: %+v", batches)
	}
	if err := p.Process(ctx, batches[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.st.Complete(ctx, batches[0].Lease, batches[0].IDs()...); err != nil {
		t.Fatal(err)
	}
	if msgs := w.fake.Messages(); len(msgs) != 1 || msgs[0].Channel != "#releases" {
		t.Errorf("messages: %+v", msgs)
	}
}

func TestTheQueueRefusesAnUnkeyedEventItWouldAnnounce(t *testing.T) {
	w := newWorld(t)
	q := announce.Queue{Acceptor: w.st}
	e := announce.Event{Kind: announce.TagRefused, Repo: "acme/shop", Notify: notify}
	if err := q.Announce(context.Background(), e); !errors.Is(err, announce.ErrUnkeyed) {
		t.Errorf("queueing an announced event without a key: err = %v, want ErrUnkeyed", err)
	}
	e.Notify.Events = nil
	if err := q.Announce(context.Background(), e); err != nil {
		t.Errorf("an event the policy does not announce needs no key: err = %v", err)
	}
}
