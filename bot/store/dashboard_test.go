package store

import (
	"testing"
	"time"

	"github.com/shipgate/shipgate/policies"
)

var dashboardTests = []struct {
	name string
	run  func(t *testing.T, x *suite)
}{
	{"open changes are counted by their latest conclusion, whichever was written first", testOpenCounts},
	{"recent open changes are the most recently active of the repositories asked", testRecentOpenChanges},
	{"the audit search reads only the repositories asked, of their host", testSearchAuditRepos},
}

func testOpenCounts(t *testing.T, x *suite) {
	pr := func(repo string, n int, state string) {
		if err := x.s.PutPR(ctx, PRState{Host: policies.GitHub, Repo: repo, Number: n, BaseBranch: "main", HeadSHA: "a", State: state, LastActivityAt: x.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(repo string, n int, c string) {
		if _, err := x.s.SaveEvaluation(ctx, Evaluation{Host: policies.GitHub, Repo: repo, Number: n, HeadSHA: "a", Conclusion: c}); err != nil {
			t.Fatal(err)
		}
	}
	pr("o/a", 1, PROpen)
	eval("o/a", 1, "pending")
	eval("o/a", 1, "failure") // the latest counts
	eval("o/a", 2, "success") // evaluated before its row exists
	pr("o/a", 2, PROpen)
	pr("o/a", 3, PROpen) // never evaluated
	pr("o/a", 4, PRClosed)
	eval("o/a", 4, "success")
	got, err := x.s.OpenCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"failure": 1, "success": 1, "": 1}
	if len(got) != len(want) {
		t.Fatalf("OpenCounts = %+v, want %v", got, want)
	}
	for _, c := range got {
		if c.Repo != "o/a" || want[c.Conclusion] != c.Count {
			t.Errorf("OpenCounts has %+v, want %v", c, want)
		}
	}
}

func testRecentOpenChanges(t *testing.T, x *suite) {
	for n := 1; n <= 5; n++ {
		for _, h := range []policies.Host{policies.GitHub, policies.GitLab} {
			if err := x.s.PutPR(ctx, PRState{Host: h, Repo: "o/a", Number: n, BaseBranch: "main", HeadSHA: "a", State: PROpen,
				LastActivityAt: x.clock.Now().Add(time.Duration(n) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := x.s.RecentOpenChanges(ctx, []RepoKey{{Host: policies.GitLab, Repo: "o/a"}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Number != 5 || got[2].Number != 3 {
		t.Fatalf("RecentOpenChanges = %+v, want GitLab's 5, 4, 3", got)
	}
	for _, c := range got {
		if c.Host != policies.GitLab {
			t.Errorf("a change of another host: %+v", c)
		}
	}
	if err := x.s.PutPR(ctx, PRState{Host: policies.GitLab, Repo: "o/a", Number: 9, BaseBranch: "main", HeadSHA: "a", State: PROpen}); err != nil {
		t.Fatal(err)
	}
	got, err = x.s.RecentOpenChanges(ctx, []RepoKey{{Host: policies.GitLab, Repo: "o/a"}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got[0].Number != 5 || got[5].Number != 9 {
		t.Errorf("a change without recorded activity comes last: %+v", got)
	}
}

func testSearchAuditRepos(t *testing.T, x *suite) {
	for i, e := range []AuditEvent{
		{Host: policies.GitHub, Repo: "o/a", Kind: AuditCommand, Actor: "alice"},
		{Host: policies.GitLab, Repo: "o/a", Kind: AuditCommand, Actor: "alice"},
		{Host: policies.GitHub, Repo: "o/b", Kind: AuditCommand, Actor: "alice"},
		{Host: policies.GitHub, Repo: "o/a", Kind: AuditRelease, Actor: "bob"},
	} {
		e.At = x.clock.Now().Add(time.Duration(i) * time.Second)
		if _, err := x.s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	read := func(q AuditSearch) []AuditEvent {
		var out []AuditEvent
		if err := x.s.SearchAudit(ctx, q, func(e AuditEvent) error { out = append(out, e); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	ghA := []RepoKey{{Host: policies.GitHub, Repo: "o/a"}}
	if got := read(AuditSearch{Repos: ghA}); len(got) != 2 || got[0].Actor != "alice" || got[1].Actor != "bob" {
		t.Errorf("oldest first over github o/a: %+v", got)
	}
	if got := read(AuditSearch{Repos: ghA, Newest: true, Limit: 1}); len(got) != 1 || got[0].Actor != "bob" {
		t.Errorf("newest, limit 1: %+v", got)
	}
	if got := read(AuditSearch{Repos: ghA, Actor: "alice", Kinds: []string{AuditCommand}}); len(got) != 1 || got[0].Host != policies.GitHub {
		t.Errorf("actor and kind: %+v", got)
	}
	if got := read(AuditSearch{}); len(got) != 0 {
		t.Errorf("no repository reads nothing: %+v", got)
	}
}
