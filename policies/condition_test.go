package policies

import (
	"regexp"
	"strings"
	"testing"
)

// TestWhenFacets: each facet of when, with the fact it reads known, and
// missing (the rule then waits: it is never skipped on a fact nobody read).
func TestWhenFacets(t *testing.T) {
	tests := []struct {
		name   string
		when   string
		change func(*Change)
		status Status // of a rule that needs 3 approvals (so it waits when it applies)
		msg    string // part of the message
	}{
		// authors_in
		{name: "authors_in applies to a member of the team", when: `{authors_in: ["@acme/release-managers"]}`,
			status: Wait, msg: "needs 1 more approval"},
		{name: "authors_in skips an author outside the team", when: `{authors_in: ["@acme/dba"]}`,
			status: Skipped, msg: "when authors in @acme/dba"},
		{name: "authors_in waits when the team's members were not read", when: `{authors_in: ["@acme/interns"]}`,
			status: Wait, msg: "the members of @acme/interns are not known, so whether this rule applies (when authors in @acme/interns) is not known"},
		{name: "authors_in waits without any team data", when: `{authors_in: ["@acme/dba"]}`,
			change: func(c *Change) { c.Teams = nil }, status: Wait, msg: "members of @acme/dba are not known"},
		// changed_lines
		{name: "changed_lines over counts additions and deletions", when: `{changed_lines: {over: 100}}`,
			change: func(c *Change) { c.Lines = &LineCount{Additions: 60, Deletions: 41} }, status: Wait, msg: "needs 1 more approval"},
		{name: "changed_lines over is strict", when: `{changed_lines: {over: 100}}`,
			change: func(c *Change) { c.Lines = &LineCount{Additions: 60, Deletions: 40} }, status: Skipped, msg: "when changed lines over 100"},
		{name: "changed_lines under applies to a small change", when: `{changed_lines: {under: 10}}`,
			change: func(c *Change) { c.Lines = &LineCount{Additions: 9} }, status: Wait, msg: "needs 1 more approval"},
		{name: "changed_lines under skips a change of that size", when: `{changed_lines: {under: 10}}`,
			change: func(c *Change) { c.Lines = &LineCount{Additions: 5, Deletions: 5} }, status: Skipped, msg: "when changed lines under 10"},
		{name: "changed_lines over and under bound both sides", when: `{changed_lines: {over: 10, under: 20}}`,
			change: func(c *Change) { c.Lines = &LineCount{Additions: 25} }, status: Skipped, msg: "changed lines over 10 and under 20"},
		{name: "changed_lines waits when the count is unknown", when: `{changed_lines: {under: 10}}`,
			status: Wait, msg: "the number of changed lines is not known, so whether this rule applies (when changed lines under 10) is not known"},
		{name: "changed_lines waits when the files were read in part", when: `{changed_lines: {over: 100}}`,
			change: func(c *Change) {
				c.Lines = &LineCount{Additions: 5}
				c.Incomplete = map[Facts]string{NeedFiles: "GitHub lists at most 3000 files"}
			}, status: Wait, msg: "not every changed file could be read (GitHub lists at most 3000 files), so the number of changed lines is not known"},
		// title
		{name: "title applies when a pattern matches", when: `{title: ['^feat\(api\)', '^fix']}`,
			status: Wait, msg: "needs 1 more approval"},
		{name: "title skips when no pattern matches", when: `{title: ['(?i)hotfix']}`,
			status: Skipped, msg: "when title matches `(?i)hotfix`"},
		// not
		{name: "not skips a change its condition holds for", when: `{not: {labels: [semver:minor]}}`,
			status: Skipped, msg: "when not (labels semver:minor)"},
		{name: "not applies to a change its condition does not hold for", when: `{not: {paths: ["docs/**"]}}`,
			status: Wait, msg: "needs 1 more approval"},
		{name: "not with an unknown fact waits: it neither applies nor skips", when: `{not: {authors_in: ["@acme/interns"]}}`,
			status: Wait, msg: "the members of @acme/interns are not known, so whether this rule applies (when not (authors in @acme/interns)) is not known"},
		{name: "not over unread files waits", when: `{not: {paths: ["docs/**"]}}`,
			change: func(c *Change) { c.Files = nil }, status: Wait, msg: "the changed files are not known yet"},
		{name: "a false facet settles the condition though another is unknown", when: `{branches: ["release/*"], changed_lines: {over: 1}}`,
			status: Skipped, msg: "when branches release/*; changed lines over 1"},
		{name: "every facet must hold", when: `{title: ['^feat'], not: {labels: [semver:minor]}}`,
			status: Skipped, msg: "title matches `^feat`; not (labels semver:minor)"},
		// The facets before rule logic keep their meaning.
		{name: "paths over unread files wait rather than skip", when: `{paths: ["db/**"]}`,
			change: func(c *Change) { c.Files = nil }, status: Wait, msg: "the changed files are not known yet, so whether this rule applies (when paths db/**) is not known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := basePR()
			if tt.change != nil {
				tt.change(c)
			}
			p := mustLoad(t, "version: 1\napprovals:\n  - name: r\n    required: 3\n    when: "+tt.when+"\n")
			r := Evaluate(p, c, now0).Results[0]
			if r.Status != tt.status || !strings.Contains(r.Message, tt.msg) {
				t.Errorf("%s %q\nwant %s containing %q", r.Status, r.Message, tt.status, tt.msg)
			}
		})
	}
}

