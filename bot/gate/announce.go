package gate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/announce"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
	"github.com/shipgate/shipgate/templates"
)

// announce hands e to the Announcer; without one (no Slack) it does
// nothing. It goes before the effect that marks the work done (a tag's
// status, a command's record), so that a retry announces what a failure
// left unannounced, and the announcer's once-key keeps it to one message.
func (g *Gate) announce(ctx context.Context, p *policies.Policy, e announce.Event) error {
	if g.cfg.Announcer == nil || p == nil {
		return nil
	}
	e.Notify = p.Notify
	return g.cfg.Announcer.Announce(ctx, e)
}

// announceTag announces a checked tag: a release published (with its
// notes, whether or not deployments follow) or a tag refused and why. rel
// holds the commits since the previous version.
func (g *Gate) announceTag(ctx context.Context, p *policies.Policy, repo string, rep review.TagReport, rel Release, actor string) error {
	e := announce.Event{Repo: repo, Key: rep.Tag + "@" + rep.SHA, Actor: actor}
	if rep.Valid() {
		e.Kind, e.Title = announce.ReleasePublished, "Release "+rep.Tag+" published"
		e.Actor = ""
		e.Text = releaseNotes(p, rel, g.cfg.Now)
		if rel.Previous != "" {
			e.Lines = append(e.Lines, fmt.Sprintf("%s since %s", plural(len(rel.Commits), "commit"), rel.Previous))
		}
		if rep.ReleaseURL != "" {
			e.Links = append(e.Links, templates.SlackLink{Label: "release " + rep.Tag, URL: rep.ReleaseURL})
		}
		return g.announce(ctx, p, e)
	}
	e.Kind, e.Title = announce.TagRefused, "Tag "+rep.Tag+" refused"
	var why []string
	for _, pr := range rep.Problems {
		why = append(why, pr.Message)
	}
	for _, s := range []string{rep.PolicyError, rep.Refused} {
		if s != "" {
			why = append(why, s)
		}
	}
	e.Reason = strings.Join(why, "; ")
	return g.announce(ctx, p, e)
}

// releaseNotes renders the notes of rel for an announcement, hiding what
// the policy's notes.hide hides; "" when there are none.
func releaseNotes(p *policies.Policy, rel Release, now func() time.Time) string {
	n := release.BuildNotes(rel.Tag, rel.Previous, now(), rel.Commits)
	n.Hide(p.NotesHide())
	if n.Empty() {
		return ""
	}
	var b strings.Builder
	if err := templates.Notes(&b, n); err != nil {
		return ""
	}
	return strings.TrimSpace(b.String())
}

// announceCommand announces an accepted `/override-freeze REASON` or
// `/hotfix REASON`: who and why, linked to the change.
func (w *work) announceCommand(ctx context.Context, e Event, d review.Decision) error {
	var kind announce.Kind
	var title string
	switch d.Command.Name {
	case "override-freeze":
		kind, title = announce.FreezeOverridden, fmt.Sprintf("Freeze override declared on %s", w.ref())
	case "hotfix":
		kind, title = announce.HotfixDeclared, fmt.Sprintf("Hotfix declared on %s", w.ref())
	default:
		return nil
	}
	ev := announce.Event{Kind: kind, Repo: w.repo.Name(), Key: fmt.Sprintf("%d/%d/%d", w.number, e.Comment.ID, d.Index),
		Title: title, Actor: e.Comment.Author, Reason: strings.TrimSpace(d.Command.Args)}
	ev.Lines = append(ev.Lines, w.snap.Title)
	if w.snap.URL != "" {
		ev.Links = append(ev.Links, templates.SlackLink{Label: w.ref(), URL: w.snap.URL})
	}
	return w.g.announce(ctx, w.policy.Policy, ev)
}

// plural writes "1 commit", "2 commits".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
