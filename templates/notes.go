package templates

import (
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

//go:embed notes.md.tmpl
var notesFS embed.FS

// notesName is the embedded release-notes template's name.
const notesName = "notes.md.tmpl"

// notes is parsed once; a template is safe for concurrent Execute.
var notes = template.Must(template.New(notesName).Funcs(funcs()).ParseFS(notesFS, notesName))

// funcs are the functions every template may call:
//   - date formats a time.Time as 2006-01-02 (UTC);
//   - indent prefixes every line of a string with n spaces.
func funcs() template.FuncMap {
	return template.FuncMap{
		"date": func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"indent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
		},
	}
}

// Notes renders Markdown release notes from data (a release.Notes) with
// the embedded template: a `## VERSION (DATE)` heading, one `### Title`
// per section and one `- **scope:** text (#PR) by @author` line per entry.
func Notes(w io.Writer, data any) error {
	if err := notes.ExecuteTemplate(w, notesName, data); err != nil {
		return fmt.Errorf("rendering release notes: %w", err)
	}
	return nil
}

// Template is a user's template, parsed from a file.
type Template struct {
	file string
	tmpl *template.Template
}

// ParseNotes reads and parses a user's release-notes template (the
// `--template FILE` override). It sees the same data and functions as the
// embedded one and may reuse its `{{template "entry" .}}` block. Errors
// name the file.
func ParseNotes(file string) (*Template, error) {
	content, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading release-notes template: %w", err)
	}
	t, err := notes.Clone()
	if err != nil {
		return nil, fmt.Errorf("parsing release-notes template %s: %w", file, err)
	}
	if _, err := t.New(filepath.Base(file)).Parse(string(content)); err != nil {
		return nil, fmt.Errorf("parsing release-notes template %s: %w", file, err)
	}
	return &Template{file: file, tmpl: t}, nil
}

// Execute renders data with the template. Errors name the file.
func (t *Template) Execute(w io.Writer, data any) error {
	if err := t.tmpl.ExecuteTemplate(w, filepath.Base(t.file), data); err != nil {
		return fmt.Errorf("rendering release notes with %s: %w", t.file, err)
	}
	return nil
}
