package policies

import (
	"strings"
	"testing"
	"time"
)

// Attacks on rule logic: someone with write access, or the author, tries
// to get a change through with fewer approvals than the policy means.

func TestAttackOnePersonInTwoTeamsDoesNotSatisfyBothRulesOfAnAllOf(t *testing.T) {
	p := mustLoad(t, `version: 1
approvals:
  - name: two-eyes
    all_of:
      - {name: sre, from: ["@acme/sre"]}
      - {name: security, from: ["@acme/security"]}
`)
	c := basePR()
	c.Reviews = nil
	c.Teams = TeamMap{"acme/sre": {"mallory", "sam"}, "acme/security": {"mallory"}}
	approve(c, "mallory")
	r := Evaluate(p, c, now0).Results[0]
	want := "security: needs 1 more approval from @acme/security; the author's own approval does not count; @mallory already counts toward another rule here, and a person counts once"
	if r.Status != Wait || r.Message != want {
		t.Errorf("one person in both teams: %s %q\nwant pending %q", r.Status, r.Message, want)
	}
	// A second person lets the matching move mallory to security.
	approve(c, "sam")
	if r := Evaluate(p, c, now0).Results[0]; r.Status != Pass || r.Message != "sre: approved by @sam; security: approved by @mallory" {
		t.Errorf("with sam too: %s %q", r.Status, r.Message)
	}
}

func TestAttackOnePersonCountsOnceThroughANestedAnyOf(t *testing.T) {
	// The all_of's first member is an any_of: whichever alternative mallory
	// fills, she cannot also fill the second member.
	p := mustLoad(t, `version: 1
approvals:
  - all_of:
      - any_of:
          - {from: ["@acme/sre"]}
          - {from: ["@acme/dba"]}
      - {from: ["@acme/security"]}
`)
	c := basePR()
	c.Reviews = nil
	c.Teams = TeamMap{"acme/sre": {"mallory"}, "acme/dba": {"mallory"}, "acme/security": {"mallory"}}
	approve(c, "mallory")
	if r := Evaluate(p, c, now0).Results[0]; r.Status == Pass {
		t.Errorf("one person passed an all_of of two rules: %q", r.Message)
	}
}

func TestAttackAnApproverInTwoAlternativesIsNotCountedTwice(t *testing.T) {
	// required: 2 in one alternative is not reached by one person who is
	// also in the other alternative.
	p := mustLoad(t, `version: 1
approvals:
  - any_of:
      - {from: ["@acme/sre"], required: 2}
      - {from: ["@acme/leads"], required: 2}
`)
	c := basePR()
	c.Reviews = nil
	c.Teams = TeamMap{"acme/sre": {"mallory"}, "acme/leads": {"mallory"}}
	approve(c, "mallory")
	approve(c, "Mallory") // the same login in another case
	r := Evaluate(p, c, now0).Results[0]
	if r.Status == Pass || !strings.Contains(r.Message, "needs 1 more approval from @acme/sre (has 1 of 2: @mallory)") {
		t.Errorf("%s %q", r.Status, r.Message)
	}
}

func TestAttackNotWithAMissingFactDoesNotTurnARequiredRuleOff(t *testing.T) {
	// "Outsiders need security's approval": with the team unread, an
	// outsider must not be taken for staff.
	tests := []struct {
		name, when string
		change     func(*Change)
	}{
		{"team membership not read", `{not: {authors_in: ["@acme/staff"]}}`, func(c *Change) { c.Teams = nil }},
		{"team missing from the team data", `{not: {authors_in: ["@acme/staff"]}}`, nil},
		{"line count unknown", `{not: {changed_lines: {under: 10}}}`, func(c *Change) { c.Lines = nil }},
		{"files read in part", `{not: {paths: ["docs/**"]}}`, func(c *Change) {
			c.Files = []File{{Path: "api/a.go"}}
			c.Incomplete = map[Facts]string{NeedFiles: "GitHub lists at most 3000 files"}
		}},
		{"double negation keeps it unknown", `{not: {not: {authors_in: ["@acme/staff"]}}}`, func(c *Change) { c.Teams = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, "version: 1\napprovals:\n  - name: security\n    from: [\"@acme/security\"]\n    when: "+tt.when+"\n")
			c := basePR()
			if tt.change != nil {
				tt.change(c)
			}
			v := Evaluate(p, c, now0)
			if r := v.Results[0]; r.Status != Wait || !strings.Contains(r.Message, "is not known") || v.Conclusion == Success {
				t.Errorf("%s %q (verdict %s), want pending: whether the rule applies is not known", r.Status, r.Message, v.Conclusion)
			}
		})
	}
}

