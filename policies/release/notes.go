package release

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/conventional"
)

// Notes are the release notes of one version, grouped into sections, ready
// for a template.
type Notes struct {
	// Version is the released tag name, e.g. "v1.3.0".
	Version string
	// Previous is the previous tag name; "" for a first release.
	Previous string
	// Date is the release date.
	Date time.Time
	// Sections are the non-empty sections in SectionOrder.
	Sections []Section
}

// Section is one group of entries.
type Section struct {
	// Title is one of the Section* titles.
	Title   string
	Entries []Entry
}

// Section titles.
const (
	SectionBreaking    = "Breaking changes"
	SectionFeatures    = "Features"
	SectionFixes       = "Fixes"
	SectionPerformance = "Performance"
	SectionOther       = "Other"
)

// SectionOrder is the order of sections in Notes.
var SectionOrder = [...]string{SectionBreaking, SectionFeatures, SectionFixes, SectionPerformance, SectionOther}

// Entry is one line of release notes.
type Entry struct {
	// Text is the commit's description, or the message's first line when
	// it is not conventional, or an Override's text.
	Text string
	// Type is the conventional type ("" when not conventional).
	Type string
	// Scope is the conventional scope ("" when none).
	Scope string
	// BreakingNote is the BREAKING CHANGE footer's text, "" when none.
	BreakingNote string
	// PR is the pull request number; 0 when unknown.
	PR int
	// SHA is the full commit SHA.
	SHA string
	// Author is the host login of the author, "" when unknown.
	Author string
	// AuthorName is the git author name, "" when unknown.
	AuthorName string
	// PRURL and AuthorURL link the PR and the author's profile; "" until
	// Notes.Link sets them (the template then writes plain "#12" and
	// "@alice", which GitHub links only in some places).
	PRURL, AuthorURL string
	// PRRef is how the host writes the change, "#12" (GitHub) or "!12"
	// (GitLab); "" until Notes.LinkChanges sets it (Ref then reads "#N").
	PRRef string
}

// Ref is how the entry's change is written: PRRef, else "#N"; "" without a
// change.
func (e Entry) Ref() string {
	switch {
	case e.PRRef != "":
		return e.PRRef
	case e.PR > 0:
		return "#" + strconv.Itoa(e.PR)
	}
	return ""
}

// ShortSHA returns the first seven characters of the SHA.
func (e Entry) ShortSHA() string { return shortSHA(e.SHA) }

// Override replaces the entries of one PR: the Action sets Text from the
// PR's release-note block, or Omit when the PR declares that it needs no
// note. An overridden PR gives a single entry however many commits it
// has.
type Override struct {
	PR   int
	Text string
	Omit bool
}

// Link sets the PRURL and AuthorURL of every entry with a PR or an author
// login: serverURL/repo/pull/N and serverURL/LOGIN, e.g. serverURL
// "https://github.com" and repo "acme/widgets". It is LinkChanges with
// GitHub's "pull" and "#".
func (n *Notes) Link(serverURL, repo string) { n.LinkChanges(serverURL, repo, "pull", "#") }

// LinkChanges is Link with the host's path of a change below the
// repository and the sigil it writes before a change's number (PRRef):
// "pull" and "#" on GitHub, "-/merge_requests" and "!" on GitLab (whose
// repo may hold subgroups, "group/sub/project").
func (n *Notes) LinkChanges(serverURL, repo, changePath, sigil string) {
	serverURL = strings.TrimRight(serverURL, "/")
	for i := range n.Sections {
		for j := range n.Sections[i].Entries {
			e := &n.Sections[i].Entries[j]
			if e.PR > 0 {
				e.PRURL = fmt.Sprintf("%s/%s/%s/%d", serverURL, repo, changePath, e.PR)
				e.PRRef = sigil + strconv.Itoa(e.PR)
			}
			if e.Author != "" {
				e.AuthorURL = serverURL + "/" + e.Author
			}
		}
	}
}

// Hide removes the entries whose conventional type is one of types (the
// policy's notes.hide), and the sections it leaves empty. Breaking changes
// stay whatever their type: users must read them.
func (n *Notes) Hide(types []string) {
	if len(types) == 0 {
		return
	}
	var kept []Section
	for _, sec := range n.Sections {
		var entries []Entry
		for _, e := range sec.Entries {
			if sec.Title == SectionBreaking || e.Type == "" || !slices.Contains(types, e.Type) {
				entries = append(entries, e)
			}
		}
		if len(entries) > 0 {
			sec.Entries = entries
			kept = append(kept, sec)
		}
	}
	n.Sections = kept
}

// Empty reports whether the notes have no entry.
func (n Notes) Empty() bool { return len(n.Sections) == 0 }

// BuildNotes assembles the notes of version from commits in the order given
// (git log order: newest first). Conventional commits go to their section
// (breaking changes to Breaking changes only); other types and
// non-conventional messages go to Other. Merge commits are skipped, except
// a GitHub "Merge pull request #N" commit, which stands for its PR with the
// title in its body. The PR number comes from the commit's PR field, a
// "(#N)" suffix of the subject (removed from the text) or the merge
// subject.
func BuildNotes(version, previous string, date time.Time, commits []policies.Commit, overrides ...Override) Notes {
	byPR := make(map[int]Override, len(overrides))
	for _, o := range overrides {
		if o.PR > 0 {
			byPR[o.PR] = o
		}
	}
	seenPR := make(map[int]bool)
	var buckets [len(SectionOrder)][]Entry
	for _, c := range commits {
		m := effectiveMessage(c.Message)
		if m.text == "" {
			continue
		}
		e := Entry{SHA: c.SHA, Author: c.Author.Login, AuthorName: c.AuthorName, PR: c.PR}
		if e.PR == 0 {
			e.PR = m.pr
		}
		section := 4 // Other
		if cc, err := conventional.Parse(m.text); err == nil {
			e.Type, e.Scope, e.Text, e.BreakingNote = cc.Type, cc.Scope, trimPRSuffix(cc.Subject), cc.BreakingNote()
			section = sectionOf(cc)
		} else {
			subject, _, _ := strings.Cut(m.text, "\n")
			e.Text = trimPRSuffix(strings.TrimSpace(subject))
		}
		if o, ok := byPR[e.PR]; ok {
			if o.Omit || seenPR[e.PR] {
				continue
			}
			seenPR[e.PR] = true
			e.Text = o.Text
		}
		buckets[section] = append(buckets[section], e)
	}
	n := Notes{Version: version, Previous: previous, Date: date}
	for i, entries := range buckets {
		if len(entries) > 0 {
			n.Sections = append(n.Sections, Section{Title: SectionOrder[i], Entries: entries})
		}
	}
	return n
}

// sectionOf returns the index in SectionOrder of a conventional commit.
func sectionOf(c conventional.Commit) int {
	switch {
	case c.Breaking:
		return 0
	case c.Type == "feat":
		return 1
	case c.Type == "fix":
		return 2
	case c.Type == "perf":
		return 3
	}
	return 4
}
