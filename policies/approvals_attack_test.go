package policies

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// attackPolicy has one rule of each way of saying who counts; each attack
// below is judged by one of them.
const attackPolicy = `version: 1
approvals:
  - {name: sre, from: ["@acme/sre"], required: 1}
  - {name: two, from: [Bob, carol], required: 2}
  - {name: kate, from: [kate]}
  - {name: pushers, required: 1}
  - {name: ghost, from: ["@acme/ghost"]}
  - {name: owners, codeowners: true, from: [nobody]}
`

// attackChange is a change by alice, pushed to head2 after head1, with no
// review yet; sre are bob, carol and alice, cab is frank.
func attackChange() *Change {
	c := basePR()
	c.Reviews, c.Comments = nil, nil
	c.Commits = []Commit{{SHA: "head1", Author: Actor{Login: "alice"}}, {SHA: "head2", Author: Actor{Login: "grace"}}}
	c.Heads = []Head{{SHA: "head1", Content: "t1", Since: t0.Add(-2 * time.Hour)}, {SHA: "head2", Content: "t2", Since: t0.Add(-time.Hour)}}
	c.Files = []File{{Path: "api/x.go"}, {Path: "db/a.sql"}}
	c.CodeOwners, _ = ParseCodeOwners([]byte("*.go @bob\n/db/ @acme/cab\n"))
	c.Teams = TeamMap{"acme/sre": {"bob", "carol", "alice"}, "acme/cab": {"frank"}}
	c.Permissions = map[string]Permission{"alice": PermWrite, "bob": PermWrite, "carol": PermWrite,
		"frank": PermWrite, "grace": PermWrite, "kate": PermWrite, "rita": PermRead}
	return c
}

// approveAt adds an approving review of sha by login, a minute after the
// last review or comment.
func approveAt(c *Change, login, sha string) { review(c, login, ReviewApproved, sha) }

func review(c *Change, login string, st ReviewState, sha string) {
	c.Reviews = append(c.Reviews, Review{Author: Actor{Login: login}, State: st, CommitSHA: sha, SubmittedAt: nextAt(c)})
}

func say(c *Change, login, body string) {
	c.Comments = append(c.Comments, comment(login, body, nextAt(c)))
}

