// Package changelog keeps a CHANGELOG.md in the Keep a Changelog format
// (https://keepachangelog.com/en/1.1.0/): it inserts a released version's
// section at the top, below the header and an `## [Unreleased]` section,
// and creates the file with the standard header. It is pure text work:
// the caller reads and writes the file. It must not import anything that
// does I/O.
package changelog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Header starts a new changelog, as Keep a Changelog writes it.
const Header = `# Changelog

All notable changes to this project will be documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).
`

// ErrConflict is wrapped by Insert when the changelog has the version
// already, with other text: releasing it again must not rewrite history
// silently.
var ErrConflict = errors.New("the changelog has this version with other notes")

// Section returns a version's section: the heading `## [1.3.0] -
// 2026-11-22` over body, rendered release notes whose own `## ` heading
// line, when they start with one, is dropped.
func Section(version string, date time.Time, body string) string {
	body = strings.TrimLeft(body, "\n")
	if strings.HasPrefix(body, "## ") {
		_, body, _ = strings.Cut(body, "\n")
	}
	heading := fmt.Sprintf("## [%s] - %s", version, date.UTC().Format(time.DateOnly))
	return heading + "\n\n" + strings.Trim(body, "\n") + "\n"
}

// heading matches a version heading: "## [1.3.0] - 2026-11-22",
// "## [Unreleased]", "## 1.3.0", "## v1.3.0 (2026-11-22)".
var heading = regexp.MustCompile(`^## +\[?([^\]\s]+)\]?`)

// linkDef matches a link reference definition ("[1.3.0]: https://…"),
// which Keep a Changelog puts at the end of the file.
var linkDef = regexp.MustCompile(`^\[[^\]]+\]: \S`)

// Insert returns the changelog with section (from Section) for version.
// existing is the current file, nil when there is none (the standard
// Header is written first). The section goes above the newest version,
// below the header and an Unreleased section. When the file has the
// version already, the result is the file unchanged (changed false) if
// its section holds every line of the new notes (the date may differ, and
// fragments consumed since may be missing from the new ones); other
// notes is an ErrConflict unless force, which
// replaces it.
func Insert(existing []byte, version, section string, force bool) (out []byte, changed bool, err error) {
	if existing == nil {
		return []byte(Header + "\n" + section), true, nil
	}
	lines := strings.SplitAfter(string(existing), "\n")
	start, end, found := findVersion(lines, version)
	if found {
		old := strings.Join(lines[start:end], "")
		if sameNotes(old, section) {
			return existing, false, nil
		}
		if !force {
			return nil, false, fmt.Errorf("%s: %w; keep it, or replace it with --force", version, ErrConflict)
		}
		return []byte(join(lines[:start], section, lines[end:])), true, nil
	}
	return []byte(join(lines[:start], section, lines[start:])), true, nil
}

// sameNotes reports whether the section old already holds the notes of
// section, below their headings: a re-run on another day has the same
// notes under another date, and a re-run after the fragments were
// consumed has the commits' lines only, each of them there already.
func sameNotes(old, section string) bool {
	_, old, _ = strings.Cut(strings.TrimSpace(old), "\n")
	_, section, _ = strings.Cut(strings.TrimSpace(section), "\n")
	have := map[string]bool{}
	for _, l := range strings.Split(old, "\n") {
		have[strings.TrimSpace(l)] = true
	}
	for _, l := range strings.Split(section, "\n") {
		if !have[strings.TrimSpace(l)] {
			return false
		}
	}
	return true
}

// findVersion returns the lines [start, end) of version's section when
// found; otherwise start is where a new section goes: the first version
// heading that is not Unreleased, else the link definitions at the end,
// else the end.
func findVersion(lines []string, version string) (start, end int, found bool) {
	want := strings.TrimPrefix(version, "v")
	start = -1
	for i, l := range lines {
		m := heading.FindStringSubmatch(strings.TrimRight(l, "\r\n"))
		if m == nil {
			continue
		}
		switch {
		case strings.TrimPrefix(m[1], "v") == want:
			return i, sectionEnd(lines, i+1), true
		case strings.EqualFold(m[1], "unreleased"):
		case start < 0:
			start = i
		}
	}
	if start >= 0 {
		return start, start, false
	}
	end = definitionsStart(lines, 0)
	return end, end, false
}

// definitionsStart returns the index of the link definitions that end the
// file (blank lines among them), not before from; len(lines) when the
// file does not end with any.
func definitionsStart(lines []string, from int) int {
	last := len(lines)
	for last > from && strings.TrimSpace(lines[last-1]) == "" {
		last--
	}
	start := last
	for start > from && (linkDef.MatchString(lines[start-1]) || strings.TrimSpace(lines[start-1]) == "") {
		start--
	}
	if start == last {
		return len(lines)
	}
	return start
}

// sectionEnd returns the index of the line that ends the section starting
// before from: the next `## ` heading, else the link definitions at the
// end, else the end.
func sectionEnd(lines []string, from int) int {
	for i := from; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "## ") {
			return i
		}
	}
	return definitionsStart(lines, from)
}

// join puts section between before and after with one blank line on each
// side.
func join(before []string, section string, after []string) string {
	head := strings.TrimRight(strings.Join(before, ""), "\n")
	tail := strings.TrimLeft(strings.Join(after, ""), "\n")
	var b strings.Builder
	if head != "" {
		b.WriteString(head + "\n\n")
	}
	b.WriteString(strings.TrimRight(section, "\n") + "\n")
	if tail != "" {
		b.WriteString("\n" + tail)
	}
	return b.String()
}
