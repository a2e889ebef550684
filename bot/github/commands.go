package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// laterCommand reports whether a command of the table belongs to a feature
// this adapter does not run yet (it is answered "not enabled yet"), and
// names the feature.
func laterCommand(name string) (feature string, later bool) {
	switch name {
	case "release":
		return "releases", true
	case "deploy", "rollback":
		return "deployments", true
	case "approve-deploy", "reject-deploy":
		return "deployment gates", true
	}
	return "", false
}

// defaultHoldLabel is the hold label when no valid policy says another.
const defaultHoldLabel = "do-not-merge/hold"

// decision is what Shipgate does with one command of a comment.
type decision struct {
	// Index is the command's position among the comment's commands.
	Index   int
	Command policies.Command
	// Accepted commands get a 👍; refused ones a line in the reply.
	Accepted bool
	// Reason says why a command was refused, or what an accepted one did.
	Reason string
	// AddLabels and RemoveLabels are the label changes it makes.
	AddLabels, RemoveLabels []string
	// Help asks for the /help table in the reply.
	Help bool
}

// decide is the pure part of command handling: what each command of a
// comment by author does on change under p (a permissive empty policy when
// the base branch has none or an invalid one). change.Permissions holds
// the author's role; change.Labels the PR's current labels.
func decide(p *policies.Policy, change *policies.Change, author policies.Actor, cmds []policies.Command) []decision {
	out := make([]decision, 0, len(cmds))
	for i, cmd := range cmds {
		d := decision{Index: i, Command: cmd}
		if what, later := laterCommand(cmd.Name); later {
			d.Reason = fmt.Sprintf("/%s is not enabled yet: this Shipgate does not run %s", cmd.Name, what)
			out = append(out, d)
			continue
		}
		if ok, why := p.Authorize(cmd, author, change); !ok {
			d.Reason = why
			out = append(out, d)
			continue
		}
		d.Accepted = true
		args := strings.ToLower(cmd.Args)
		switch cmd.Name {
		case "hold":
			if args == "cancel" {
				d.RemoveLabels = present(change.Labels, holdLabel(p))
			} else {
				d.AddLabels = absent(change.Labels, holdLabel(p))
			}
		case "unhold":
			d.RemoveLabels = present(change.Labels, holdLabel(p))
		case "semver":
			b := policies.Bump(args)
			if b.Rank() < 0 {
				d.Accepted, d.Reason = false, "give one of major, minor, patch or none: `/semver minor`"
				break
			}
			if p.Semver == nil {
				break
			}
			for _, bump := range []policies.Bump{policies.BumpMajor, policies.BumpMinor, policies.BumpPatch, policies.BumpNone} {
				label, ok := p.Semver.Labels[bump]
				switch {
				case !ok:
				case bump == b:
					d.AddLabels = absent(change.Labels, label)
				default:
					d.RemoveLabels = append(d.RemoveLabels, present(change.Labels, label)...)
				}
			}
		case "change":
			if args == "" {
				d.Accepted, d.Reason = false, "give the change-record ID: `/change ABC-123`"
			}
		case "release-note":
			if args == "" {
				d.Accepted, d.Reason = false, "give the note on the same line: `/release-note Fixes the login timeout`, or use `/release-note-none`"
			}
		case "help":
			d.Help = true
		}
		out = append(out, d)
	}
	return out
}

// holdLabel is the policy's hold label.
func holdLabel(p *policies.Policy) string {
	if p.Hold.Label != "" {
		return p.Hold.Label
	}
	return defaultHoldLabel
}

// present returns label when labels has it (so that nothing is removed in
// vain); absent when it does not.
func present(labels []string, label string) []string {
	if hasLabel(labels, label) {
		return []string{label}
	}
	return nil
}

func absent(labels []string, label string) []string {
	if hasLabel(labels, label) {
		return nil
	}
	return []string{label}
}

func hasLabel(labels []string, label string) bool {
	for _, l := range labels {
		if strings.EqualFold(l, label) {
			return true
		}
	}
	return false
}

