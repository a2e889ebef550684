package demo

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

// TestChangeRecordIDMatchesThePattern: the ID the author adds matches the
// policy's first change-record pattern.
func TestChangeRecordIDMatchesThePattern(t *testing.T) {
	for _, pattern := range []string{`SHOP-\d+`, `CHG\d{7}`, `^(JIRA|OPS)-[1-9][0-9]{2,}\b`, `[A-Z][A-Z0-9]+-\d+`, `#\d+`} {
		p := &plan{cfg: &policies.Config{ChangeRecord: &policies.ChangeRecordConfig{Patterns: []string{pattern}}}}
		id, err := p.changeRecordID()
		if err != nil || !regexp.MustCompile(pattern).MatchString(id) {
			t.Errorf("%s: %q, %v", pattern, id, err)
		}
	}
}

// TestLoadPlan: the plan skips the acts a policy has nothing for, keeps
// deployments on this machine, and refuses a policy that does not gate
// main.
func TestLoadPlan(t *testing.T) {
	const health = "http://127.0.0.1:1/healthz"
	p, err := loadPlan("built-in", []byte(Policy), health)
	if err != nil || len(p.skips) != 0 || !strings.Contains(p.policy, health) || strings.Contains(p.policy, "staging.example.com") {
		t.Fatalf("the built-in policy: skips %v, err %v, served:\n%s", p.skips, err, p.policy)
	}
	p, err = loadPlan("p.yml", []byte("version: 1\ndeploy:\n  environments:\n    - name: qa\n      on: release\n      steps:\n        - wait: 1h\n"+
		"        - webhook: {url: \"https://hooks.example.com/x\"}\n"), health)
	if err != nil {
		t.Fatal(err)
	}
	if p.skips[3] == "" || p.skips[6] != "" || !strings.Contains(p.skips[7], "no environment comes after qa") {
		t.Errorf("skips %v", p.skips)
	}
	if !strings.Contains(p.policy, "wait: 2s") || !strings.Contains(p.policy, health) || len(p.notes) != 2 {
		t.Errorf("notes %q, served:\n%s", p.notes, p.policy)
	}
	p, err = loadPlan("p.yml", []byte("version: 1\n"), health)
	if err != nil || !strings.Contains(p.skips[6], "no deploy section") || !strings.Contains(p.skips[7], "no deploy section") {
		t.Errorf("no deploy: skips %v, err %v", p.skips, err)
	}
	var pe *PolicyError
	if _, err := loadPlan("p.yml", []byte("version: 1\nbranches: [develop]\n"), health); !errors.As(err, &pe) {
		t.Errorf("branches without main: %v, want a PolicyError", err)
	}
	if _, err := loadPlan("p.yml", []byte("version: 1\nnot_a_key: 1\n"), health); !errors.As(err, &pe) {
		t.Errorf("an invalid policy: %v, want a PolicyError", err)
	}
}

// TestAFreezeActiveNowSkipsTheDeploymentsItHolds: a rehearsal inside a
// freeze says that the freeze holds the environments it names, and plays
// the others.
func TestAFreezeActiveNowSkipsTheDeploymentsItHolds(t *testing.T) {
	const health = "http://127.0.0.1:1/healthz"
	policy := Policy + "freeze:\n  windows:\n    - {name: launch, start: 2026-12-01T00:00:00Z, end: 2026-12-02T00:00:00Z, environments: [production]}\n"
	p, err := loadPlan("p.yml", []byte(policy), health)
	if err != nil {
		t.Fatal(err)
	}
	inside := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p.skips = map[int]string{}
	p.decideSkips(inside)
	if p.skips[6] != "" || !strings.Contains(p.skips[7], `the freeze "launch" (until Wed 2026-12-02 00:00 UTC) holds deployments to production`) {
		t.Errorf("inside the window: skips %v", p.skips)
	}
	p.skips = map[int]string{}
	p.decideSkips(inside.Add(24 * time.Hour))
	if len(p.skips) != 0 {
		t.Errorf("after the window: skips %v", p.skips)
	}
	if got := p.frozen(inside, func(w policies.Window) bool { return w.AppliesToBranch("main") }); got != `"launch" (until Wed 2026-12-02 00:00 UTC)` {
		t.Errorf("the window freezing main: %q", got)
	}
}
