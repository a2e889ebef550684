// Package announce tells Slack of the release's events beyond deployments:
// a release published, a tag refused, a freeze starting or ending, a
// freeze override or a hotfix declared, a release train's plan and cut, a
// merge-back left open, a release report. Producers (the gate, the train
// scheduler, the release report) build an Event and call Announce; the
// Notifier routes it by the policy's notify.slack.events, renders it in
// one layout (templates.SlackAnnounce) and posts it once per event key,
// across redeliveries, retries and restarts.
//
// It is host-neutral: it must not import bot/github, bot/gitlab or the
// Slack SDK; bot/slack implements Poster.
package announce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// Kind is what happened.
type Kind string

// The kinds of events, each announced under its policy event
// (notify.slack.events), which Kind.Event returns.
const (
	ReleasePublished Kind = "release_published"
	TagRefused       Kind = "tag_refused"
	FreezeStarted    Kind = "freeze_started"
	FreezeEnded      Kind = "freeze_ended"
	FreezeOverridden Kind = "freeze_override"
	HotfixDeclared   Kind = "hotfix_declared"
	TrainPlanned     Kind = "train_planned"
	TrainCut         Kind = "train_cut"
	TrainPostponed   Kind = "train_postponed"
	TrainSkipped     Kind = "train_skipped"
	MergeBackOpen    Kind = "merge_back_open"
	ReleaseReport    Kind = "release_report"
)

// Event returns the notify.slack.events entry that routes k.
func (k Kind) Event() string {
	switch k {
	case FreezeStarted, FreezeEnded:
		return policies.EventFreeze
	case TrainPlanned, TrainCut, TrainPostponed, TrainSkipped:
		return policies.EventTrain
	}
	return string(k)
}

// Event is one thing to announce.
type Event struct {
	Kind Kind
	Repo string
	// Key names the event: an event with the same Kind, Repo and Key is
	// announced once, whatever redeliveries, retries and restarts happen
	// (e.g. the tag and its commit, the train's scheduled time).
	Key string
	// Notify is the policy's notify settings, which route the event.
	Notify policies.Notify
	// Title says what happened, in a line ("Release v1.4.0 published").
	Title string
	// Actor and Reason say who did it and why ("" when nobody did).
	Actor, Reason string
	// Lines are more sentences; Items a list (the PRs of a train); Text
	// a preformatted block (release notes, a report).
	Lines []string
	Items []string
	Text  string
	// Links point at the PR, the release, the deployment.
	Links []templates.SlackLink
}

// route is the channel the policy announces e in; ok is false when it
// does not announce e. An announced event without a key or repository is
// an error: it could not be told from its redelivery.
func (e Event) route() (channel string, ok bool, err error) {
	channel, ok = e.Notify.Channel(e.Kind.Event())
	if ok && (e.Key == "" || e.Repo == "") {
		return "", false, fmt.Errorf("%w (%s of %q)", ErrUnkeyed, e.Kind, e.Repo)
	}
	return channel, ok, nil
}

// onceKey is the event's key in the once-only store.
func (e Event) onceKey() string {
	return "announce:" + string(e.Kind) + ":" + e.Repo + ":" + e.Key
}

// Announcer announces events. Announce returns nil for an event the
// policy does not announce, or one announced before; an error asks the
// caller to retry (the event is then still unannounced).
type Announcer interface {
	Announce(ctx context.Context, e Event) error
}

// Poster posts a message (Slack's chat.postMessage); bot/slack implements
// it.
type Poster interface {
	PostAnnouncement(ctx context.Context, channel, text string) (ts string, err error)
}

// Once is the store's once-only work; *store.Store implements it.
type Once interface {
	ClaimOnce(ctx context.Context, key, holder string, lease time.Duration) (bool, error)
	FinishOnce(ctx context.Context, key, holder, note string) error
	ReleaseOnce(ctx context.Context, key, holder string) error
}

var _ Once = (*store.Store)(nil)

// Notifier is the Announcer on Slack.
type Notifier struct {
	Poster Poster
	Once   Once
	// Holder names this process in once-only claims (the worker's name).
	Holder string
	// Lease is how long a claim waits for its post before another try
	// may post (default one minute): a process that dies between the post
	// and recording it is the only way an event is posted twice.
	Lease time.Duration
}

var _ Announcer = (*Notifier)(nil)

// ErrUnkeyed is Announce's error for an event without a Key: it could not
// be told from its redelivery.
var ErrUnkeyed = errors.New("announce: an event needs a key")

// Announce implements Announcer.
func (n *Notifier) Announce(ctx context.Context, e Event) error {
	channel, ok, err := e.route()
	if !ok {
		return err
	}
	var text bytes.Buffer
	if err := templates.SlackAnnounce(&text, render(e)); err != nil {
		return fmt.Errorf("rendering the %s announcement of %s: %w", e.Kind, e.Repo, err)
	}
	key, lease := e.onceKey(), n.Lease
	if lease <= 0 {
		lease = time.Minute
	}
	mine, err := n.Once.ClaimOnce(ctx, key, n.Holder, lease)
	if err != nil || !mine {
		return err
	}
	ts, err := n.Poster.PostAnnouncement(ctx, channel, text.String())
	if err != nil {
		// Nothing was posted: free the claim for the retry.
		if rerr := n.Once.ReleaseOnce(context.WithoutCancel(ctx), key, n.Holder); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("announcing %s of %s in %s: %w", e.Kind, e.Repo, channel, err)
	}
	if err := n.Once.FinishOnce(context.WithoutCancel(ctx), key, n.Holder, channel+" "+ts); err != nil {
		// Posted: a retry would post it again; say so and carry on.
		zerolog.Ctx(ctx).Warn().Err(err).Str(bot.FieldRepo, e.Repo).Str("kind", string(e.Kind)).Msg("announced, but not recorded as announced")
	}
	zerolog.Ctx(ctx).Info().Str(bot.FieldRepo, e.Repo).Str("kind", string(e.Kind)).Str("channel", channel).Msg("announced")
	return nil
}

// emoji leads each kind's message.
var emoji = map[Kind]string{
	ReleasePublished: ":rocket:",
	TagRefused:       ":no_entry:",
	FreezeStarted:    ":snowflake:",
	FreezeEnded:      ":sunny:",
	FreezeOverridden: ":warning:",
	HotfixDeclared:   ":fire_engine:",
	TrainPlanned:     ":calendar:",
	TrainCut:         ":steam_locomotive:",
	TrainPostponed:   ":double_vertical_bar:",
	TrainSkipped:     ":fast_forward:",
	MergeBackOpen:    ":leftwards_arrow_with_hook:",
	ReleaseReport:    ":clipboard:",
}

// render lays e out.
func render(e Event) templates.SlackAnnouncement {
	a := templates.SlackAnnouncement{Emoji: emoji[e.Kind], Title: e.Title, Repo: e.Repo, Items: e.Items, Text: e.Text, Links: e.Links}
	switch {
	case e.Actor != "" && e.Reason != "":
		a.Lines = append(a.Lines, fmt.Sprintf("by @%s: %s", e.Actor, e.Reason))
	case e.Actor != "":
		a.Lines = append(a.Lines, "by @"+e.Actor)
	case e.Reason != "":
		a.Lines = append(a.Lines, e.Reason)
	}
	a.Lines = append(a.Lines, e.Lines...)
	return a
}
