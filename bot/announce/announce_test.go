package announce_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/bot/store"
	_ "github.com/shipgate/shipgate/bot/store/drivers"
	"github.com/shipgate/shipgate/internal/fakeslack"
	"github.com/shipgate/shipgate/internal/golden"
	"github.com/shipgate/shipgate/internal/testclock"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

const token = "xoxb-announce"

// world is a store, a fake Slack and a Notifier on them; restart builds a
// new Notifier and Slack client on the same store, as a new process.
type world struct {
	t     *testing.T
	clock *testclock.Clock
	st    *store.Store
	fake  *fakeslack.Server
	n     *announce.Notifier
}

func newWorld(t *testing.T) *world {
	clock := testclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	st, err := store.OpenWith(context.Background(), filepath.Join(t.TempDir(), "s.db"), store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{t: t, clock: clock, st: st, fake: fakeslack.New(t, token)}
	w.restart("replica-1")
	return w
}

func (w *world) restart(holder string) {
	sl, err := slack.New(slack.Config{BotToken: token, SigningSecret: "s", APIURL: w.fake.URL(), Store: w.st, Logger: zerolog.Nop()})
	if err != nil {
		w.t.Fatal(err)
	}
	w.n = &announce.Notifier{Poster: sl, Once: w.st, Holder: holder}
}

var notify = policies.Notify{SlackChannel: "#releases", Events: map[string]string{
	policies.EventReleasePublished: "#releases",
	policies.EventTagRefused:       "#release-alerts",
	policies.EventFreeze:           "#ops",
	policies.EventFreezeOverride:   "#ops",
	policies.EventHotfixDeclared:   "#ops",
	policies.EventTrain:            "#trains",
	policies.EventMergeBackOpen:    "#release-alerts",
	policies.EventReleaseReport:    "#releases",
}}

// everyKind is one event of each kind, with where it must land.
var everyKind = []struct {
	e       announce.Event
	channel string
}{
	{announce.Event{Kind: announce.ReleasePublished, Key: "v1.4.0@abc", Title: "Release v1.4.0 published", Text: "## Features\n- checkout (#12)",
		Links: []templates.SlackLink{{Label: "release", URL: "https://github.com/acme/shop/releases/tag/v1.4.0"}}}, "#releases"},
	{announce.Event{Kind: announce.TagRefused, Key: "v9.0.0@abc", Title: "Tag v9.0.0 refused", Actor: "mallory", Reason: "v9.0.0 skips versions: the next is v1.4.0"}, "#release-alerts"},
	{announce.Event{Kind: announce.FreezeStarted, Key: "year-end@1", Title: "Freeze year-end started"}, "#ops"},
	{announce.Event{Kind: announce.FreezeEnded, Key: "year-end@2", Title: "Freeze year-end ended"}, "#ops"},
	{announce.Event{Kind: announce.FreezeOverridden, Key: "pr-3-c-9", Title: "Freeze overridden on #3", Actor: "carol", Reason: "payment outage"}, "#ops"},
	{announce.Event{Kind: announce.HotfixDeclared, Key: "pr-4-c-2", Title: "Hotfix declared on #4", Actor: "carol", Reason: "CVE-2026-1"}, "#ops"},
	{announce.Event{Kind: announce.TrainPlanned, Key: "20261208T090000Z", Title: "Release train v1.5.0 leaves Tue 8 Dec 10:00 CET", Items: []string{"#12 feat: checkout", "#14 fix: cart"}}, "#trains"},
	{announce.Event{Kind: announce.MergeBackOpen, Key: "pr-9", Title: "Merge-back of v1.4.1 still open"}, "#release-alerts"},
	{announce.Event{Kind: announce.ReleaseReport, Key: "v1.4.0", Title: "Release v1.4.0 closed", Text: "lead time 2d"}, "#releases"},
}

func TestEachEventIsAnnouncedOnceInItsChannelAcrossRedeliveriesAndARestart(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	announceAll := func() {
		t.Helper()
		for _, k := range everyKind {
			e := k.e
			e.Repo, e.Notify = "acme/shop", notify
			if err := w.n.Announce(ctx, e); err != nil {
				t.Fatalf("%s: %v", e.Kind, err)
			}
		}
	}
	announceAll()
	announceAll() // redelivered
	w.restart("replica-2")
	announceAll() // after a restart, on another replica
	msgs := w.fake.Messages()
	if len(msgs) != len(everyKind) {
		t.Fatalf("%d messages, want %d:\n%v", len(msgs), len(everyKind), msgs)
	}
	for i, k := range everyKind {
		if msgs[i].Channel != k.channel || !strings.Contains(msgs[i].Text, k.e.Title) {
			t.Errorf("%s: in %s: %q; want in %s", k.e.Kind, msgs[i].Channel, msgs[i].Text, k.channel)
		}
	}
	var all strings.Builder
	for _, m := range msgs {
		all.WriteString(m.Channel + "\n" + m.Text + "\n---\n")
	}
	golden.Assert(t, "every_kind", []byte(all.String()))
}

func TestAnEventThePolicyDoesNotChooseIsNotAnnounced(t *testing.T) {
	w := newWorld(t)
	only := policies.Notify{SlackChannel: "#releases", Events: map[string]string{policies.EventReleasePublished: "#releases"}}
	for _, k := range everyKind {
		e := k.e
		e.Repo, e.Notify = "acme/shop", only
		if err := w.n.Announce(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := w.fake.Messages(); len(msgs) != 1 || msgs[0].Channel != "#releases" || !strings.Contains(msgs[0].Text, "published") {
		t.Errorf("messages: %v", msgs)
	}
}

func TestAFailedPostIsRetriedAndPostedOnce(t *testing.T) {
	w := newWorld(t)
	e := everyKind[0].e
	e.Repo, e.Notify = "acme/shop", notify
	w.fake.FailNext("chat.postMessage", 1)
	if err := w.n.Announce(context.Background(), e); err == nil {
		t.Fatal("a failed post reported success")
	}
	if err := w.n.Announce(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if err := w.n.Announce(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if msgs := w.fake.Messages(); len(msgs) != 1 {
		t.Errorf("%d messages, want 1", len(msgs))
	}
}

func TestAReplicaThatDiedMidPostLeavesTheEventToAnotherAfterTheLease(t *testing.T) {
	w := newWorld(t)
	e := everyKind[0].e
	e.Repo, e.Notify = "acme/shop", notify
	// Replica 1 claimed the event and died before posting.
	if ok, err := w.st.ClaimOnce(context.Background(), "announce:release_published:acme/shop:"+e.Key, "replica-1", time.Minute); err != nil || !ok {
		t.Fatal(ok, err)
	}
	w.restart("replica-2")
	if err := w.n.Announce(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if n := len(w.fake.Messages()); n != 0 {
		t.Fatalf("posted while the other replica's claim ran")
	}
	w.clock.Advance(time.Minute)
	if err := w.n.Announce(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if n := len(w.fake.Messages()); n != 1 {
		t.Errorf("%d messages after the lease passed, want 1", n)
	}
}

func TestUserTextCannotMentionOrLink(t *testing.T) {
	w := newWorld(t)
	e := announce.Event{Kind: announce.HotfixDeclared, Repo: "acme/shop", Key: "x", Notify: notify, Title: "Hotfix declared on #4",
		Actor: "mallory", Reason: "<!channel> see <https://evil.example|docs>", Text: "```\n<!here>",
		Links: []templates.SlackLink{{Label: "PR", URL: "javascript:alert(1)"}, {Label: "ok", URL: "https://github.com/acme/shop/pull/4"}}}
	if err := w.n.Announce(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	text := w.fake.Messages()[0].Text
	for _, bad := range []string{"<!channel>", "<!here>", "<https://evil", "javascript:"} {
		if strings.Contains(text, bad) {
			t.Errorf("message holds %q:\n%s", bad, text)
		}
	}
	if strings.Count(text, "```") != 2 {
		t.Errorf("the text closed its block early:\n%s", text)
	}
	if !strings.Contains(text, "<https://github.com/acme/shop/pull/4|ok>") {
		t.Errorf("the safe link is missing:\n%s", text)
	}
}

func TestAnEventWithoutAKeyIsRefused(t *testing.T) {
	w := newWorld(t)
	err := w.n.Announce(context.Background(), announce.Event{Kind: announce.TagRefused, Repo: "acme/shop", Notify: notify})
	if err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("err = %v", err)
	}
}