func nextAt(c *Change) time.Time {
	at := t0
	for _, r := range c.Reviews {
		at = later(at, r.SubmittedAt)
	}
	for _, cm := range c.Comments {
		at = later(at, cm.CreatedAt)
	}
	return at.Add(time.Minute)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// padded puts n people first who reviewed and then had their review
// dismissed: they hold no stance and count for nothing, but they push
// everyone else beyond the 64 people counted with one bit each.
func padded(c *Change, n int) {
	pad := make([]Review, 0, n+len(c.Reviews))
	for i := range n {
		pad = append(pad, Review{Author: Actor{Login: fmt.Sprintf("pad%02d", i)}, State: ReviewDismissed, SubmittedAt: t0.Add(-time.Minute)})
	}
	c.Reviews = append(pad, c.Reviews...)
}

// TestApprovalAttacks: what a person with write access would try to get a
// change approved without the people the policy names, each counted with
// one bit per person, person by person (more than 64 people), and with a
// Membership that is asked person by person.
func TestApprovalAttacks(t *testing.T) {
	p := mustLoad(t, attackPolicy)
	for _, tc := range []struct {
		name   string
		change func(c *Change)
		rule   string
		want   string // "status: message prefix or substring"
	}{
		{"the author approves under another case", func(c *Change) { approveAt(c, "ALICE", "head2") },
			"sre", "pending: needs 1 more approval from @acme/sre; the author's own approval does not count"},
		{"the author approves by command under another case", func(c *Change) { say(c, "Alice", "/approve") },
			"sre", "pending: needs 1 more approval from @acme/sre;"},
		{"a contributor approves under another case", func(c *Change) { approveAt(c, "Grace", "head2") },
			"pushers", "pending: needs 1 more approval; @Grace authored or committed commits"},
		{"an approval of the head before the last push", func(c *Change) { approveAt(c, "bob", "head1") },
			"sre", "pending: needs 1 more approval from @acme/sre; @bob approved head1"},
		{"a command before the last push", func(c *Change) {
			c.Heads[1].Since = t0.Add(10 * time.Minute)
			say(c, "bob", "/approve")
		}, "sre", "pending: needs 1 more approval from @acme/sre"},
		{"one person, a review and a command under two cases", func(c *Change) {
			approveAt(c, "bob", "head2")
			say(c, "BOB", "/approve")
		}, "two", "pending: needs 1 more approval from @Bob or @carol (has 1 of 2: @bob)"},
		{"a login of `from` in another case counts", func(c *Change) { approveAt(c, "BOB", "head2"); approveAt(c, "Carol", "head2") },
			"two", "pass: approved by @BOB, @Carol"},
		{"a login that folds to one of `from` only under Unicode", func(c *Change) { approveAt(c, "\u212aate", "head2") },
			"kate", "pending: needs 1 more approval from @kate"},
		{"someone without write access", func(c *Change) { approveAt(c, "rita", "head2") },
			"pushers", "pending: needs 1 more approval"},
		{"someone unknown to the permissions", func(c *Change) { approveAt(c, "mallory", "head2") },
			"pushers", "pending: needs 1 more approval"},
		{"a request for changes from a team member", func(c *Change) {
			approveAt(c, "bob", "head2")
			review(c, "CAROL", ReviewChangesRequested, "head2")
		}, "sre", "fail: changes requested by @CAROL"},
		{"a request for changes is withdrawn by approving", func(c *Change) {
			review(c, "carol", ReviewChangesRequested, "head2")
			approveAt(c, "Carol", "head2")
		}, "sre", "pass: approved by @carol"},
		{"an approval cancelled by command", func(c *Change) {
			approveAt(c, "bob", "head2")
			say(c, "Bob", "/approve cancel")
		}, "sre", "pending: needs 1 more approval from @acme/sre"},
		{"a team whose members are not known", func(c *Change) {
			for _, l := range []string{"bob", "carol", "frank", "kate"} {
				approveAt(c, l, "head2")
			}
		}, "ghost", "pending: needs 1 more approval from @acme/ghost"},
		{"the team's name in another case", func(c *Change) {
			c.Teams = TeamMap{"ACME/SRE": {"Bob"}, "acme/cab": {"frank"}}
			approveAt(c, "bob", "head2")
		}, "sre", "pass: approved by @bob"},
		{"a code owner's file with only the author as owner", func(c *Change) {
			c.CodeOwners, _ = ParseCodeOwners([]byte("* @Alice\n"))
			approveAt(c, "alice", "head2")
		}, "owners", "pending: needs 1 more approval from @nobody; the author's own approval does not count; api/x.go needs approval from a code owner (@Alice)"},
		{"a code owner's stale approval", func(c *Change) {
			approveAt(c, "frank", "head1")
			approveAt(c, "bob", "head2")
		}, "owners", "db/a.sql needs approval from a code owner (@acme/cab)"},
		{"a code owner who contributed", func(c *Change) {
			c.CodeOwners, _ = ParseCodeOwners([]byte("* @grace @acme/sre\n"))
			c.Teams = TeamMap{"acme/sre": {"bob"}}
			approveAt(c, "GRACE", "head2")
		}, "owners", "api/x.go needs approval from a code owner (@grace or @acme/sre); db/a.sql needs"},
	} {
		for _, pad := range []int{0, 70} {
			for _, asked := range []bool{false, true} {
				name := fmt.Sprintf("%s/pad%d/asked=%v", tc.name, pad, asked)
				c := attackChange()
				tc.change(c)
				padded(c, pad)
				if asked {
					c.Teams = askedMembership{c.Teams.(TeamMap)}
				}
				r, ok := findResult(Evaluate(p, c, now0), tc.rule)
				got := string(r.Status) + ": " + r.Message
				if !ok || !strings.Contains(got, tc.want) {
					t.Errorf("%s: %s = %q, want it to hold %q", name, tc.rule, got, tc.want)
				}
			}
		}
	}
}

// randomPolicy has rules of every kind of `from`, code owners, stale and
// contributor settings, and a combination.
const randomPolicy = `version: 1
approvals:
  - {name: sre, from: ["@acme/sre"], required: 2}
  - {name: logins, from: [Bob, carol, kate], required: 2, allow_contributor: true}
  - {name: pushers, required: 2, dismiss_stale: false}
  - {name: self, from: ["@acme/sre"], allow_author: true}
  - {name: owners, codeowners: true}
  - name: either
    all_of:
      - {from: ["@acme/sre"]}
      - any_of:
          - {from: ["@acme/cab"]}
          - {from: [grace, Bob], required: 2}
`

// randomChange is a change with reviews and commands drawn from seed:
// several spellings of a few people, every stance, both heads.
func randomChange(seed int) *Change {
	c := attackChange()
	c.Teams = TeamMap{"acme/sre": {"bob", "carol", "alice"}, "acme/cab": {"frank", "Kate"}}
	c.Files = append(c.Files, File{Path: "docs/y.md"})
	c.CodeOwners, _ = ParseCodeOwners([]byte("* @kate\n*.go @bob @acme/cab\n/db/ @acme/cab @alice\n"))
	people := []string{"alice", "ALICE", "bob", "Bob", "carol", "frank", "FRANK", "grace", "kate", "\u212aate", "rita", "mallory"}
	x := uint32(seed)*2654435761 + 1
	next := func(n int) int {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return int(x % uint32(n))
	}
	for range 1 + next(12) {
		who, sha := people[next(len(people))], []string{"head1", "head2"}[next(2)]
		switch next(6) {
		case 0, 1:
			approveAt(c, who, sha)
		case 2:
			review(c, who, ReviewChangesRequested, sha)
		case 3:
			review(c, who, ReviewDismissed, sha)
		case 4:
			say(c, who, "/approve")
		default:
			say(c, who, "/approve cancel")
		}
	}
	return c
}

// TestApprovalsCountTheSameEitherWay: on changes drawn at random, counting
// with one bit per person, person by person (beyond 64 people), and with
// a Membership asked person by person give the same verdicts. With
// SHIPGATE_VERDICTS set, the verdicts are written to that file, to be
// compared with those of another version of the evaluator.
func TestApprovalsCountTheSameEitherWay(t *testing.T) {
	p := mustLoad(t, randomPolicy)
	var all strings.Builder
	for seed := range 400 {
		var first string
		for _, pad := range []int{0, 70} {
			for _, asked := range []bool{false, true} {
				c := randomChange(seed)
				padded(c, pad)
				if asked {
					c.Teams = askedMembership{c.Teams.(TeamMap)}
				}
				got := dump(Evaluate(p, c, now0))
				if first == "" {
					first = got
					fmt.Fprintf(&all, "seed %d\n%s", seed, got)
				} else if got != first {
					t.Errorf("seed %d with %d more people (asked: %v):\n%s\nwant, as with one bit each:\n%s", seed, pad, asked, got, first)
				}
			}
		}
	}
	if f := os.Getenv("SHIPGATE_VERDICTS"); f != "" {
		if err := os.WriteFile(f, []byte(all.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUngatedBranchSkipsEveryRule: a change into a branch the policy does
// not gate has every rule skipped, saying which branches are gated: the
// gate does not hold what it does not govern.
func TestUngatedBranchSkipsEveryRule(t *testing.T) {
	p := mustLoad(t, fullPolicy)
	c := basePR()
	c.BaseBranch, c.Reviews, c.Checks = "develop", nil, nil
	v := Evaluate(p, c, now0)
	if v.Gated || len(v.Results) < 5 {
		t.Fatalf("Gated = %v with %d results, want false with every rule", v.Gated, len(v.Results))
	}
	want := "base branch develop is not gated by this policy (branches: main, release/*)"
	for _, r := range v.Results {
		if r.Status != Skipped || r.Message != want {
			t.Errorf("%s = %s: %q, want skipped: %q", r.Name, r.Status, r.Message, want)
		}
	}
	if v.Conclusion != Success {
		t.Errorf("Conclusion = %s, want success", v.Conclusion)
	}
}

// TestPermissionOfAFoldedLogin: permissions are keyed by lower-cased
// login, and lower-casing turns the Kelvin sign into k; "\u212aate" is not
// kate (sameLogin), so it has none of kate's access: its approval does
// not count where only people who can push count, and its commands and
// labels are not kate's.
func TestPermissionOfAFoldedLogin(t *testing.T) {
	p := mustLoad(t, attackPolicy)
	c := attackChange()
	approveAt(c, "\u212aate", "head2")
	if r, _ := findResult(Evaluate(p, c, now0), "pushers"); r.Status != Wait {
		t.Errorf("pushers = %s: %s, want pending: \\u212aate may not push", r.Status, r.Message)
	}
	if ok, _ := p.Authorize(Command{Name: "approve"}, Actor{Login: "\u212aate"}, c); ok {
		t.Error("\\u212aate may /approve with kate's write access")
	}
	c.Permissions["kate"] = PermMaintain
	if ok, _ := p.Authorize(Command{Name: "hold"}, Actor{Login: "KATE"}, c); !ok {
		t.Error("KATE may not /hold with kate's access")
	}
	hot := mustLoad(t, fullPolicy)
	c.HeadBranch, c.BaseBranch, c.Labels = "hotfix/x", "release/1", []string{"hotfix"}
	c.LabelEvents = []LabelEvent{{Label: "hotfix", Actor: Actor{Login: "\u212aate"}, Added: true, At: t0}}
	if r, _ := findResult(Evaluate(hot, c, now0), "hotfix"); r.Status != Skipped || !strings.Contains(r.Message, "may not declare a hotfix") {
		t.Errorf("hotfix = %s: %s, want skipped: \\u212aate may not declare one with kate's access", r.Status, r.Message)
	}
	c.LabelEvents[0].Actor.Login = "Kate"
	if r, _ := findResult(Evaluate(hot, c, now0), "hotfix"); r.Status == Skipped {
		t.Errorf("hotfix = %s: %s, want declared by the label Kate added", r.Status, r.Message)
	}
}

// TestFreezeOverrideOfAFoldedLogin: notify.slack.users maps kate to a
// Slack user who may override a freeze; "\u212aate" is not kate and may
// not override it through that mapping (KATE may).
func TestFreezeOverrideOfAFoldedLogin(t *testing.T) {
	p := mustLoad(t, "version: 1\nfreeze:\n  windows: [{name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}]\n"+
		"  override: {approvals: 1, from: [\"slack:U0KATE\"]}\nnotify:\n  slack: {users: {kate: U0KATE}}\n")
	now := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)
	for login, want := range map[string]Status{"\u212aate": Fail, "KATE": Pass} {
		c := basePR()
		c.Comments = []Comment{comment(login, "/override-freeze outage", now.Add(-time.Hour))}
		if r, _ := findResult(Evaluate(p, c, now), "freeze"); r.Status != want {
			t.Errorf("override by %q: freeze = %s: %s, want %s", login, r.Status, r.Message, want)
		}
	}
}

// TestCheckFromAFoldedLogin: a required commit status counts only when
// its poster is the login named; "\u212aate" is not kate (KATE is).
func TestCheckFromAFoldedLogin(t *testing.T) {
	p := mustLoad(t, "version: 1\nchecks:\n  required: [{name: ci/jenkins, from: kate}]\n")
	for creator, want := range map[string]Status{"\u212aate": Wait, "KATE": Pass} {
		c := basePR()
		c.Checks = []Check{{Name: "ci/jenkins", Status: CheckCompleted, Conclusion: "success", HeadSHA: "head2", Creator: creator}}
		if r, _ := findResult(Evaluate(p, c, now0), "checks"); r.Status != want {
			t.Errorf("a status posted by %q: checks = %s: %s, want %s", creator, r.Status, r.Message, want)
		}
	}
}

// TestAttackARequestForChangesFromAnUnreadTeamIsNotIgnored: the members
// of @acme/ops could not be read, bob (listed by name) approves, and
// mallory requests changes. Whether mallory is in @acme/ops is unknown,
// so her request may count: the rule is pending, not passed — also when
// another alternative of an any_of would pass without the team.
func TestAttackARequestForChangesFromAnUnreadTeamIsNotIgnored(t *testing.T) {
	for name, policy := range map[string]string{
		"plain":  "version: 1\napprovals:\n  - {name: ops, from: [\"@acme/ops\", bob], required: 1}\n",
		"any_of": "version: 1\napprovals:\n  - name: ops\n    any_of:\n      - {from: [\"@acme/ops\"], required: 1}\n      - {from: [bob], required: 1}\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := mustLoad(t, policy)
			c := attackChange()
			approveAt(c, "bob", "head2")
			review(c, "mallory", ReviewChangesRequested, "head2")
			c.Permissions["mallory"] = PermWrite
			res := opsResult(t, p, c)
			if res.Status != Wait || !strings.Contains(res.Message, "@mallory, who may be in @acme/ops") {
				t.Fatalf("%s: %s", res.Status, res.Message)
			}
			// Once the team is read and mallory is not in it, bob's approval passes.
			c.Teams = TeamMap{"acme/ops": {"olga"}}
			if res := opsResult(t, p, c); res.Status != Pass {
				t.Fatalf("with the team read: %s: %s", res.Status, res.Message)
			}
			// And in it, her request fails the rule.
			c.Teams = TeamMap{"acme/ops": {"mallory"}}
			if res := opsResult(t, p, c); res.Status != Fail {
				t.Fatalf("with mallory in the team: %s: %s", res.Status, res.Message)
			}
		})
	}
}

// opsResult is the verdict's result of the rule named ops.
func opsResult(t *testing.T, p *Policy, c *Change) Result {
	t.Helper()
	r, ok := findResult(Evaluate(p, c, now0), "ops")
	if !ok {
		t.Fatal("no result for the rule ops")
	}
	return r
}
