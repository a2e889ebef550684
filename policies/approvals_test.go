package policies

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// manyPeoplePolicy has a rule of each way of saying who counts: a team,
// a login, anyone who could push, and code owners; with an any_of.
const manyPeoplePolicy = `version: 1
approvals:
  - {name: sre, from: ["@acme/sre"], required: 2}
  - {name: leads, from: [dave]}
  - {name: pushers, required: 4}
  - {name: owners, from: [bob], codeowners: true}
  - name: either
    any_of:
      - {from: ["@acme/dba"], required: 2}
      - {from: ["@acme/sre"], required: 3}
`

// manyPeopleChange has pad people who approve and count for nothing,
// then the people the rules are about; with pad beyond 64, counting
// cannot use one bit per person and asks person by person.
func manyPeopleChange(pad int) *Change {
	c := basePR()
	c.Files = []File{{Path: "api/x.go"}, {Path: "db/a.sql"}, {Path: "db/b.sql"}, {Path: "db/c.sql"}, {Path: "db/d.sql"}}
	c.CodeOwners, _ = ParseCodeOwners([]byte("*.go @bob\n/db/ @acme/cab\n"))
	c.Commits = append(c.Commits, Commit{SHA: "head2", Message: "fix", Author: Actor{Login: "grace"}})
	c.Teams = TeamMap{"acme/sre": {"bob", "carol", "alice"}, "acme/dba": {"frank", "Erin"}, "acme/cab": {"frank"}}
	c.Permissions = map[string]Permission{"alice": PermAdmin, "bob": PermWrite, "carol": PermWrite, "erin": PermWrite, "grace": PermWrite}
	c.Reviews = nil
	at := t0
	review := func(login string, st ReviewState) {
		at = at.Add(time.Minute)
		c.Reviews = append(c.Reviews, Review{Author: Actor{Login: login}, State: st, CommitSHA: "head2", SubmittedAt: at})
	}
	for i := range pad {
		review(fmt.Sprintf("pad%02d", i), ReviewApproved)
	}
	review("alice", ReviewApproved) // the author: counts for no rule
	review("bob", ReviewApproved)
	review("carol", ReviewApproved)
	review("dave", ReviewChangesRequested)
	review("ERIN", ReviewApproved)
	review("grace", ReviewApproved) // a contributor
	return c
}

// TestApprovalsCountTheSameForManyPeople: counting with one bit per
// person (up to 64 people) and person by person (beyond) agree, on every
// kind of rule.
func TestApprovalsCountTheSameForManyPeople(t *testing.T) {
	p := mustLoad(t, manyPeoplePolicy)
	few := Evaluate(p, manyPeopleChange(3), now0)
	want := map[string]string{
		"sre":     "pass: approved by @bob, @carol",
		"leads":   "fail: changes requested by @dave",
		"pushers": "pending: needs 1 more approval (has 3 of 4: @bob, @carol, @ERIN); @grace authored or committed commits of this change",
		"owners":  "pending: db/a.sql needs approval from a code owner (@acme/cab); db/b.sql needs approval from a code owner (@acme/cab); db/c.sql needs approval from a code owner (@acme/cab); and 1 more files",
		"either":  "pending: needs 1 more approval from @acme/dba (has 1 of 2: @ERIN)",
	}
	for name, w := range want {
		r, ok := findResult(few, name)
		if got := string(r.Status) + ": " + r.Message; !ok || !strings.HasPrefix(got, w) {
			t.Errorf("%s = %q, want it to start %q", name, got, w)
		}
	}
	for _, pad := range []int{3, 62, 63, 64, 70, 130} {
		for _, asked := range []bool{false, true} {
			c := manyPeopleChange(pad)
			if asked {
				c.Teams = askedMembership{c.Teams.(TeamMap)}
			}
			if got, want := dump(Evaluate(p, c, now0)), dump(few); got != want {
				t.Errorf("with %d more people (membership asked person by person: %v):\n%s\nwant, as with 3:\n%s", pad, asked, got, want)
			}
		}
	}
}

// askedMembership is a Membership other than a TeamMap: it can only be
// asked person by person.
type askedMembership struct{ m TeamMap }

func (a askedMembership) IsMember(team, login string) bool { return a.m.IsMember(team, login) }

// TestSameLogin: the quick answers for ASCII first and last letters agree
// with strings.EqualFold, including for letters that Unicode folds to
// ASCII ones (the Kelvin sign to k, the long s to s).
func TestSameLogin(t *testing.T) {
	logins := []string{"", "a", "A", "b", "bob", "Bob", "BOB", "bOb", "rev1", "rev2", "Rev1", "user1", "carol",
		"\u212aate", "kate", "Kate", "ka\u212a", "kak", "\u017fam", "sam", "Sam", "ab\u017f", "abs", "ǅx", "ǆx", "Ǆx",
		"a-b", "a_b", "A-B", "é1", "É1", "1é", "1É", "x@1", "X@1", "[a", "{a"}
	for _, a := range logins {
		for _, b := range logins {
			want := len(a) == len(b) && strings.EqualFold(a, b)
			if got := sameLogin(a, b); got != want {
				t.Errorf("sameLogin(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}