// helpEntries is the /help table: the commands of policies.Commands that
// this adapter runs, with who may give them under p.
func helpEntries(p *policies.Policy) []templates.HelpEntry {
	var out []templates.HelpEntry
	for _, spec := range policies.Commands {
		if _, later := laterCommand(spec.Name); later {
			continue
		}
		role := spec.Role
		if r, ok := p.Commands[spec.Name]; ok {
			role = r
		}
		who := role.String() + " access"
		if spec.AuthorMay {
			who += ", or the author"
		}
		if (spec.Name == "approve" || spec.Name == "lgtm") && !authorMayApprove(p) {
			who += "; not the author"
		}
		out = append(out, templates.HelpEntry{Command: spec.Name, Args: spec.Args, Who: who, Help: spec.Help})
	}
	return out
}

// authorMayApprove mirrors policies' rule: some approval rule lets the
// author's own approval count.
func authorMayApprove(p *policies.Policy) bool {
	for _, r := range p.Approvals {
		if r.AllowAuthor {
			return true
		}
	}
	return p.Hotfix != nil && p.Hotfix.Approval != nil && p.Hotfix.Approval.AllowAuthor
}

// runCommands carries out the commands of a new comment: each is recorded
// once (store.RecordCommand, keyed by comment ID and index) and audited;
// accepted ones get a 👍 and their label changes; refused, unknown and
// /help ones get one reply. Label changes and the reaction are repeated
// when the job itself is retried (retry is true), as they are idempotent;
// the reply and the audit entry are not.
func (w *prWork) runCommands(ctx context.Context, ev Event, retry bool) error {
	cm := ev.Comment
	cmds := policies.ParseCommands(cm.Body)
	if len(cmds) == 0 || cm.Bot {
		return nil
	}
	s := w.s
	author := policies.Actor{Login: cm.Author}
	perm, err := s.permission(ctx, cm.Author)
	if err != nil {
		return err
	}
	authChange := &policies.Change{
		Host: "github", Repo: w.repoRef(), Number: w.number, Author: actor(w.pr.GetUser()),
		Labels: w.labels(), Permissions: map[string]policies.Permission{strings.ToLower(cm.Author): perm},
	}
	p := w.policyForCommands()
	decisions := decide(p, authChange, author, cmds)
	log := zerolog.Ctx(ctx)
	var reply templates.Reply
	reply.Actor = cm.Author
	react, act, replyNeeded := false, retry, false
	for _, d := range decisions {
		inserted, err := w.a.cfg.Store.RecordCommand(ctx, store.CommandRecord{
			Host: "github", Repo: s.repo, Number: w.number, CommentID: cm.ID, Index: d.Index, Actor: cm.Author,
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
		switch {
		case d.Accepted && d.Help:
			react = true
			reply.Help = helpEntries(p)
			replyNeeded = replyNeeded || inserted
		case d.Accepted:
			react = true
		default:
			reply.Refusals = append(reply.Refusals, templates.Refusal{Command: commandText(d.Command), Reason: d.Reason})
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

// commandText is a command as typed.
func commandText(c policies.Command) string {
	if c.Args == "" {
		return "/" + c.Name
	}
	return "/" + c.Name + " " + c.Args
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
func (w *prWork) auditCommand(ctx context.Context, ev Event, d decision) error {
	outcome := "refused"
	if d.Accepted {
		outcome = "accepted"
	}
	detail, _ := json.Marshal(map[string]any{
		"comment_id": ev.Comment.ID, "index": d.Index, "command": d.Command.Name, "args": d.Command.Args, "reason": d.Reason,
	})
	_, err := w.a.cfg.Store.AppendAudit(ctx, store.AuditEvent{
		At: w.a.cfg.Now(), Host: "github", Repo: w.s.repo, Number: w.number, Kind: store.AuditCommand,
		Actor: ev.Comment.Author, Subject: commandText(d.Command), Outcome: outcome, Detail: detail, DeliveryID: ev.DeliveryID,
	})
	if err != nil {
		return fmt.Errorf("auditing /%s on %s#%d: %w", d.Command.Name, w.s.repo, w.number, err)
	}
	return nil
}
