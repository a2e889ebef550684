package policies

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestVerdictCarriesBumpRecordsAndNote(t *testing.T) {
	p := mustLoad(t, fullPolicy)
	c := basePR()
	c.Title = "feat(api): add widget export CHG0001234"
	v := Evaluate(p, c, now0)
	if v.Bump != BumpMinor {
		t.Errorf("Bump = %s, want minor", v.Bump)
	}
	if want := []string{"CHG0001234", "ABC-123"}; !reflect.DeepEqual(v.ChangeRecords, want) {
		t.Errorf("ChangeRecords = %v, want %v", v.ChangeRecords, want)
	}
	if v.ReleaseNote != "Widgets can be exported as CSV." {
		t.Errorf("ReleaseNote = %q", v.ReleaseNote)
	}
	if !v.Gated {
		t.Error("Gated = false for main")
	}
}

func TestEvaluateConditionsAndCodeOwners(t *testing.T) {
	owners, err := ParseCodeOwners([]byte("*.go @acme/release-managers\n/db/ @acme/dba @erin\ndocs/ @writer\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		policy string
		change func(c *Change)
		status Status
		msg    string
	}{
		{name: "a labels condition applies the rule only to labelled changes", status: Skipped, msg: "labels risky",
			policy: "version: 1\napprovals:\n  - name: extra\n    when: {labels: [risky]}\n    required: 3\n"},
		{name: "a labelled change gets the labelled rule", status: Wait, msg: "needs 1 more",
			policy: "version: 1\napprovals:\n  - name: extra\n    when: {labels: [risky]}\n    required: 3\n",
			change: func(c *Change) { c.Labels = append(c.Labels, "Risky") }},
		{name: "an authors condition matches team members", status: Wait, msg: "needs 1 more",
			policy: "version: 1\napprovals:\n  - name: newcomers\n    when: {authors: [\"@acme/release-managers\"]}\n    required: 3\n"},
		{name: "an authors condition skips others", status: Skipped, msg: "authors @acme/interns",
			policy: "version: 1\napprovals:\n  - name: newcomers\n    when: {authors: [\"@acme/interns\"]}\n    required: 3\n",
			change: func(c *Change) { c.Teams.(TeamMap)["acme/interns"] = []string{"ivan"} }},
		{name: "an authors condition whose team was not read keeps the rule pending", status: Wait, msg: "members of @acme/interns are not known",
			policy: "version: 1\napprovals:\n  - name: newcomers\n    when: {authors: [\"@acme/interns\"]}\n    required: 3\n"},
		{name: "a branches condition skips other base branches", status: Skipped, msg: "branches release/*",
			policy: "version: 1\napprovals:\n  - name: rel\n    when: {branches: [\"release/*\"]}\n    required: 3\n"},
		{name: "without team data a team entry matches nobody", status: Wait, msg: "needs 2 more approvals from @acme/release-managers",
			policy: "version: 1\napprovals:\n  - name: team\n    required: 2\n    from: [\"@acme/release-managers\"]\n",
			change: func(c *Change) { c.Teams = nil }},
		{name: "code owners of every owned file must approve", status: Wait, msg: "db/schema.sql needs approval from a code owner (@acme/dba or @erin)",
			policy: "version: 1\napprovals:\n  - name: owners\n    required: 1\n    codeowners: true\n",
			change: func(c *Change) {
				c.Files = append(c.Files, File{Path: "db/schema.sql"}, File{Path: "README.md"})
				c.CodeOwners = owners
			}},
		{name: "a code owner's approval covers their files", status: Pass, msg: "approved by",
			policy: "version: 1\napprovals:\n  - name: owners\n    required: 1\n    codeowners: true\n",
			change: func(c *Change) {
				c.Files = append(c.Files, File{Path: "db/schema.sql"})
				c.CodeOwners = owners
				c.Reviews = append(c.Reviews, Review{Author: Actor{Login: "erin"}, State: ReviewApproved, CommitSHA: "head2", SubmittedAt: t0})
			}},
		{name: "code owners without the file list is pending, never passing", status: Wait, msg: "changed files are not known",
			policy: "version: 1\napprovals:\n  - name: owners\n    required: 1\n    codeowners: true\n",
			change: func(c *Change) { c.Files = nil; c.CodeOwners = owners }},
		{name: "allow_author lets the author's approval count", status: Pass, msg: "@alice",
			policy: "version: 1\napprovals:\n  - name: self\n    required: 1\n    from: [alice]\n    allow_author: true\n",
			change: func(c *Change) {
				c.Reviews = []Review{{Author: Actor{Login: "alice"}, State: ReviewApproved, CommitSHA: "head2", SubmittedAt: t0}}
			}},
		{name: "with permissions known an anyone-rule counts only reviewers with write access", status: Wait, msg: "needs 1 more",
			policy: "version: 1\napprovals:\n  - name: any\n    required: 2\n",
			change: func(c *Change) { c.Permissions = map[string]Permission{"carol": PermWrite, "dave": PermRead} }},
		{name: "a stale approval does not count by default", status: Wait, msg: "older commit",
			policy: "version: 1\napprovals:\n  - name: any\n    required: 2\n",
			change: func(c *Change) { c.Reviews[0].CommitSHA = "old" }},
		{name: "a stale approval counts with dismiss_stale: false", status: Pass, msg: "@carol, @dave",
			policy: "version: 1\napprovals:\n  - name: any\n    required: 2\n    dismiss_stale: false\n",
			change: func(c *Change) { c.Reviews[0].CommitSHA = "old" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := basePR()
			if tt.change != nil {
				tt.change(c)
			}
			v := Evaluate(mustLoad(t, tt.policy), c, now0)
			r := v.Results[0]
			if r.Status != tt.status || !strings.Contains(r.Message, tt.msg) {
				t.Errorf("%s = %s %q, want %s containing %q", r.Name, r.Status, r.Message, tt.status, tt.msg)
			}
		})
	}
}

func TestNeeds(t *testing.T) {
	full := mustLoad(t, fullPolicy).Needs()
	for _, f := range []Facts{NeedReviews, NeedComments, NeedFiles, NeedCommits, NeedChecks, NeedTeams, NeedPermissions} {
		if !full.Has(f) {
			t.Errorf("full policy does not need fact %b", f)
		}
	}
	if full.Has(NeedCodeOwners) {
		t.Error("full policy has no codeowners rule but needs CODEOWNERS")
	}
	minimal := mustLoad(t, "version: 1\n").Needs()
	if minimal != NeedComments|NeedPermissions {
		t.Errorf("minimal policy needs %b, want comments and permissions only", minimal)
	}
	owners := mustLoad(t, "version: 1\napprovals:\n  - codeowners: true\n").Needs()
	if !owners.Has(NeedCodeOwners | NeedFiles | NeedReviews) {
		t.Errorf("codeowners policy needs %b", owners)
	}
}

func TestEvaluateIsTotalOnAnEmptyChange(t *testing.T) {
	v := Evaluate(mustLoad(t, fullPolicy), &Change{BaseBranch: "main"}, time.Time{})
	if v.Conclusion == Success {
		t.Fatalf("an empty change under the full policy succeeded:\n%s", dump(v))
	}
}