func TestAttackAHotfixCannotDropCodeOwnersThroughAnAnyOf(t *testing.T) {
	p := mustLoad(t, `version: 1
approvals:
  - {name: owners, codeowners: true}
hotfix:
  branches: ["hotfix/*"]
  approvals:
    any_of: [{from: [dave]}, {required: 2}]
`)
	c := basePR()
	c.HeadBranch, c.BaseBranch = "hotfix/x", "release/1.2"
	c.Comments = []Comment{comment("bob", "/hotfix prod is down", t0)}
	c.Files = []File{{Path: "db/schema.sql"}}
	c.CodeOwners, _ = ParseCodeOwners([]byte("/db/ @erin\n"))
	v := Evaluate(p, c, now0)
	var hot Result
	for _, r := range v.Results {
		if r.Rule == "hotfix" {
			hot = r
		}
	}
	if hot.Status != Wait || !strings.Contains(hot.Message, "db/schema.sql needs approval from a code owner (@erin)") {
		t.Errorf("hotfix = %s %q, want it waiting for the code owner", hot.Status, hot.Message)
	}
}

func TestAttackTheAuthorCannotFillAnAlternative(t *testing.T) {
	p := mustLoad(t, "version: 1\napprovals:\n  - any_of:\n      - {from: [alice]}\n      - {from: [\"@acme/cab\"]}\n")
	c := basePR() // alice is the author
	c.Reviews = nil
	approve(c, "alice")
	if r := Evaluate(p, c, now0).Results[0]; r.Status == Pass {
		t.Errorf("the author's own approval filled an alternative: %q", r.Message)
	}
}

func TestAttackNotPathsIsWarnedAbout(t *testing.T) {
	// not: {paths: [docs/**]} holds only when no changed file is a doc:
	// adding one doc to a code change would skip the rule. Load warns.
	p := mustLoad(t, "version: 1\napprovals:\n  - name: code\n    when: {not: {paths: [\"docs/**\"]}}\n")
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Error(), "approvals[0].when.not.paths: not: {paths: ...} holds only when no changed file matches") {
		t.Errorf("warnings: %v", p.Warnings)
	}
	c := basePR()
	c.Files = append(c.Files, File{Path: "docs/readme.md"})
	if r := Evaluate(p, c, now0).Results[0]; r.Status != Skipped {
		t.Errorf("the documented meaning changed: %s %q", r.Status, r.Message)
	}
}

func TestAttackAnObjectionUnderAnUnknownWhenIsNotRoutedAroundByAnAlternative(t *testing.T) {
	// Whether the dba rule applies is not known (the file list was cut
	// off, and db/ files may be among those not read): erin's request for
	// changes must not be passed over because the release managers
	// approved the other alternative.
	p := mustLoad(t, `version: 1
approvals:
  - name: reviewed
    any_of:
      - {name: dba, when: {paths: ["db/**"]}, from: ["@acme/dba"]}
      - {name: managers, from: ["@acme/release-managers"], required: 2}
`)
	c := basePR() // carol and dave (release managers) approved
	c.Files = []File{{Path: "api/a.go"}}
	c.Incomplete = map[Facts]string{NeedFiles: "GitHub lists at most 3000 files"}
	c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "erin"}, State: ReviewChangesRequested, CommitSHA: c.HeadSHA, SubmittedAt: t0.Add(time.Hour)})
	r := Evaluate(p, c, now0).Results[0]
	if r.Status != Wait || !strings.Contains(r.Message, "changes requested by @erin, and not every changed file could be read") {
		t.Errorf("%s %q, want pending on erin's objection", r.Status, r.Message)
	}
	// With every file read and no db/ file, the dba rule does not apply:
	// erin's objection is not the entry's, and the managers' way holds.
	c.Incomplete = nil
	if r := Evaluate(p, c, now0).Results[0]; r.Status != Pass {
		t.Errorf("no db/ file: %s %q, want passing", r.Status, r.Message)
	}
	// A db/ file read: the rule applies and erin's objection fails it.
	c.Files = append(c.Files, File{Path: "db/schema.sql"})
	if r := Evaluate(p, c, now0).Results[0]; r.Status != Fail || !strings.Contains(r.Message, "changes requested by @erin") {
		t.Errorf("a db/ file: %s %q, want failing", r.Status, r.Message)
	}
}
