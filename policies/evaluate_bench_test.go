package policies

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchChange is a PR with 50 files, 20 reviews and 100 comments.
func benchChange() *Change {
	c := basePR()
	c.Files = nil
	for i := 0; i < 50; i++ {
		dir := "api"
		if i%10 == 0 {
			dir = "db/migrations"
		}
		c.Files = append(c.Files, File{Path: fmt.Sprintf("%s/file_%02d.go", dir, i), Status: "modified"})
	}
	// Hosts list reviews in the order they were given.
	c.Reviews = []Review{{Author: Actor{Login: "carol"}, State: ReviewApproved, CommitSHA: "head2", SubmittedAt: t0}}
	for i := 1; i < 20; i++ {
		st := ReviewCommented
		if i%3 == 0 {
			st = ReviewApproved
		}
		c.Reviews = append(c.Reviews, Review{Author: Actor{Login: fmt.Sprintf("rev%d", i%8)}, State: st, CommitSHA: "head2", SubmittedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	c.Comments = nil
	for i := 0; i < 100; i++ {
		body := "Some discussion about the change, with a quote:\n> earlier text\nand more words on a second line."
		switch i % 10 {
		case 3:
			body = "/lgtm"
		case 7:
			body = "```\n/approve\n```\nnot a command"
		}
		c.Comments = append(c.Comments, comment(fmt.Sprintf("user%d", i%12), body, t0.Add(time.Duration(i)*time.Second)))
	}
	c.CodeOwners, _ = ParseCodeOwners([]byte("*.go @acme/release-managers\n/db/ @acme/dba\n"))
	return c
}

func BenchmarkEvaluate(b *testing.B) {
	p := mustLoad(b, fullPolicy+"\n")
	p.Approvals[0].CodeOwners = true
	c := benchChange()
	now := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC) // inside a freeze: every rule works
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(p, c, now)
	}
}

// ruleLogicEntries are nested any_of/all_of approval entries with the
// conditions of rule logic; inserted into fullPolicy's approvals they make
// the combined policy whose Evaluate must stay under 25 µs.
const ruleLogicEntries = `  - name: release
    when: {not: {title: ['^(docs|chore)']}, changed_lines: {over: 10}}
    any_of:
      - {name: sre, from: ["@acme/sre"], required: 2}
      - name: pair
        all_of:
          - {from: ["@acme/release-managers"]}
          - {from: ["@acme/dba"], when: {authors_in: ["@acme/contractors"]}}
          - any_of:
              - {from: [carol, dave]}
              - {codeowners: true}
  - name: large
    when: {changed_lines: {over: 1000}}
    all_of:
      - {from: ["@acme/release-managers"], required: 2}
      - {from: ["@acme/cab"]}
`

// ruleLogicPolicy is fullPolicy with ruleLogicEntries.
func ruleLogicPolicy() string {
	return strings.Replace(fullPolicy, "release_notes:\n", ruleLogicEntries+"release_notes:\n", 1)
}

func BenchmarkEvaluateRuleLogic(b *testing.B) {
	p := mustLoad(b, ruleLogicPolicy())
	p.Approvals[0].CodeOwners = true
	c := benchChange()
	c.Lines = &LineCount{Additions: 400, Deletions: 120}
	c.Teams.(TeamMap)["acme/sre"] = []string{"rev1", "rev2"}
	c.Teams.(TeamMap)["acme/contractors"] = []string{"alice"}
	now := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC) // inside a freeze: every rule works
	if v := Evaluate(p, c, now); v.Results[3].Name != "release" || v.Results[3].Status == Skipped {
		b.Fatalf("the nested rule is not evaluated: %+v", v.Results[3])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(p, c, now)
	}
}