// TestWhenFacetsWorkOnEveryRule: conditions are shared by every rule, not
// only approvals.
func TestWhenFacetsWorkOnEveryRule(t *testing.T) {
	p := mustLoad(t, "version: 1\ntitle:\n  when: {not: {title: ['^Revert']}}\n")
	c := basePR()
	c.Title = `Revert "feat: x"`
	if r := Evaluate(p, c, now0).Results[0]; r.Status != Skipped {
		t.Errorf("the title rule on a revert: %s %q, want skipped", r.Status, r.Message)
	}
	c.Title = "not conventional"
	if r := Evaluate(p, c, now0).Results[0]; r.Status != Fail {
		t.Errorf("the title rule on another title: %s %q, want fail", r.Status, r.Message)
	}
}

func TestRuleLogicNeedsAndTeams(t *testing.T) {
	p := mustLoad(t, `version: 1
approvals:
  - any_of:
      - {from: ["@acme/sre"], codeowners: true}
      - all_of:
          - {from: ["@acme/leads"], when: {authors_in: ["@acme/contractors"]}}
          - {when: {not: {changed_lines: {under: 10}}}, dismiss_stale: false}
title:
  when: {not: {authors: ["@acme/bots"]}}
`)
	if got, want := strings.Join(p.Teams(), " "), "acme/sre acme/leads acme/contractors acme/bots"; got != want {
		t.Errorf("Teams() = %s, want %s", got, want)
	}
	for _, f := range []Facts{NeedReviews, NeedTeams, NeedCodeOwners, NeedFiles, NeedHeads, NeedCommits} {
		if !p.Needs().Has(f) {
			t.Errorf("Needs() = %s, lacks %s", p.Needs(), f)
		}
	}
	lines := mustLoad(t, "version: 1\nsemver:\n  conventional_title: true\n  when: {changed_lines: {over: 1}}\n")
	if !lines.Needs().Has(NeedFiles) {
		t.Errorf("changed_lines does not fetch the files its count is summed over: %s", lines.Needs())
	}
	author := mustLoad(t, "version: 1\napprovals:\n  - any_of:\n      - {from: [alice]}\n      - {from: [bob], allow_author: true}\n")
	if !author.AuthorMayApprove() {
		t.Error("allow_author inside any_of is not seen by AuthorMayApprove")
	}
}

// TestConditionString: every facet, in order, with a nested not.
func TestConditionString(t *testing.T) {
	w := Condition{
		Branches:  []Glob{newGlob("main"), newGlob("release/*")},
		Paths:     []Glob{newGlob("db/**")},
		Labels:    []string{"risky", "db"},
		Authors:   []Principal{{Login: "bob"}, {Team: "acme/sre"}},
		AuthorsIn: []Principal{{Team: "acme/contractors"}},
		Lines:     &LineBounds{Over: 10, Under: 500},
		Titles:    []*regexp.Regexp{regexp.MustCompile(`^docs`), regexp.MustCompile(`(?i)wip`)},
		Not:       &Condition{Lines: &LineBounds{Over: -1, Under: 5}, Not: &Condition{Labels: []string{"x"}}},
	}
	want := "when branches main, release/*; paths db/**; labels risky, db; authors bob, @acme/sre; authors in @acme/contractors; " +
		"changed lines over 10 and under 500; title matches `^docs` or `(?i)wip`; not (changed lines under 5; not (labels x))"
	if got := w.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	for c, want := range map[*Condition]string{
		{}:                            "always",
		{Not: &Condition{}}:           "when not ()",
		{Lines: &LineBounds{Over: 0}}: "when changed lines over 0",
	} {
		if got := c.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
