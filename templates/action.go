package templates

import (
	"embed"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/shipgate/shipgate/policies/release"
)

//go:embed action.md.tmpl
var actionFS embed.FS

// actionName is the embedded job-summary template's name.
const actionName = "action.md.tmpl"

// action is the job summary, parsed once beside a copy of the verdict
// templates so that the check's summary is the check run's.
var action = template.Must(template.Must(verdicts.Clone()).Funcs(template.FuncMap{
	"plan": func(p release.Plan) (string, error) {
		var b strings.Builder
		err := Plan(&b, p)
		return strings.TrimSuffix(b.String(), "\n"), err
	},
	"group": func(r MergeGroupReport) (string, error) { return String(MergeGroupSummary, r) },
}).ParseFS(actionFS, actionName))

// ActionReport is the Action's job summary of one command. Set the parts
// the command produced; the template shows them in a fixed order.
type ActionReport struct {
	// Command is the command that ran (check, version, notes, release).
	Command string
	// Subject names what it was about: "acme/widgets#42", a tag, a branch.
	Subject string
	// Err says why the command could not run; nothing else is shown.
	Err string
	// Skipped says why the command had nothing to do on this event.
	Skipped string
	// Refused says why the policy does not let the commits be released
	// (commits that their release line does not take).
	Refused string
	// Check is the check's report, rendered as the check run's summary.
	Check *Report
	// Group is a merge group's report, rendered as the bot's check run
	// summary of the group.
	Group *MergeGroupReport
	// Tag is a tag's validation.
	Tag *TagReport
	// Plan is the next version.
	Plan *release.Plan
	// TagCreated is the tag the Action created, "" when none.
	TagCreated string
	// ReleaseURL is the release created or updated (ReleaseCreated false).
	ReleaseURL     string
	ReleaseCreated bool
	// Notes are the rendered release notes.
	Notes string
}

// TagReport is the validation of a version tag.
type TagReport struct {
	Name, SHA string
	// Problems are release.ValidateTag's; none when the tag is valid.
	Problems []release.Problem
}

// ActionSummary renders the Action's Markdown job summary.
func ActionSummary(w io.Writer, r ActionReport) error {
	if err := action.ExecuteTemplate(w, actionName, r); err != nil {
		return fmt.Errorf("rendering the job summary: %w", err)
	}
	return nil
}
