// Package presets holds the starter policies that `shipgate policy init`
// writes: short, commented `.shipgate.yml` files, one embedded template per
// preset, rendered with facts read from the repository (its default
// branch, CODEOWNERS, PR template). It is pure: the caller detects the
// facts and writes the file. It must not import anything that does I/O
// (githistory, bot/, actions/, cmd/).
package presets

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/template"
)

//go:embed *.yml.tmpl
var files embed.FS

// parsed holds every preset's template, parsed once.
var parsed = template.Must(template.New("").Funcs(template.FuncMap{
	"yaml":     yamlString,
	"yamlList": yamlList,
}).ParseFS(files, "*.yml.tmpl"))

// names are the presets in the order `policy init --help` lists them.
var names = []string{"minimal", "regulated", "deploy"}

// Facts are what `policy init` learnt about the repository.
type Facts struct {
	// DefaultBranch is the branch the policy gates and tags from, e.g.
	// "main"; "" renders "main".
	DefaultBranch string
	// Owner is the repository's owner (org or user) from its origin URL,
	// used to name placeholder teams (@OWNER/release-managers); "" renders
	// "your-org".
	Owner string
	// CodeOwners is the CODEOWNERS file's path, "" when there is none.
	CodeOwners string
	// PRTemplate is the pull request template's path, "" when none.
	PRTemplate string
	// ReleaseNoteSection is the template's heading for release notes
	// (e.g. "Release note"), "" when it has none.
	ReleaseNoteSection string
	// ChangeSections are the template's change-control headings (e.g.
	// "Change record", "Testing"); empty when it has none.
	ChangeSections []string
}

// Names returns the preset names.
func Names() []string { return slices.Clone(names) }

// Render returns the policy file of the named preset for facts.
func Render(name string, facts Facts) ([]byte, error) {
	if !slices.Contains(names, name) {
		return nil, fmt.Errorf("unknown preset %q; allowed values: %s", name, strings.Join(names, ", "))
	}
	if facts.DefaultBranch == "" {
		facts.DefaultBranch = "main"
	}
	if facts.Owner == "" {
		facts.Owner = "your-org"
	}
	var buf bytes.Buffer
	if err := parsed.ExecuteTemplate(&buf, name+".yml.tmpl", facts); err != nil {
		return nil, fmt.Errorf("rendering the %s preset: %w", name, err)
	}
	return buf.Bytes(), nil
}

// yamlString quotes s as a YAML double-quoted scalar: a JSON string is
// one, so a branch or heading with `:` or `#` stays a plain value.
func yamlString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// yamlList writes a YAML flow sequence of quoted strings.
func yamlList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = yamlString(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
