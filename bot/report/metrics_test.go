package report

import (
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/policies"
)

func at(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC)
}

// dep is a finished deployment of version (or, with kind rollback, of
// the version it rolls back to, replacing rolledBack).
func dep(repo, env, kind, version, rolledBack, status string, ended time.Time) deploy.State {
	return deploy.State{ID: repo + env + kind + version, Host: policies.GitHub, Repo: repo, Environment: env, Kind: kind, Version: version,
		RolledBack: rolledBack, Status: status, CreatedAt: ended.Add(-10 * time.Minute), EndedAt: ended}
}

// TestDeliveryMetricsOfAScriptedHistory holds Compute to values worked out
// by hand (in the comments) for ten days of deployments.
func TestDeliveryMetricsOfAScriptedHistory(t *testing.T) {
	const ok, failed = deploy.StatusSucceeded, deploy.StatusFailed
	const w, tools = "acme/widgets", "acme/tools"
	history := []deploy.State{
		// production of widgets
		dep(w, "production", deploy.KindDeploy, "v1.0.0", "", ok, time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)), // before the window
		dep(w, "production", deploy.KindDeploy, "v1.1.0", "", ok, at(2, 10, 0)),                                   // lead 24h
		dep(w, "production", deploy.KindDeploy, "v1.2.0", "", failed, at(4, 12, 0)),                               // failure; broken
		dep(w, "production", deploy.KindRollback, "v1.1.0", "v1.2.0", ok, at(4, 12, 30)),                          // restored in 30m
		dep(w, "production", deploy.KindDeploy, "v1.2.1", "", ok, at(5, 12, 0)),                                   // lead 36h
		dep(w, "production", deploy.KindDeploy, "v1.3.0", "", ok, at(8, 12, 0)),                                   // lead 24h, rolled back: a failure
		dep(w, "production", deploy.KindRollback, "v1.2.1", "v1.3.0", ok, at(8, 14, 0)),                           // repairs no failed deployment
		dep(w, "production", deploy.KindDeploy, "v1.4.0", "", failed, at(10, 0, 0)),                               // failure, not restored
		{ID: "protection", Host: policies.GitHub, Repo: w, Environment: "production", Kind: deploy.KindProtection, Status: ok, EndedAt: at(3, 0, 0)},
		{ID: "running", Host: policies.GitHub, Repo: w, Environment: "production", Kind: deploy.KindDeploy, Version: "v1.5.0", Status: deploy.StatusRunning},
		// staging of widgets
		dep(w, "staging", deploy.KindDeploy, "v1.1.0", "", ok, at(1, 12, 0)),       // lead 2h
		dep(w, "staging", deploy.KindDeploy, "v1.2.0", "", ok, at(3, 12, 0)),       // no report: no lead time
		dep(w, "staging", deploy.KindDeploy, "v1.2.1", "", failed, at(4, 8, 0)),    // failure; broken
		dep(w, "staging", deploy.KindDeploy, "v1.2.2", "", ok, at(4, 10, 0)),       // restored in 2h
		dep(tools, "production", deploy.KindDeploy, "v0.1.0", "", ok, at(3, 0, 0)), // no report
	}
	first := map[string]time.Time{
		w + " v1.1.0": at(1, 10, 0), w + " v1.2.1": at(4, 0, 0), w + " v1.3.0": at(7, 12, 0),
	}
	got := Compute(history, func(_ policies.Host, repo, version string) (time.Time, bool) {
		t, ok := first[repo+" "+version]
		return t, ok
	}, Window{Since: at(1, 0, 0), Until: at(11, 0, 0)})

	want := []Delivery{
		{Host: "github", Repo: tools, Environment: "production", Deployments: 1, PerDay: 0.1, Finished: 1},
		// 3 successes in 10 days; 3 of 5 failed (v1.2.0, v1.3.0 rolled back, v1.4.0); leads 24h, 36h, 24h;
		// one repair of 30m, v1.4.0 still broken.
		{Host: "github", Repo: w, Environment: "production", Deployments: 3, PerDay: 0.3, Finished: 5, Failed: 3, ChangeFailureRate: 0.6,
			LeadTime: Duration(24 * time.Hour), LeadTimes: 3, TimeToRestore: Duration(30 * time.Minute), Restores: 1, Unrestored: 1},
		// 3 successes; 1 of 4 failed; one lead of 2h; one repair of 2h.
		{Host: "github", Repo: w, Environment: "staging", Deployments: 3, PerDay: 0.3, Finished: 4, Failed: 1, ChangeFailureRate: 0.25,
			LeadTime: Duration(2 * time.Hour), LeadTimes: 1, TimeToRestore: Duration(2 * time.Hour), Restores: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d groups, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s %s:\n got %+v\nwant %+v", want[i].Repo, want[i].Environment, got[i], want[i])
		}
	}
}

func TestTheMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo(t *testing.T) {
	if got := median([]time.Duration{4 * time.Hour, time.Hour, 2 * time.Hour, 10 * time.Hour}); got != Duration(3*time.Hour) {
		t.Fatalf("median = %s, want 3h", got)
	}
}
