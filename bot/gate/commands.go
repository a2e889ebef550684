package gate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// features are the command families the gate runs on this repository.
func (w *work) features() review.Features {
	_, releases := w.repo.(Releaser)
	return review.Features{Releases: releases, Deployments: w.g.cfg.Deployer != nil}
}

// answer is what a comment's commands get back.
type answer struct {
	reply  templates.Reply
	react  bool
	needed bool // the reply has something new to say
}

// runCommands carries out the commands of a new comment: each is recorded
// once (store.RecordCommand, keyed by comment ID and index) and audited;
// accepted ones get a 👍 and their label changes; refused, unknown and
// /help ones get one reply. Label changes and the reaction are repeated
// when the batch itself is retried, as they are idempotent; the reply,
// the audit entry, a release and a deployment command are not.
func (w *work) runCommands(ctx context.Context, e Event) error {
	cm, err := w.trustedComment(ctx, e.Comment)
	if err != nil || cm == nil {
		return err
	}
	e.Comment = cm
	cmds := policies.ParseCommands(cm.Body)
	if len(cmds) == 0 || cm.Bot || policies.SameLogin(cm.Author, w.self) {
		return nil // a bot's comment, or Shipgate's own, is never a command
	}
	perm, err := w.repo.Role(ctx, cm.Author)
	if err != nil {
		return err
	}
	author := policies.Actor{Login: cm.Author}
	authChange := w.snap.Change(w.g.host, w.repo.Name())
	authChange.Permissions = map[string]policies.Permission{strings.ToLower(cm.Author): perm}
	p := review.PolicyForCommands(w.policy.Policy)
	features := w.features()
	decisions := review.Decide(p, authChange, author, cmds, features)
	for i, d := range decisions {
		if d.Command.Name == "release" {
			decisions[i] = w.decideRelease(p, authChange, author, d)
		}
	}
	a := answer{reply: templates.Reply{Actor: cm.Author}}
	act := w.retry
	for _, d := range decisions {
		inserted, err := w.recordCommand(ctx, e, d)
		if err != nil {
			return err
		}
		act = act || inserted
		if !inserted && (!w.retry || d.Accepted && d.Command.Name == "release") {
			// Recorded by an earlier delivery: nothing is repeated; a
			// release is cut once, when first recorded, never from a base
			// branch that moved since.
			continue
		}
		if d, err = w.carryOut(ctx, e, d, authChange); err != nil {
			return err
		}
		if d.Accepted {
			if err := w.announceCommand(ctx, e, d); err != nil {
				return err
			}
		}
		a.add(d, inserted, p, features)
	}
	if !act {
		return nil
	}
	return w.answer(ctx, cm.ID, decisions, a)
}

// trustedComment is the comment of a comment event as the host has it,
// where its events cannot be taken as sent (CommentReader); nil when it
// runs no command: gone, or edited before Shipgate saw it created.
func (w *work) trustedComment(ctx context.Context, sent *Comment) (*Comment, error) {
	r, ok := w.repo.(CommentReader)
	if !ok {
		return sent, nil
	}
	c, found, err := r.ReadComment(ctx, w.number, sent.ID)
	switch {
	case err != nil:
		return nil, err
	case !found:
		zerolog.Ctx(ctx).Warn().Int64("comment", sent.ID).Str("sender", sent.Author).Msg("a comment event names no comment of this change: no command run")
		return nil, nil
	case c.Edited:
		zerolog.Ctx(ctx).Info().Int64("comment", sent.ID).Msg("comment edited before its creation was processed: no command run")
		return nil, nil
	}
	return &c, nil
}

// add puts a decision into the answer. An accepted command is
// acknowledged once, by what it visibly did: its reply, its label change,
// else a 👍 (Prow's way: a label is its own acknowledgement).
func (a *answer) add(d review.Decision, inserted bool, p *policies.Policy, f review.Features) {
	switch {
	case d.Accepted && d.Reason != "":
		a.reply.Done = append(a.reply.Done, templates.Refusal{Command: review.CommandText(d.Command), Reason: d.Reason})
		a.needed = a.needed || inserted
	case d.Accepted && d.Help:
		a.reply.Help = review.HelpEntries(p, f)
		a.needed = a.needed || inserted
	case d.Accepted && len(d.AddLabels)+len(d.RemoveLabels) > 0:
	case d.Accepted:
		a.react = true
	default:
		a.reply.Refusals = append(a.reply.Refusals, templates.Refusal{Command: review.CommandText(d.Command), Reason: d.Reason})
		a.needed = a.needed || inserted
	}
}

// answer makes the label changes of the accepted commands, reacts to the
// comment and replies.
func (w *work) answer(ctx context.Context, commentID int64, decisions []review.Decision, a answer) error {
	var add, remove []string
	for _, d := range decisions {
		if d.Accepted {
			add, remove = append(add, d.AddLabels...), append(remove, d.RemoveLabels...)
		}
	}
	if len(add) > 0 || len(remove) > 0 {
		if err := w.repo.SetLabels(ctx, w.number, add, remove); err != nil {
			return err
		}
		w.snap.Labels = relabel(w.snap.Labels, add, remove)
	}
	if a.react {
		if err := w.repo.React(ctx, w.number, commentID); err != nil {
			return err
		}
	}
	if !a.needed {
		return nil
	}
	body, err := templates.String(templates.RenderReply, a.reply)
	if err != nil {
		return err
	}
	_, err = w.repo.CreateComment(ctx, w.number, body)
	return err
}

