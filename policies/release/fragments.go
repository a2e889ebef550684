package release

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// DefaultFragments is where release-note fragments live when the policy's
// release_notes.fragments does not say.
const DefaultFragments = ".changes/*.md"

// FragmentsOf returns the glob of p's release-note fragments:
// release_notes.fragments, else DefaultFragments (also for a nil p).
func FragmentsOf(p *policies.Policy) policies.Glob {
	if p != nil && p.ReleaseNotes != nil && p.ReleaseNotes.Fragments != nil {
		return *p.ReleaseNotes.Fragments
	}
	g, _ := policies.NewGlob(DefaultFragments) // a valid constant
	return g
}

// Fragment is one release-note file (`.changes/add-csv.md`): one change's
// note, written in the PR instead of a commit subject, collected into the
// next release's notes and removed on release, as changesets does.
type Fragment struct {
	// Path is the file's path relative to the repository root.
	Path string
	// Type is the conventional type from the front matter ("" for none),
	// which picks the section: feat → Features, fix → Fixes, perf →
	// Performance, others → Other.
	Type string
	// Text is the note, its lines joined into one.
	Text string
}

// ParseFragment reads a fragment: optional front matter between "---"
// lines with the one key `type: feat`, then the note. An empty note, an
// unknown key or an unclosed front matter is an error naming the file and
// line.
func ParseFragment(path string, data []byte) (Fragment, error) {
	f := Fragment{Path: path}
	body := strings.ReplaceAll(string(data), "\r\n", "\n")
	if rest, ok := strings.CutPrefix(body, "---\n"); ok {
		front, after, found := strings.Cut(rest, "\n---\n")
		if !found {
			if front, found = strings.CutSuffix(rest, "\n---"); !found {
				return f, fmt.Errorf("%s:1: the front matter has no closing --- line", path)
			}
		}
		for i, line := range strings.Split(front, "\n") {
			key, value, _ := strings.Cut(line, ":")
			key, value = strings.TrimSpace(key), strings.Trim(strings.TrimSpace(value), `"'`)
			switch {
			case key == "":
				continue
			case key != "type":
				return f, fmt.Errorf("%s:%d: unknown front matter key %q; the only key is type (e.g. type: feat)", path, i+2, key)
			case !conventionalWord(value):
				return f, fmt.Errorf("%s:%d: type %q is not a conventional type; write e.g. feat, fix or perf", path, i+2, value)
			}
			f.Type = value
		}
		body = after
	}
	f.Text = strings.Join(strings.Fields(body), " ")
	if f.Text == "" {
		return f, fmt.Errorf("%s: the fragment has no note; write one line for the release notes, or delete the file", path)
	}
	return f, nil
}

// conventionalWord reports whether s looks like a conventional type.
func conventionalWord(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == ""
}

// AddFragments adds one entry per fragment, sorted by path, after the
// commits' entries of its section; Hide applies to them like to commits.
func (n *Notes) AddFragments(fragments []Fragment) {
	if len(fragments) == 0 {
		return
	}
	fragments = slices.Clone(fragments)
	slices.SortFunc(fragments, func(a, b Fragment) int { return strings.Compare(a.Path, b.Path) })
	var buckets [len(SectionOrder)][]Entry
	for _, s := range n.Sections {
		i := slices.Index(SectionOrder[:], s.Title)
		buckets[i] = s.Entries
	}
	for _, f := range fragments {
		section := 4 // Other
		switch f.Type {
		case "feat":
			section = 1
		case "fix":
			section = 2
		case "perf":
			section = 3
		}
		buckets[section] = append(buckets[section], Entry{Text: f.Text, Type: f.Type})
	}
	n.Sections = nil
	for i, entries := range buckets {
		if len(entries) > 0 {
			n.Sections = append(n.Sections, Section{Title: SectionOrder[i], Entries: entries})
		}
	}
}
