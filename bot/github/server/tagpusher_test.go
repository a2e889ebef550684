package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/github"

	"github.com/shipgate/shipgate/bot/store"
)

// TestATagCountsAsAReleaseOnlyWhenItsPusherMayRelease: anyone with write
// access can push a tag; it counts as a release (a release created, the
// deployments started) only when its pusher holds the role `release`
// needs, or is Shipgate itself. Otherwise its shipgate/tag status fails
// with the reason and the audit log records who pushed it.
func TestATagCountsAsAReleaseOnlyWhenItsPusherMayRelease(t *testing.T) {
	tests := []struct {
		name, pusher, role, commands string
		want                         string // the status's description; "" for a release
	}{
		{"a tag pushed by a user with write but not maintain starts nothing", "walt", "write", "",
			"v1.2.0 is not a release: pushed by walt, who has write access; releasing needs maintain"},
		{"a tag pushed by a stranger starts nothing", "mallory", "", "", "pushed by mallory, who has none access"},
		{"a tag pushed by a maintainer is a release", "maria", "maintain", "", ""},
		{"a tag pushed by Shipgate itself is a release", "shipgate[bot]", "", "", ""},
		{"commands: {release: write} lets a writer release", "walt", "write", "commands: {release: write}\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			d := &recordingDeployer{}
			h.setDeployer(d)
			sha := seedReleaseHistory(t, h.fake)
			h.fake.SetFile(testRepo, "main", github.PolicyFile, releasePolicy+tc.commands)
			if tc.role != "" {
				h.fake.SetPermission(testRepo, tc.pusher, tc.role)
			}
			h.fake.AddTag(testRepo, "v1.2.0", sha["feat-d"])
			h.deliver("push", h.fake.PushEvent(testRepo, "refs/tags/v1.2.0", "", sha["feat-d"], tc.pusher))
			h.drain()
			sts := h.fake.Statuses(testRepo, sha["feat-d"])
			if len(sts) != 1 || sts[0].Context != gate.TagStatus {
				t.Fatalf("statuses = %+v", sts)
			}
			audit := h.audits(store.AuditRelease)
			if tc.want == "" {
				if sts[0].State != "success" || len(h.fake.Releases()) != 1 || len(d.releases) != 1 {
					t.Fatalf("status %+v, releases %+v, deployments %q: want a release", sts[0], h.fake.Releases(), d.releases)
				}
				return
			}
			if sts[0].State != "failure" || !strings.Contains(sts[0].Description, tc.want) {
				t.Errorf("status = %s %q, want a failure saying %q", sts[0].State, sts[0].Description, tc.want)
			}
			if rels := h.fake.Releases(); len(rels) != 0 || len(d.releases) != 0 {
				t.Errorf("releases %+v, deployments %q; want none", rels, d.releases)
			}
			if !slices.Equal(audit, []string{"v1.2.0:refused by " + tc.pusher}) {
				t.Errorf("audit = %q", audit)
			}
		})
	}
}

// TestReleaseCommandStartsTheDeploymentsAsTheCommenter: the tag /release
// makes is Shipgate's, whose push webhook starts nothing; the deployments
// start with the command, started by the commenter.
func TestReleaseCommandStartsTheDeploymentsAsTheCommenter(t *testing.T) {
	h := newHarness(t)
	d := &recordingDeployer{}
	h.setDeployer(d)
	sha := seedReleaseHistory(t, h.fake)
	h.fake.SetPermission(testRepo, "maria", "maintain")
	h.comment(7, "maria", "/release")
	h.drain()
	h.deliver("push", h.fake.PushEvent(testRepo, "refs/tags/v1.2.0", "", sha["feat-d"], "shipgate[bot]"))
	h.drain()
	if want := []string{"github:" + testRepo + "@v1.2.0:" + sha["feat-d"] + " by maria"}; !slices.Equal(d.releases, want) {
		t.Errorf("deployments started = %q, want %q", d.releases, want)
	}
}
