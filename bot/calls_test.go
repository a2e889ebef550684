package bot_test

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/testbed"
	"github.com/shipgate/shipgate/policies"
)

// TestAPICallsPerEventOnBothHosts scripts one change's life, the same on
// both hosts, and measures the API calls per event people caused, 304s
// (free on GitHub) counted apart. Shipgate learns who it is when it starts,
// which the measurement leaves out, as it costs nothing per event. The
// README's performance table reports these figures.
func TestAPICallsPerEventOnBothHosts(t *testing.T) {
	policy := strings.Replace(lifecyclePolicy, "required: 1", "required: 2", 1)
	for _, tt := range []struct {
		host policies.Host
		// most is the ceiling per event: GitHub's check run holds the
		// report; GitLab keeps its sticky note in step besides the status.
		most float64
	}{{policies.GitHub, 2}, {policies.GitLab, 4}} {
		t.Run(string(tt.host), func(t *testing.T) {
			h := testbed.NewHost(t, tt.host, policy, crew)
			h.Identify()
			h.ResetCalls()
			events := scriptLifecycle(h)
			charged, notModified := h.Calls()
			perEvent := float64(charged) / float64(events)
			t.Logf("%s: %d API calls over %d events (%.2f per event); %d more answered 304", tt.host, charged, events, perEvent, notModified)
			if testing.Verbose() {
				h.LogCalls(t)
			}
			if perEvent > tt.most {
				t.Errorf("%.2f API calls per event, want at most %.1f", perEvent, tt.most)
			}
			if v := h.Verdict(shaY, "main"); v.Conclusion != "success" {
				t.Errorf("the script ends with %q, want success", v.Conclusion)
			}
		})
	}
}

// scriptLifecycle runs the scripted life of change 1 (the same thirteen
// events as bot/github/server's TestLifecycle) and returns its events.
func scriptLifecycle(h testbed.Host) int {
	events := 0
	do := func(f func()) {
		f()
		events++
	}
	step := func(fs ...func()) {
		for _, f := range fs {
			do(f)
		}
		h.Drain()
	}
	step(func() {
		h.Open(1, testbed.Change{Title: "feat: gift cards", Author: "dave", Head: "gift-cards", SHA: shaX})
	})
	step(func() { h.Describe(1, fixedDescription, "dave") })
	step(func() { h.Comment(1, "dave", "/semver minor") })
	step(func() { h.Comment(1, "dave", "/approve") })
	step(func() { h.Approve(1, "bob") })
	step(func() { h.Approve(1, "alice") })
	step(func() { h.Push(1, shaY, "fix: expired cards", "dave") })
	step(func() { h.Comment(1, "carol", "/hold") })
	step(func() { h.Comment(1, "erin", "/hold") })
	step(func() { h.Approve(1, "bob") }, func() { h.Approve(1, "alice") })
	step(func() { h.Comment(1, "erin", "/hold cancel") })
	step(func() { h.Comment(1, "carol", "/help") })
	return events
}
