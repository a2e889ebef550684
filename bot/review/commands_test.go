package review

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

func TestAsWritten(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	comments := []policies.Comment{
		{ID: 1, Author: policies.Actor{Login: "bob"}, Body: "/approve", CreatedAt: t0, Edited: true},                    // edited from "/hold"
		{ID: 2, Author: policies.Actor{Login: "carol"}, Body: "/approve", CreatedAt: t0.Add(time.Minute), Edited: true}, // edited from "nice"
		{ID: 3, Author: policies.Actor{Login: "dave"}, Body: "/semver minor", CreatedAt: t0.Add(2 * time.Minute)},       // never recorded
	}
	records := []store.CommandRecord{
		{CommentID: 1, Index: 0, Actor: "bob", Name: "hold", At: t0},
		{CommentID: 4, Index: 1, Actor: "erin", Name: "hold", Args: "cancel", At: t0.Add(3 * time.Minute)}, // deleted since
		{CommentID: 4, Index: 0, Actor: "erin", Name: "approve", At: t0.Add(3 * time.Minute)},
	}
	got := AsWritten(comments, records)
	var lines []string
	for _, c := range got {
		lines = append(lines, fmt.Sprintf("%d %s edited=%v commands=%v", c.ID, c.Author.Login, c.Edited, c.Commands))
	}
	want := []string{
		"1 bob edited=true commands=[{hold  true}]",
		"2 carol edited=true commands=[]",
		"3 dave edited=false commands=[]",
		"4 erin edited=true commands=[{approve  true} {hold cancel true}]",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("AsWritten =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got[1].Commands != nil || got[2].Commands != nil {
		t.Errorf("comments without records got commands: %#v, %#v", got[1].Commands, got[2].Commands)
	}
	if comments[0].Commands != nil {
		t.Error("AsWritten changed its input")
	}
}

func TestDecideRefusesWhatCannotCount(t *testing.T) {
	p, err := policies.Load(PolicyFile, []byte("version: 1\nhotfix:\n  branches: [\"hotfix/*\"]\nfreeze:\n  windows: [{name: w, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}]\n  override: {approvals: 1, from: [frank]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	noFreeze, _ := policies.Load(PolicyFile, []byte("version: 1\n"))
	change := &policies.Change{Author: policies.Actor{Login: "alice"}, BaseBranch: "release/1.2", HeadBranch: "hotfix/crash"}
	tests := []struct {
		name    string
		p       *policies.Policy
		change  func(*policies.Change)
		command string
		ok      bool
		reason  string
	}{
		{"a hotfix with its reason is accepted", p, nil, "/hotfix checkout crashes", true, ""},
		{"a hotfix without a reason is refused", p, nil, "/hotfix", false, "give the reason"},
		{"a hotfix from a branch that is no hotfix branch is refused", p, func(c *policies.Change) { c.HeadBranch = "feature/x" }, "/hotfix urgent", false, "is not a hotfix branch"},
		{"a hotfix into the main line is refused", p, func(c *policies.Change) { c.BaseBranch = "main" }, "/hotfix urgent", false, "goes into a release line"},
		{"a hotfix under a policy without hotfix is refused", noFreeze, nil, "/hotfix urgent", false, "no hotfix key"},
		{"/hotfix cancel is accepted", p, nil, "/hotfix cancel", true, ""},
		{"an override with its reason is accepted", p, nil, "/override-freeze payment outage", true, ""},
		{"an override without a reason is refused", p, nil, "/override-freeze", false, "give the reason"},
		{"an override under a policy without one is refused", noFreeze, nil, "/override-freeze outage", false, "has no override"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *change
			if tt.change != nil {
				tt.change(&c)
			}
			d := Decide(tt.p, &c, policies.Actor{Login: "bob"}, policies.ParseCommands(tt.command), Features{})
			if len(d) != 1 || d[0].Accepted != tt.ok || !strings.Contains(d[0].Reason, tt.reason) {
				t.Errorf("Decide = %+v, want accepted %v with %q", d, tt.ok, tt.reason)
			}
		})
	}
}
