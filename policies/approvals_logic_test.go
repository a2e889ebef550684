package policies

import (
	"testing"
	"time"
)

// approve adds an approval of the current head by login.
func approve(c *Change, login string) {
	c.Reviews = append(c.Reviews, Review{Author: Actor{Login: login}, State: ReviewApproved, CommitSHA: c.HeadSHA, SubmittedAt: t0.Add(time.Duration(len(c.Reviews)+1) * time.Minute)})
}

// In basePR, @carol and @dave (both in @acme/release-managers) approved;
// @erin is @acme/dba, @frank is @acme/cab.
func TestAnyOfAllOf(t *testing.T) {
	tests := []struct {
		name   string
		rules  string
		change func(*Change)
		status Status
		msg    string // the whole message
	}{
		{name: "any_of holds when one alternative holds",
			rules: `
  - name: release
    any_of:
      - {from: ["@acme/dba"]}
      - {from: ["@acme/release-managers"], required: 2}`,
			status: Pass, msg: "approved by @carol, @dave"},
		{name: "any_of names the alternative closest to passing",
			rules: `
  - name: release
    any_of:
      - {from: ["@acme/release-managers"], required: 4}
      - {from: ["@acme/dba"]}`,
			status: Wait, msg: "needs 1 more approval from @acme/dba; the author's own approval does not count (closest of 2 alternatives)"},
		{name: "a named alternative is named in the message",
			rules: `
  - name: release
    any_of:
      - {name: sre, from: ["@acme/sre"]}
      - {name: managers, from: ["@acme/release-managers"], required: 4}`,
			change: func(c *Change) { c.Teams.(TeamMap)["acme/sre"] = []string{"sam"} },
			status: Wait, msg: "sre: needs 1 more approval from @acme/sre; the author's own approval does not count (closest of 2 alternatives)"},
		{name: "a skipped alternative does not satisfy an any_of",
			rules: `
  - name: release
    any_of:
      - {when: {paths: ["db/**"]}, from: ["@acme/dba"]}
      - {from: ["@acme/release-managers"], required: 3}`,
			change: func(c *Change) { approve(c, "erin") },
			status: Wait, msg: "needs 1 more approval from @acme/release-managers (has 2 of 3: @carol, @dave); the author's own approval does not count"},
		{name: "an any_of whose alternatives are all skipped is skipped",
			rules: `
  - name: release
    any_of:
      - {when: {paths: ["db/**"]}, from: ["@acme/dba"]}
      - {when: {labels: [risky]}, required: 3}`,
			status: Skipped, msg: "does not apply to this change: none of its rules applies"},
		{name: "an all_of leaves out a member that does not apply",
			rules: `
  - name: release
    all_of:
      - {when: {paths: ["db/**"]}, from: ["@acme/dba"]}
      - {from: ["@acme/release-managers"], required: 2}`,
			status: Pass, msg: "approved by @carol, @dave"},
		{name: "an all_of holds with a different person for each rule",
			rules: `
  - name: two-eyes
    all_of:
      - {name: managers, from: ["@acme/release-managers"]}
      - {name: named, from: [carol, dave]}`,
			status: Pass, msg: "managers: approved by @dave; named: approved by @carol"},
		{name: "an all_of says what each unmet rule needs",
			rules: `
  - name: two-eyes
    all_of:
      - {name: dba, from: ["@acme/dba"]}
      - {name: cab, from: ["@acme/cab"]}
      - {name: managers, from: ["@acme/release-managers"]}`,
			status: Wait, msg: "dba: needs 1 more approval from @acme/dba; the author's own approval does not count; and cab: needs 1 more approval from @acme/cab; the author's own approval does not count"},
		{name: "nested: an all_of inside an any_of holds",
			rules: `
  - name: release
    any_of:
      - all_of:
          - {from: ["@acme/dba"]}
          - {from: ["@acme/release-managers"]}
      - {from: [bob]}`,
			change: func(c *Change) { approve(c, "erin") },
			status: Pass, msg: "approved by @erin; approved by @carol"},
		{name: "nested: the closest way through an all_of is named",
			rules: `
  - name: release
    any_of:
      - {name: bob, from: [bob, zed], required: 2}
      - all_of:
          - {name: dba, from: ["@acme/dba"]}
          - {name: managers, from: ["@acme/release-managers"]}`,
			status: Wait, msg: "dba: needs 1 more approval from @acme/dba; the author's own approval does not count (closest of 2 alternatives)"},
		{name: "nested: an any_of inside an all_of multiplies the ways",
			rules: `
  - name: release
    all_of:
      - any_of:
          - {name: dba, from: ["@acme/dba"]}
          - {name: cab, from: ["@acme/cab"]}
      - {name: managers, from: ["@acme/release-managers"], required: 3}`,
			change: func(c *Change) { approve(c, "frank") },
			status: Wait, msg: "managers: needs 1 more approval from @acme/release-managers (has 2 of 3: @carol, @dave); the author's own approval does not count (closest of 2 alternatives)"},
		{name: "a request for changes in one alternative fails the entry although another holds",
			rules: `
  - name: release
    any_of:
      - {from: ["@acme/dba"]}
      - {from: ["@acme/release-managers"], required: 2}`,
			change: func(c *Change) {
				c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "erin"}, State: ReviewChangesRequested, CommitSHA: "head2", SubmittedAt: t0.Add(time.Hour)})
			},
			status: Fail, msg: "changes requested by @erin: address the review, then ask for a re-review (or have the review dismissed)"},
		{name: "a stale approval inside an alternative is explained",
			rules: `
  - name: release
    any_of:
      - {from: ["@acme/dba"]}
      - {from: [bob]}`,
			change: func(c *Change) {
				c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "erin"}, State: ReviewApproved, CommitSHA: "old", SubmittedAt: t0.Add(time.Hour)})
			},
			status: Wait, msg: "needs 1 more approval from @acme/dba; @erin approved old, an older commit: what was approved is not what would merge, so these approvals need renewing; the author's own approval does not count (closest of 2 alternatives)"},
		{name: "an alternative whose condition is unknown cannot satisfy, the other still can",
			rules: `
  - name: release
    any_of:
      - {when: {authors_in: ["@acme/unread"]}, required: 1}
      - {from: ["@acme/release-managers"], required: 2}`,
			status: Pass, msg: "approved by @carol, @dave"},
		{name: "only unknown alternatives leave the entry pending with why",
			rules: `
  - name: release
    any_of:
      - {when: {authors_in: ["@acme/unread"]}, required: 1}
      - {when: {changed_lines: {over: 10}}, required: 1}`,
			status: Wait, msg: "the members of @acme/unread are not known, so whether this rule applies (when authors in @acme/unread) is not known"},
		{name: "the combination's own when skips it",
			rules: `
  - name: release
    when: {branches: ["release/*"]}
    any_of:
      - {from: ["@acme/dba"]}`,
			status: Skipped, msg: "does not apply to this change (when branches release/*)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := basePR()
			if tt.change != nil {
				tt.change(c)
			}
			p := mustLoad(t, "version: 1\napprovals:"+tt.rules+"\n")
			r := Evaluate(p, c, now0).Results[0]
			if r.Status != tt.status || r.Message != tt.msg {
				t.Errorf("%s = %s %q\nwant %s %q", r.Name, r.Status, r.Message, tt.status, tt.msg)
			}
		})
	}
}