// recordCommand records a decision once, and audits it when it is new.
func (w *work) recordCommand(ctx context.Context, e Event, d review.Decision) (inserted bool, err error) {
	g, cm := w.g, e.Comment
	inserted, err = g.cfg.Store.RecordCommand(ctx, store.CommandRecord{
		Host: g.host, Repo: w.repo.Name(), Number: w.number, CommentID: cm.ID, Index: d.Index, Actor: cm.Author,
		Name: d.Command.Name, Args: d.Command.Args, Accepted: d.Accepted, Reason: d.Reason, At: cm.CreatedAt,
	})
	if err != nil {
		return false, fmt.Errorf("recording /%s of comment %d on %s: %w", d.Command.Name, cm.ID, w.ref(), err)
	}
	if !inserted {
		return false, nil
	}
	audit := review.CommandAudit(g.host, w.repo.Name(), w.number, cm.ID, cm.Author, e.DeliveryID, d, g.cfg.Now())
	if _, err := g.cfg.Store.AppendAudit(ctx, audit); err != nil {
		return false, fmt.Errorf("auditing /%s on %s: %w", d.Command.Name, w.ref(), err)
	}
	zerolog.Ctx(ctx).Info().Str("command", d.Command.Name).Bool("accepted", d.Accepted).Str("reason", d.Reason).Msg("command")
	return true, nil
}

// carryOut does what an accepted release or deployment command asks and
// returns the decision with its outcome.
func (w *work) carryOut(ctx context.Context, e Event, d review.Decision, authChange *policies.Change) (review.Decision, error) {
	cm := e.Comment
	switch {
	case !d.Accepted:
	case d.Command.Name == "release":
		if why := w.cutRelease(ctx, e, d.Command.Args); why != "" {
			d.Accepted, d.Reason = false, why
		}
	case d.Command.Name == "merge-back":
		return w.skipMergeBack(ctx, cm.Author, d)
	case deploy.IsCommand(d.Command.Name):
		// The orchestrator dedupes by comment and index, so a retry asks it
		// again and gets the same answer without a second effect.
		accepted, text, err := w.g.cfg.Deployer.Command(ctx, deploy.CommandRequest{
			Host: w.g.host, Repo: w.repo.Name(), Number: w.number, Command: d.Command, Actor: policies.Actor{Login: cm.Author},
			Change: authChange, Dedupe: fmt.Sprintf("%d:%d", cm.ID, d.Index),
		})
		if err != nil {
			return d, fmt.Errorf("running /%s of comment %d on %s: %w", d.Command.Name, cm.ID, w.ref(), err)
		}
		d.Accepted, d.Reason = accepted, text
	}
	return d, nil
}

// decideRelease decides `/release [VERSION]`, which review.Decide leaves
// to the gate: the commenter needs the role the policy's commands table
// gives it (maintain by default), and the change must be merged.
func (w *work) decideRelease(p *policies.Policy, change *policies.Change, author policies.Actor, d review.Decision) review.Decision {
	d.Accepted, d.Reason = false, ""
	switch ok, why := p.Authorize(d.Command, author, change); {
	case !ok:
		d.Reason = why
	case w.snap.State != Merged:
		d.Reason = "only a merged " + templates.Report{Host: w.g.host}.Noun() + " can cut a release: merge it first"
	default:
		d.Accepted = true
	}
	return d
}

// cutRelease carries out an accepted `/release [VERSION]` on a merged
// change (Releaser.CutRelease), then starts the release's deployments. It
// runs once per command: the command is recorded first, so that a retried
// job never cuts a second release from a base branch that moved; a failure
// is therefore not retried either, and is told to the commenter with the
// advice to repeat the command. It returns why nothing was released, ""
// when the release was cut.
func (w *work) cutRelease(ctx context.Context, e Event, version string) (refusal string) {
	refusal, err := w.release(ctx, e, version)
	if err != nil {
		id := bot.NewErrorID()
		zerolog.Ctx(ctx).Error().Err(err).Str(bot.FieldErrorID, id).Msg("/release failed")
		return fmt.Sprintf("the release could not be cut: something failed on Shipgate's side (error ID `%s`; Shipgate's log has the details under that ID); comment `/release` again to retry", id)
	}
	return refusal
}

// closedCommands runs the comments of a closed change that give /release
// (a merged change cuts a release from its base branch); a closed change is
// not evaluated, and its other comments are not commands any more.
func (w *work) closedCommands(ctx context.Context) error {
	loaded := false
	for _, e := range w.events {
		c := e.Comment
		if c == nil || c.Edited || c.Deleted || !slices.ContainsFunc(policies.ParseCommands(c.Body), func(cmd policies.Command) bool { return cmd.Name == "release" || cmd.Name == "merge-back" }) {
			continue
		}
		if !loaded {
			var err error
			if w.policy, err = LoadPolicy(ctx, w.repo, review.PolicyFile, w.snap.Base); err != nil {
				return err
			}
			loaded = true
		}
		if err := w.runCommands(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// relabel is labels with add added and remove removed.
func relabel(labels, add, remove []string) []string {
	out := make([]string, 0, len(labels)+len(add))
	for _, l := range labels {
		if !slices.ContainsFunc(remove, func(r string) bool { return strings.EqualFold(r, l) }) {
			out = append(out, l)
		}
	}
	for _, a := range add {
		if !slices.ContainsFunc(out, func(l string) bool { return strings.EqualFold(a, l) }) {
			out = append(out, a)
		}
	}
	return out
}
