package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipgate/shipgate/githistory"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
	"github.com/shipgate/shipgate/templates"
)

// notesOptions are the flags of `shipgate notes`.
type notesOptions struct {
	repo, from, to, version, template, date string
	// changelog is the Keep a Changelog file to insert the notes in.
	changelog string
	// component names the version line (components); "" for the repository's.
	component        string
	force            bool
	consumeFragments bool
}

func newNotesCmd() *cobra.Command {
	var o notesOptions
	cmd := &cobra.Command{
		Use:   "notes",
		Short: "Print Markdown release notes for the commits since the previous tag",
		Long: `Print Markdown release notes for the commits in FROM..TO, grouped into
Breaking changes, Features, Fixes, Performance and Other, each entry with
its scope, PR number (or short SHA) and author.

--from defaults to the previous version tag reachable from --to (the whole
history when there is none; on a release line, the line's previous tag),
--to to HEAD and --version to the next version that 'shipgate version next'
computes (with --from: the release that follows the version tag at or
before --from). When that version cannot be computed because the release
line does not take the commits, notes exit 1 with the reason, unless
--version names one. --template renders with your
own Go text/template instead of the built-in one; it receives the same data
and may use {{template "entry" .}} for one entry.

Types in the policy's notes.hide (default docs, chore, ci and test) are
left out, breaking changes never. With --to HEAD, the release-note
fragments of the work tree (release_notes.fragments, default
.changes/*.md: one note per file, with optional front matter
"type: feat") are added to their sections; --consume-fragments deletes
them afterwards, as a local release does.

--component NAME writes a component's notes (policy key components): the
commits since its previous tag (tag_prefix) that change its paths or name
it as their scope, hidden as its notes key says; fragments are left out.

--changelog FILE inserts the notes as the version's section of a Keep a
Changelog file ("## [1.3.0] - 2026-11-22", below the header and an
"## [Unreleased]" section), creating it when absent. The same version
with the same notes changes nothing; with other notes it is an error
unless --force replaces them.`,
		Example: `  shipgate notes > NOTES.md
  shipgate notes --from v1.2.0 --to v1.3.0 --version v1.3.0 --date 2026-11-22
  shipgate notes --template .github/notes.tmpl
  shipgate notes --changelog CHANGELOG.md --consume-fragments
  shipgate notes --component api --changelog services/api/CHANGELOG.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNotes(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, time.Now())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.repo, "repo", ".", "the git repository")
	f.StringVar(&o.from, "from", "", "start after this ref (default: the previous version tag)")
	f.StringVar(&o.to, "to", "HEAD", "end at this ref")
	f.StringVar(&o.version, "version", "", "version in the heading (default: the computed next version)")
	f.StringVar(&o.template, "template", "", "a text/template `FILE` to render with instead of the built-in one")
	f.StringVar(&o.date, "date", "", "release date as YYYY-MM-DD (default: today, UTC)")
	f.StringVar(&o.changelog, "changelog", "", "insert the notes at the top of this Keep a Changelog `FILE` (created when absent)")
	f.BoolVar(&o.force, "force", false, "with --changelog, replace the version's section when its notes differ")
	f.BoolVar(&o.consumeFragments, "consume-fragments", false, "delete the release-note fragments the notes used")
	f.StringVar(&o.component, "component", "", "the `NAME` of a component (policy key components): its commits, tags and notes keys")
	return cmd
}

func runNotes(ctx context.Context, out, errOut io.Writer, o notesOptions, now time.Time) error {
	date := now.UTC()
	if o.date != "" {
		d, err := time.Parse(time.DateOnly, o.date)
		if err != nil {
			return usageError(fmt.Errorf("--date %q: want YYYY-MM-DD, e.g. 2026-11-22", o.date))
		}
		date = d
	}
	if o.consumeFragments && o.to != "HEAD" {
		return usageError(errors.New("--consume-fragments releases the work tree's fragments: use it with --to HEAD (the default)"))
	}
	var custom *templates.Template
	if o.template != "" {
		t, err := templates.ParseNotes(o.template)
		if err != nil {
			return usageError(err)
		}
		custom = t
	}
	rc, err := openReleaseRepo(ctx, o.repo)
	if err != nil {
		return err
	}
	if err := rc.forComponent(o.component); err != nil {
		return err
	}
	if o.consumeFragments && o.component != "" {
		return usageError(errors.New("--consume-fragments: fragments are the repository's, not a component's; leave out --component"))
	}

	commits, previous, version, err := notesRange(ctx, rc, o)
	if err != nil {
		return err
	}
	notes := release.BuildNotes(version, previous, date, commits)
	var fragments []release.Fragment
	if o.to == "HEAD" && o.component == "" { // the work tree's fragments are the repository's next release's
		if fragments, err = rc.readFragments(ctx); err != nil {
			return err
		}
		notes.AddFragments(fragments)
	}
	notes.Hide(rc.settings.NotesHide)
	var buf bytes.Buffer
	if custom != nil {
		err = custom.Execute(&buf, notes)
	} else {
		err = templates.Notes(&buf, notes)
	}
	if err != nil {
		return err
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return err
	}
	if o.changelog != "" {
		if err := updateChangelog(errOut, o, strings.TrimPrefix(version, rc.settings.TagPrefix), date, buf.String()); err != nil {
			return err
		}
	}
	if o.consumeFragments {
		return rc.consumeFragments(ctx, errOut, fragments)
	}
	return nil
}

// notesRange returns the commits of the notes, the previous release and
// the version: the next release's by default, or --from..--to's.
func notesRange(ctx context.Context, rc *releaseRepo, o notesOptions) (commits []policies.Commit, previous, version string, err error) {
	if o.from == "" {
		plan, planCommits, err := rc.plan(ctx, o.to, "")
		var lineErr *release.LineError
		if err != nil && !(o.version != "" && errors.As(err, &lineErr)) {
			return nil, "", "", err // an explicit --version needs no computed one
		}
		commits, previous, version = planCommits, plan.PreviousTag, plan.NextTag
	} else {
		to, err := rc.resolve(ctx, o.to)
		if err != nil {
			return nil, "", "", err
		}
		from, err := rc.resolve(ctx, o.from)
		if err != nil {
			return nil, "", "", err
		}
		if commits, err = rc.repo.CommitsFor(ctx, rc.settings, from, to); err != nil {
			return nil, "", "", err
		}
		commits = rc.settings.Own(commits)
		previous = o.from
		if o.version == "" {
			if version, err = rc.versionAfter(ctx, from, o.to, to, commits); err != nil {
				return nil, "", "", err
			}
		}
	}
	if o.version != "" {
		version = o.version
	}
	return commits, previous, version, nil
}

// versionAfter returns the version that follows --from's release with the
// commits of from..to: release.Next on toRef's branch and release line,
// with the tags reachable from from. It is a past release's version, which
// may exist now: the tags made since are left out.
func (rc *releaseRepo) versionAfter(ctx context.Context, from, toRef, to string, commits []policies.Commit) (string, error) {
	at, err := rc.repo.At(ctx, rc.settings.TagPrefix, githistory.Target{Ref: toRef}, to)
	if err != nil {
		return "", err
	}
	if at.Reachable, err = rc.repo.ReleaseTags(ctx, from, rc.settings.TagPrefix, nil); err != nil {
		return "", err
	}
	at.All = nil
	plan, err := release.Next(rc.settings, at, commits, "")
	if err != nil {
		return "", releaseError(err)
	}
	return plan.NextTag, nil
}
