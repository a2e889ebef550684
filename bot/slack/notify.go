package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	sl "github.com/slack-go/slack"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/templates"
)

// Action IDs of the gate buttons and the rejection modal; the buttons'
// value is the deployment ID.
const (
	ActionApprove  = "deploy_approve"
	ActionReject   = "deploy_reject"
	CallbackReject = "deploy_reject_reason"
	// ActionOverride approves a freeze override; like Reject it asks why.
	ActionOverride   = "deploy_override"
	CallbackOverride = "deploy_override_reason"
	blockReason      = "reason"
)

// view is what a deployment message shows, kept with it in the store.
type view struct {
	templates.SlackDeployment
	// GateID is the deployment whose gate the buttons decide.
	GateID string `json:"gate_id,omitempty"`
	// GateChannel is the waiting gate's own channel (approval.slack_channel)
	// and GateKey the message that asks there, while it is open.
	GateChannel string `json:"gate_channel,omitempty"`
	GateKey     string `json:"gate_key,omitempty"`
	// Shown is the digest of the message as last posted or edited, and
	// Lines those of the thread lines posted (the newest maxLines): the
	// same state again, after a restart too, makes no second call.
	Shown string   `json:"shown,omitempty"`
	Lines []string `json:"lines,omitempty"`
}

// maxLines bounds the thread lines a view remembers.
const maxLines = 50

