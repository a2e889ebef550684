package github

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// runCommands carries out the commands of a new comment: each is recorded
// once (store.RecordCommand, keyed by comment ID and index) and audited;
// accepted ones get a 👍 and their label changes; refused, unknown and
// /help ones get one reply. Label changes and the reaction are repeated
// when the job itself is retried (retry is true), as they are idempotent;
// the reply and the audit entry are not.
func (w *prWork) runCommands(ctx context.Context, ev Event, retry bool) error {
	cm := ev.Comment
	cmds := policies.ParseCommands(cm.Body)
	if len(cmds) == 0 || cm.Bot || strings.EqualFold(cm.Author, w.a.knownSelf()) {
		return nil // a bot's comment, or Shipgate's own, is never a command
	}
	s := w.s
	author := policies.Actor{Login: cm.Author}
	perm, err := s.permission(ctx, cm.Author)
	if err != nil {
		return err
	}
	authChange := &policies.Change{
		Host: policies.GitHub, Repo: w.repoRef(), Number: w.number, Author: actorOf(w.pr.GetUser()),
		BaseBranch: w.pr.GetBase().GetRef(), HeadBranch: w.pr.GetHead().GetRef(),
		Labels: w.labels(), Permissions: map[string]policies.Permission{strings.ToLower(cm.Author): perm},
	}
	p := w.policyForCommands()
	features := w.a.features()
	decisions := review.Decide(p, authChange, author, cmds, features)
	for i, d := range decisions {
		if d.Command.Name == "release" {
			decisions[i] = w.decideRelease(p, authChange, author, d)
		}
	}
	log := zerolog.Ctx(ctx)
	var reply templates.Reply
	reply.Actor = cm.Author
	react, act, replyNeeded := false, retry, false
	for _, d := range decisions {
		inserted, err := w.a.cfg.Store.RecordCommand(ctx, store.CommandRecord{
			Host: policies.GitHub, Repo: s.repo, Number: w.number, CommentID: cm.ID, Index: d.Index, Actor: cm.Author,
			Name: d.Command.Name, Args: d.Command.Args, Accepted: d.Accepted, Reason: d.Reason, At: cm.CreatedAt,
		})
		if err != nil {
			return fmt.Errorf("recording /%s of comment %d on %s#%d: %w", d.Command.Name, cm.ID, s.repo, w.number, err)
		}
		if inserted {
			act = true
			if err := w.auditCommand(ctx, ev, d); err != nil {
				return err
			}
			log.Info().Str("command", d.Command.Name).Bool("accepted", d.Accepted).Str("reason", d.Reason).Msg("command")
		}
		if !inserted && !retry {
			continue // recorded by an earlier delivery: nothing is repeated
		}
		if d.Accepted && d.Command.Name == "release" {
			if !inserted {
				continue // cut once, when first recorded: never from a moved branch
			}
			if d.Reason = w.cutRelease(ctx, ev, d.Command.Args); d.Reason != "" {
				d.Accepted = false
			}
		}
		if d.Accepted && deploy.IsCommand(d.Command.Name) {
			// The orchestrator dedupes by comment and index, so a retry
			// asks it again and gets the same answer without a second effect.
			accepted, text, err := w.a.deployer.Command(ctx, deploy.CommandRequest{
				Host: policies.GitHub, Repo: s.repo, Number: w.number, Command: d.Command, Actor: author, Change: authChange,
				Dedupe: fmt.Sprintf("%d:%d", cm.ID, d.Index),
			})
			if err != nil {
				return fmt.Errorf("running /%s of comment %d on %s#%d: %w", d.Command.Name, cm.ID, s.repo, w.number, err)
			}
			d.Accepted, d.Reason = accepted, text
		}
		switch {
		case d.Accepted && d.Reason != "" && d.Command.Name != "release":
			react = true
			reply.Done = append(reply.Done, templates.Refusal{Command: review.CommandText(d.Command), Reason: d.Reason})
			replyNeeded = replyNeeded || inserted
		case d.Accepted && d.Help:
			react = true
			reply.Help = review.HelpEntries(p, features)
			replyNeeded = replyNeeded || inserted
		case d.Accepted:
			react = true
		default:
			reply.Refusals = append(reply.Refusals, templates.Refusal{Command: review.CommandText(d.Command), Reason: d.Reason})
			replyNeeded = replyNeeded || inserted
		}
	}
	if !act {
		return nil
	}
	for _, d := range decisions {
		if !d.Accepted {
			continue
		}
		if err := w.changeLabels(ctx, d.AddLabels, d.RemoveLabels); err != nil {
			return err
		}
	}
	if react {
		// POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions
		if _, _, err := s.gh.Reactions.CreateIssueCommentReaction(ctx, s.owner, s.name, cm.ID, "+1"); err != nil {
			return s.wrap(err, "reacting to comment %d on %s#%d", cm.ID, s.repo, w.number)
		}
	}
	if replyNeeded {
		body, err := templates.String(templates.RenderReply, reply)
		if err != nil {
			return err
		}
		// POST /repos/{owner}/{repo}/issues/{issue_number}/comments
		if _, _, err := s.gh.Issues.CreateComment(ctx, s.owner, s.name, w.number, &gh.IssueComment{Body: &body}); err != nil {
			return s.wrap(err, "replying to comment %d on %s#%d", cm.ID, s.repo, w.number)
		}
	}
	return nil
}

// changeLabels adds and removes labels and keeps the PR's label list in
// step: POST /repos/{owner}/{repo}/issues/{issue_number}/labels and DELETE
// /repos/{owner}/{repo}/issues/{issue_number}/labels/{name} (a label
// already gone is no error).
func (w *prWork) changeLabels(ctx context.Context, add, remove []string) error {
	s := w.s
	if len(add) > 0 {
		labels, _, err := s.gh.Issues.AddLabelsToIssue(ctx, s.owner, s.name, w.number, add)
		if err != nil {
			return s.wrap(err, "adding labels %v to %s#%d", add, s.repo, w.number)
		}
		w.pr.Labels = labels
	}
	for _, l := range remove {
		// go-github puts the name in the path as it is: "a/b" must be escaped.
		_, err := s.gh.Issues.RemoveLabelForIssue(ctx, s.owner, s.name, w.number, url.PathEscape(l))
		if err != nil && !isNotFound(err) {
			return s.wrap(err, "removing label %s from %s#%d", l, s.repo, w.number)
		}
		kept := w.pr.Labels[:0:0]
		for _, have := range w.pr.Labels {
			if !strings.EqualFold(have.GetName(), l) {
				kept = append(kept, have)
			}
		}
		w.pr.Labels = kept
	}
	return nil
}

// auditCommand appends a command to the audit log.
func (w *prWork) auditCommand(ctx context.Context, ev Event, d review.Decision) error {
	_, err := w.a.cfg.Store.AppendAudit(ctx, review.CommandAudit(policies.GitHub, w.s.repo, w.number, ev.Comment.ID, ev.Comment.Author, ev.DeliveryID, d, w.a.cfg.Now()))
	if err != nil {
		return fmt.Errorf("auditing /%s on %s#%d: %w", d.Command.Name, w.s.repo, w.number, err)
	}
	return nil
}
