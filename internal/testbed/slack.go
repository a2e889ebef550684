package testbed

import (
	"fmt"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/internal/fakeslack"
)

// slackToken is the bot token of a world's fake Slack.
const slackToken = "xoxb-testbed"

// WithSlack gives the world a fake Slack that Shipgate announces release
// events to (notify.slack.events), and rebuilds the adapters with it, as
// a restart would.
func (g *GitHub) WithSlack() *fakeslack.Server {
	g.Slack = fakeslack.New(g.t, slackToken)
	g.Restart()
	return g.Slack
}

// WithSlack is GitHub.WithSlack for a GitLab world.
func (g *GitLab) WithSlack() *fakeslack.Server {
	g.Slack = fakeslack.New(g.t, slackToken)
	g.Restart()
	return g.Slack
}

// announcer is the world's announcer: events are queued as jobs, which
// announceProcessor posts to the fake Slack; nil without Slack.
func (w *world) announcer() announce.Announcer {
	if w.Slack == nil {
		return nil
	}
	return announce.Queue{Acceptor: w.Store}
}

// announceProcessor posts queued announcements to the fake Slack, as a
// new process would: its own Slack client and once-only holder.
func (w *world) announceProcessor() announce.Processor {
	sl, err := slack.New(slack.Config{BotToken: slackToken, SigningSecret: "testbed", APIURL: w.Slack.URL(), Store: w.Store, Now: w.Clock.Now, Logger: zerolog.Nop()})
	if err != nil {
		w.t.Fatal(err)
	}
	w.seq++
	return announce.Processor{Notifier: &announce.Notifier{Poster: sl, Once: w.Store, Holder: fmt.Sprintf("testbed-%d-%d", w.replica, w.seq)}}
}
