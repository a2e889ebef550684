package policies

import (
	"testing"
	"time"
)

// fiveComponents are the components of BenchmarkEvaluateFiveComponents:
// four by paths, one by a scope as well.
const fiveComponents = `components:
  - {name: api, paths: ["api/**"], tag_prefix: api/v}
  - {name: db, paths: ["db/migrations/**"]}
  - {name: web, paths: ["apps/web/**", "packages/ui/**"]}
  - {name: worker, paths: ["services/worker/**"], semver: {initial: 1.0.0}}
  - {name: cli, paths: ["cmd/cli/**"], scopes: [cli]}
`

// BenchmarkEvaluateFiveComponents is BenchmarkEvaluate's policy and change
// (50 files, 20 reviews, 100 comments) with five components, of which the
// change touches two (api and db), each with its label.
func BenchmarkEvaluateFiveComponents(b *testing.B) {
	p := mustLoad(b, fullPolicy+fiveComponents)
	p.Approvals[0].CodeOwners = true
	c := benchChange()
	c.Labels = append(c.Labels, "semver:api:minor", "semver:db:patch")
	now := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC) // inside a freeze: every rule works
	if v := Evaluate(p, c, now); !hasRow(v, "semver (api)", Pass) || !hasRow(v, "semver (db)", Pass) {
		b.Fatalf("the components' rows are not those benchmarked: %s", dump(v))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(p, c, now)
	}
}

func hasRow(v Verdict, name string, st Status) bool {
	r, ok := findResult(v, name)
	return ok && r.Status == st
}

// BenchmarkEvaluateComponentsAndRuleLogic is the policy issue 15 holds to
// 25 µs: BenchmarkEvaluateRuleLogic's nested any_of/all_of entries and
// BenchmarkEvaluateFiveComponents' five components, on the same change.
func BenchmarkEvaluateComponentsAndRuleLogic(b *testing.B) {
	p := mustLoad(b, ruleLogicPolicy()+fiveComponents)
	p.Approvals[0].CodeOwners = true
	c := benchChange()
	c.Labels = append(c.Labels, "semver:api:minor", "semver:db:patch")
	c.Lines = &LineCount{Additions: 400, Deletions: 120}
	c.Teams.(TeamMap)["acme/sre"] = []string{"rev1", "rev2"}
	c.Teams.(TeamMap)["acme/contractors"] = []string{"alice"}
	now := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC) // inside a freeze: every rule works
	v := Evaluate(p, c, now)
	if !hasRow(v, "semver (api)", Pass) || !hasRow(v, "semver (db)", Pass) {
		b.Fatalf("the components' rows are not those benchmarked: %s", dump(v))
	}
	if r, ok := findResult(v, "release"); !ok || r.Status == Skipped {
		b.Fatalf("the nested rule is not evaluated: %s", dump(v))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(p, c, now)
	}
}
