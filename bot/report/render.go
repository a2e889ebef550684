package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/shipgate/shipgate/templates"
)

//go:embed report.md.tmpl
var reportTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"inert": templates.Inert,
	"stamp": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"clock": func(t time.Time) string { return t.UTC().Format("01-02 15:04:05") },
	"status": func(s string) string {
		switch s {
		case StatusSucceeded:
			return "succeeded"
		case StatusRolledBack:
			return "was rolled back"
		}
		return "failed"
	},
}).Parse(reportTemplate))

// Markdown renders the report for people: the GitHub or GitLab release
// section and `shipgate report --format md`. User text is made inert.
func Markdown(r Report) (string, error) { return execute("report", r) }

// Slack renders the report's summary for the deployment's Slack thread,
// as plain text: deploy.Notifier implementations make a Notice's Line
// inert (bot/slack escapes it for mrkdwn).
func Slack(r Report) (string, error) { return execute("slack", r) }

// JSON renders the report for machines (`--format json`), indented.
func JSON(r Report) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the report of %s: %w", r.Version, err)
	}
	return append(b, '\n'), nil
}

func execute(name string, r Report) (string, error) {
	var b strings.Builder
	if err := tmpl.ExecuteTemplate(&b, name, r); err != nil {
		return "", fmt.Errorf("rendering the report of %s: %w", r.Version, err)
	}
	return b.String(), nil
}

// The markers around the report's section of a release's notes: the
// section is replaced in place, so attaching twice changes nothing.
const (
	sectionStart = "<!-- shipgate:report -->"
	sectionEnd   = "<!-- /shipgate:report -->"
)

// WithSection returns body with section as its report section: replacing
// the section between the markers when there is one, else appended. The
// rest of the body, written by people or by the release notes, is kept.
func WithSection(body, section string) string {
	block := sectionStart + "\n" + strings.TrimSpace(section) + "\n" + sectionEnd
	if i := strings.Index(body, sectionStart); i >= 0 {
		if j := strings.Index(body[i:], sectionEnd); j >= 0 {
			return body[:i] + block + body[i+j+len(sectionEnd):]
		}
	}
	if strings.TrimSpace(body) == "" {
		return block + "\n"
	}
	return strings.TrimRight(body, "\n") + "\n\n" + block + "\n"
}