// digest names rendered content, to tell whether it changed.
func digest(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, _ := json.Marshal(p)
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// messageKey names the one message of a deployed version; a rollback
// threads under the version it replaces.
func messageKey(st *deploy.State) string {
	v := st.Version
	if st.Kind == deploy.KindRollback && st.RolledBack != "" {
		v = st.RolledBack
	}
	if st.Kind == deploy.KindProtection {
		v = fmt.Sprintf("%s protection rule", st.Environment)
	}
	return st.Repo + "@" + v
}

// Notify implements deploy.Notifier: it edits (or first posts) the
// version's message and replies in its thread with n.Line.
func (s *Slack) Notify(ctx context.Context, n deploy.Notice) error {
	st := n.State
	key := messageKey(st)
	m, err := s.cfg.Store.GetSlackMessage(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var v view
	if len(m.View) > 0 {
		if err := json.Unmarshal(m.View, &v); err != nil {
			return fmt.Errorf("decoding the Slack view %s: %w", key, err)
		}
	} else {
		v.Repo, v.Version = st.Repo, strings.TrimPrefix(key, st.Repo+"@")
		v.Release = strings.HasPrefix(st.Trigger, "release")
	}
	update(&v, n)
	// A gate with a channel of its own (approval.slack_channel, DESIGN: it
	// overrides notify.slack.channel for that gate) asks there, in a message
	// of its own with the buttons, edited like this one; the version's
	// message shows the environment waiting.
	shown := v
	if v.GateKey != "" || (v.Gate != nil && v.GateChannel != "" && st.SlackChannel != "" && v.GateChannel != st.SlackChannel) {
		if err := s.gateMessage(ctx, key, &v); err != nil {
			return err
		}
		shown.Gate = nil
	}
	text, blocks, err := render(shown)
	if err != nil {
		return err
	}
	sum := digest(text, blocks)
	if m.TS == "" {
		channel := st.SlackChannel
		if n.Gate != nil && n.Gate.Channel != "" && channel == "" {
			channel = n.Gate.Channel
		}
		if channel == "" {
			return nil // no notify.slack.channel: nothing to say
		}
		ch, ts, err := s.client.PostMessageContext(ctx, channel, sl.MsgOptionText(text, false), sl.MsgOptionBlocks(blocks...))
		if err != nil {
			return fmt.Errorf("posting the Slack message of %s: %w", key, err)
		}
		m = store.SlackMessage{Key: key, Channel: ch, TS: ts}
	} else if sum != v.Shown {
		if _, _, _, err := s.client.UpdateMessageContext(ctx, m.Channel, m.TS, sl.MsgOptionText(text, false), sl.MsgOptionBlocks(blocks...)); err != nil {
			return fmt.Errorf("updating the Slack message of %s: %w", key, err)
		}
	}
	v.Shown = sum
	post := v.remember(n)
	if m.View, err = json.Marshal(v); err != nil {
		return err
	}
	if err := s.cfg.Store.PutSlackMessage(ctx, m); err != nil {
		return err
	}
	if !post {
		return nil
	}
	return s.threadLine(ctx, m, n)
}

// remember records that n's thread line is posted, and reports whether it
// is new. The line is remembered before it is posted: a crash between the
// two loses it rather than posting it twice.
func (v *view) remember(n deploy.Notice) bool {
	st := n.State
	key := digest(st.ID, st.Step, st.Attempt, n.Event, n.Line)
	if n.Line == "" || slices.Contains(v.Lines, key) {
		return false
	}
	v.Lines = append(v.Lines, key)
	v.Lines = v.Lines[max(0, len(v.Lines)-maxLines):]
	return true
}

// threadLine posts n's line in the thread of the message m.
func (s *Slack) threadLine(ctx context.Context, m store.SlackMessage, n deploy.Notice) error {
	var line strings.Builder
	if err := templates.SlackThread(&line, templates.SlackThreadLine{Event: n.Event, Line: n.Line}); err != nil {
		return fmt.Errorf("rendering a Slack thread line: %w", err)
	}
	if _, _, err := s.client.PostMessageContext(ctx, m.Channel, sl.MsgOptionText(line.String(), false), sl.MsgOptionTS(m.TS)); err != nil {
		return fmt.Errorf("replying in the thread of %s: %w", m.Key, err)
	}
	return nil
}

// gateMessage posts or edits the message that asks a gate's own channel,
// with the whole view and, while the gate waits, its buttons; once the
// gate is decided it shows the decision and forgets the message.
func (s *Slack) gateMessage(ctx context.Context, key string, v *view) error {
	gk := v.GateKey
	if gk == "" {
		gk = key + "#gate:" + v.GateID
	}
	m, err := s.cfg.Store.GetSlackMessage(ctx, gk)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	text, blocks, err := render(*v)
	if err != nil {
		return err
	}
	var shown view
	if len(m.View) > 0 {
		_ = json.Unmarshal(m.View, &shown) // an unreadable digest only costs an edit
	}
	sum := digest(text, blocks)
	if m.TS == "" {
		ch, ts, err := s.client.PostMessageContext(ctx, v.GateChannel, sl.MsgOptionText(text, false), sl.MsgOptionBlocks(blocks...))
		if err != nil {
			return fmt.Errorf("asking %s for the gate of %s: %w", v.GateChannel, key, err)
		}
		m = store.SlackMessage{Key: gk, Channel: ch, TS: ts}
	} else if sum != shown.Shown {
		if _, _, _, err := s.client.UpdateMessageContext(ctx, m.Channel, m.TS, sl.MsgOptionText(text, false), sl.MsgOptionBlocks(blocks...)); err != nil {
			return fmt.Errorf("updating the gate message of %s: %w", key, err)
		}
	}
	if m.View, err = json.Marshal(view{Shown: sum}); err != nil {
		return err
	}
	if err := s.cfg.Store.PutSlackMessage(ctx, m); err != nil {
		return err
	}
	if v.Gate == nil {
		v.GateKey, v.GateChannel = "", ""
	} else {
		v.GateKey = gk
	}
	return nil
}

// update applies a notice to the view.
func update(v *view, n deploy.Notice) {
	st := n.State
	name := st.Environment
	if st.Kind == deploy.KindRollback {
		name += " (rollback to " + st.Version + ")"
	}
	status, detail := "running", ""
	switch {
	case st.Status == deploy.StatusSucceeded:
		status = "succeeded"
	case st.Status == deploy.StatusFailed:
		status, detail = "failed", st.Message
	case st.Current() != nil:
		cur := st.Current()
		detail = cur.Name
		if cur.Message != "" {
			detail += ": " + cur.Message
		}
		if n.Gate != nil {
			status = "waiting"
		}
	}
	found := false
	for i := range v.Environments {
		if v.Environments[i].Name == name {
			v.Environments[i].Status, v.Environments[i].Detail = status, detail
			found = true
		}
	}
	if !found {
		v.Environments = append(v.Environments, templates.SlackEnvironment{Name: name, Status: status, Detail: detail})
	}
	if n.Gate != nil {
		v.Gate = &templates.SlackGate{Environment: st.Environment, Required: n.Gate.Required, From: n.Gate.From, Override: n.Gate.Override}
		v.GateID, v.GateChannel = st.ID, n.Gate.Channel
		return
	}
	if v.GateID != st.ID {
		return
	}
	switch n.Event {
	case deploy.EventDecided:
		v.Decisions = append(v.Decisions, fmt.Sprintf("%s at %s", n.Line, st.Now().UTC().Format(time.RFC3339)))
		if cur := st.Current(); cur != nil && (len(cur.Decisions) >= v.Gate.Required || rejected(cur.Decisions)) {
			v.Gate, v.GateID = nil, ""
		}
	case deploy.EventFailed, deploy.EventSucceeded:
		if st.Status == deploy.StatusFailed {
			v.Decisions = append(v.Decisions, fmt.Sprintf("%s at %s", st.Message, st.Now().UTC().Format(time.RFC3339)))
		}
		v.Gate, v.GateID = nil, ""
	}
}

func rejected(ds []deploy.Decision) bool {
	for _, d := range ds {
		if !d.Approve {
			return true
		}
	}
	return false
}

// render builds the message: its text from the template, and the blocks
// (the text as a section, and the buttons while a gate waits).
func render(v view) (string, []sl.Block, error) {
	var b strings.Builder
	if err := templates.SlackMessage(&b, v.SlackDeployment); err != nil {
		return "", nil, fmt.Errorf("rendering a Slack message: %w", err)
	}
	text := b.String()
	blocks := []sl.Block{sl.NewSectionBlock(sl.NewTextBlockObject(sl.MarkdownType, text, false, false), nil, nil)}
	if v.Gate != nil {
		action, label := ActionApprove, "Approve"
		if v.Gate.Override {
			action, label = ActionOverride, "Override"
		}
		approve := sl.NewButtonBlockElement(action, v.GateID, sl.NewTextBlockObject(sl.PlainTextType, label, false, false)).WithStyle(sl.StylePrimary)
		reject := sl.NewButtonBlockElement(ActionReject, v.GateID, sl.NewTextBlockObject(sl.PlainTextType, "Reject", false, false)).WithStyle(sl.StyleDanger)
		blocks = append(blocks, sl.NewActionBlock("deploy_gate", approve, reject))
	}
	return text, blocks, nil
}

// Refuse implements deploy.Notifier: an ephemeral message to the Slack
// user, next to the deployment's message.
func (s *Slack) Refuse(ctx context.Context, n deploy.Notice, who deploy.Actor, why string) error {
	if who.SlackUser == "" {
		return nil
	}
	channel := n.State.SlackChannel
	if m, err := s.cfg.Store.GetSlackMessage(ctx, messageKey(n.State)); err == nil {
		channel = m.Channel
		// The clicker is where the buttons are: a gate's own channel.
		var v view
		if json.Unmarshal(m.View, &v) == nil && v.GateKey != "" {
			if gm, err := s.cfg.Store.GetSlackMessage(ctx, v.GateKey); err == nil {
				channel = gm.Channel
			}
		}
	}
	if channel == "" {
		return nil
	}
	if _, err := s.client.PostEphemeralContext(ctx, channel, who.SlackUser, sl.MsgOptionText("Nothing changed: "+templates.Mrkdwn(why), false)); err != nil {
		return fmt.Errorf("telling %s privately: %w", who.SlackUser, err)
	}
	return nil
}
