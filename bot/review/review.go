// Package review owns the host-neutral part of reviewing a pull or merge
// request in the bot: what the commands of a comment do (Decide), the /help
// table, the hold label, the outcome published for an evaluation (Outcome:
// conclusion, title, summary and sticky-comment text, and their digest),
// and the records an evaluation and a command leave (InputsDigest,
// EvaluationRecords, CommandAudit). Host adapters (bot/github, bot/gitlab)
// fetch, call it, and publish what it returns.
//
// It does no I/O. It must not import a host SDK, a host adapter or actions/.
package review

import (
	"fmt"
	"strings"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// DefaultHoldLabel is the hold label when no valid policy names another.
const DefaultHoldLabel = "do-not-merge/hold"

// Features are the command families beyond reviewing that a host's
// adapter runs; the others are answered "not enabled" and left out of
// /help.
type Features struct {
	// Releases: /release cuts a release.
	Releases bool
	// Deployments: /deploy, /rollback, /approve-deploy, /reject-deploy.
	Deployments bool
}

// Runs reports whether the adapter runs the command; when not, feature
// names what it would need.
func (f Features) Runs(name string) (feature string, ok bool) {
	switch name {
	case "release":
		return "releases", f.Releases
	case "deploy", "rollback":
		return "deployments", f.Deployments
	case "approve-deploy", "reject-deploy":
		return "deployment gates", f.Deployments
	}
	return "", true
}

// Decision is what Shipgate does with one command of a comment.
type Decision struct {
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

// Decide is the pure part of command handling: what each command of a
// comment by author does on change under p (use PolicyForCommands when
// the base branch has no valid policy). change.Permissions holds the
// author's role; change.Labels the change's current labels.
func Decide(p *policies.Policy, change *policies.Change, author policies.Actor, cmds []policies.Command, f Features) []Decision {
	out := make([]Decision, 0, len(cmds))
	for i, cmd := range cmds {
		d := Decision{Index: i, Command: cmd}
		if what, ok := f.Runs(cmd.Name); !ok {
			d.Reason = fmt.Sprintf("/%s is not enabled: this Shipgate does not run %s here", cmd.Name, what)
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
				d.RemoveLabels = present(change.Labels, HoldLabel(p))
			} else {
				d.AddLabels = absent(change.Labels, HoldLabel(p))
			}
		case "unhold":
			d.RemoveLabels = present(change.Labels, HoldLabel(p))
		case "semver":
			if name, b, ok := policies.ParseComponentSemver(args); ok {
				d = decideComponentSemver(p, change, d, name, b) // `/semver api minor`
				break
			}
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
		case "hotfix":
			d = decideHotfix(p, change, d)
		case "merge-back":
			if _, ok := MergeBackSkipReason(cmd.Args); !ok {
				d.Accepted, d.Reason = false, "write `/merge-back skip REASON`: why this change need not reach "+mergeBackTarget(p)
			}
		case "override-freeze":
			d = decideOverride(p, d)
		case "help":
			d.Help = true
		}
		out = append(out, d)
	}
	return out
}

// decideHotfix refuses a /hotfix that cannot declare one: no reason, no
// hotfix key, or a head or base the policy does not take. The verdict
// then applies it (see policies' hotfix rule).
func decideHotfix(p *policies.Policy, change *policies.Change, d Decision) Decision {
	h := p.Hotfix
	switch {
	case strings.EqualFold(d.Command.Args, "cancel"):
	case d.Command.Args == "":
		d.Accepted, d.Reason = false, "give the reason on the same line, as the audit trail keeps it: `/hotfix checkout crashes on expired cards`"
	case h == nil:
		d.Accepted, d.Reason = false, "the policy has no hotfix key, so nothing is a hotfix here"
	case change.HeadBranch != "" && !globsMatch(h.Branches, change.HeadBranch):
		d.Accepted, d.Reason = false, "head branch "+change.HeadBranch+" is not a hotfix branch (hotfix.branches): open the fix from one"
	case change.BaseBranch != "" && !globsMatch(h.Into, change.BaseBranch):
		d.Accepted, d.Reason = false, "a hotfix goes into a release line (hotfix.into), not "+change.BaseBranch+"; retarget the change"
	}
	return d
}

// decideOverride refuses an /override-freeze that cannot count: no reason,
// or no override in the policy. Whether the giver is in
// freeze.override.from (teams included) and a window is active when it is
// given, the verdict decides, and says.
func decideOverride(p *policies.Policy, d Decision) Decision {
	switch {
	case strings.TrimSpace(d.Command.Args) == "":
		d.Accepted, d.Reason = false, "give the reason on the same line, as the audit trail keeps it: `/override-freeze fixes the payment outage`"
	case p.Freeze == nil || p.Freeze.Override == nil:
		d.Accepted, d.Reason = false, "the policy's freeze has no override: a frozen change waits until the window ends"
	}
	return d
}

func globsMatch(globs []policies.Glob, name string) bool {
	for _, g := range globs {
		if g.Match(name) {
			return true
		}
	}
	return false
}

// PolicyForCommands is the policy commands are authorised by: p, or an
// empty one (default roles, default hold label) when the base branch has
// none or an invalid one (p nil).
func PolicyForCommands(p *policies.Policy) *policies.Policy {
	if p != nil {
		return p
	}
	return &policies.Policy{}
}

// HoldLabel is the policy's hold label.
func HoldLabel(p *policies.Policy) string {
	if p.Hold.Label != "" {
		return p.Hold.Label
	}
	return DefaultHoldLabel
}

// present returns label when labels has it (so that nothing is removed in
// vain); absent when it does not.
func present(labels []string, label string) []string {
	if HasLabel(labels, label) {
		return []string{label}
	}
	return nil
}

func absent(labels []string, label string) []string {
	if HasLabel(labels, label) {
		return nil
	}
	return []string{label}
}

// HasLabel reports whether labels holds label, ignoring case as hosts do.
func HasLabel(labels []string, label string) bool {
	for _, l := range labels {
		if strings.EqualFold(l, label) {
			return true
		}
	}
	return false
}

// HelpEntries is the /help table: the commands of policies.Commands that
// the adapter runs (f), with who may give them under p.
func HelpEntries(p *policies.Policy, f Features) []templates.HelpEntry {
	var out []templates.HelpEntry
	for _, spec := range policies.Commands {
		if _, ok := f.Runs(spec.Name); !ok {
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
		if (spec.Name == "approve" || spec.Name == "lgtm") && !p.AuthorMayApprove() {
			who += "; not the author"
		}
		out = append(out, templates.HelpEntry{Command: spec.Name, Args: spec.Args, Who: who, Help: spec.Help})
	}
	return out
}

// CommandText is a command as typed.
func CommandText(c policies.Command) string {
	if c.Args == "" {
		return "/" + c.Name
	}
	return "/" + c.Name + " " + c.Args
}

// MergeBackSkipReason is the reason of `/merge-back skip REASON`'s
// arguments; ok is false when they are not "skip" and a reason.
func MergeBackSkipReason(args string) (reason string, ok bool) {
	verb, reason, _ := strings.Cut(strings.TrimSpace(args), " ")
	reason = strings.TrimSpace(reason)
	return reason, strings.EqualFold(verb, "skip") && reason != ""
}

// mergeBackTarget names the branch merge-backs go into, for messages.
func mergeBackTarget(p *policies.Policy) string {
	if p.Hotfix != nil && p.Hotfix.MergeBackTo != "" {
		return "`" + p.Hotfix.MergeBackTo + "`"
	}
	return "the main line"
}
