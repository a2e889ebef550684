package report

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/policies"
)

// Delivery is the DORA four of one repository and environment over a
// window, from the deployments Shipgate recorded.
type Delivery struct {
	Host        policies.Host `json:"host"`
	Repo        string        `json:"repo"`
	Environment string        `json:"environment"`
	// Deployments counts the successful deployments of a new version
	// (rollbacks apart) that ended in the window; PerDay is that over the
	// window's days.
	Deployments int     `json:"deployments"`
	PerDay      float64 `json:"deployments_per_day"`
	// Finished counts the deployments of a version that ended, Failed
	// those of them that failed or were rolled back afterwards;
	// ChangeFailureRate is Failed / Finished (0 with none finished).
	Finished          int     `json:"finished"`
	Failed            int     `json:"failed"`
	ChangeFailureRate float64 `json:"change_failure_rate"`
	// LeadTime is the median time from a release's first commit to its
	// successful deployment here, over LeadTimes deployments whose first
	// commit is known (their release report has it).
	LeadTime  Duration `json:"lead_time_median"`
	LeadTimes int      `json:"lead_times"`
	// TimeToRestore is the median time from a failed deployment to the
	// next successful one (a rollback too), over Restores such repairs;
	// Unrestored counts failures with no success after them yet.
	TimeToRestore Duration `json:"time_to_restore_median"`
	Restores      int      `json:"restores"`
	Unrestored    int      `json:"unrestored"`
}

// Window is the period the metrics cover.
type Window struct{ Since, Until time.Time }

// Compute derives the delivery metrics of each repository and environment
// from deployments (in any order), counting what ended inside w.
// firstCommit gives a version's first commit ("host repo version" →
// time), from the release reports.
func Compute(deployments []deploy.State, firstCommit func(host policies.Host, repo, version string) (time.Time, bool), w Window) []Delivery {
	groups := map[string][]deploy.State{}
	for _, st := range deployments {
		if st.Kind == deploy.KindProtection || !st.Done() {
			continue
		}
		k := string(st.Host) + "\x00" + st.Repo + "\x00" + st.Environment
		groups[k] = append(groups[k], st)
	}
	days := w.Until.Sub(w.Since).Hours() / 24
	var out []Delivery
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		deps := groups[k]
		slices.SortStableFunc(deps, func(a, b deploy.State) int { return cmp.Or(a.EndedAt.Compare(b.EndedAt), strings.Compare(a.ID, b.ID)) })
		d := Delivery{Host: deps[0].Host, Repo: deps[0].Repo, Environment: deps[0].Environment}
		rolledBack := map[string]bool{}
		for _, st := range deps {
			if st.Kind == deploy.KindRollback {
				rolledBack[st.RolledBack] = true
			}
		}
		var leads, restores []time.Duration
		var brokenSince time.Time
		for _, st := range deps {
			in := !st.EndedAt.Before(w.Since) && !st.EndedAt.After(w.Until)
			ok := st.Status == deploy.StatusSucceeded
			if st.Kind == deploy.KindDeploy && in {
				d.Finished++
				if !ok || rolledBack[st.Version] {
					d.Failed++
				}
				if ok {
					d.Deployments++
					if t, known := firstCommit(st.Host, st.Repo, st.Version); known && !t.After(st.EndedAt) {
						leads = append(leads, st.EndedAt.Sub(t))
					}
				}
			}
			switch {
			case !ok && st.Kind == deploy.KindDeploy && brokenSince.IsZero():
				brokenSince = st.EndedAt
			case ok && !brokenSince.IsZero():
				if in {
					restores = append(restores, st.EndedAt.Sub(brokenSince))
				}
				brokenSince = time.Time{}
			}
		}
		if !brokenSince.IsZero() {
			d.Unrestored = 1
		}
		if days > 0 {
			d.PerDay = float64(d.Deployments) / days
		}
		if d.Finished > 0 {
			d.ChangeFailureRate = float64(d.Failed) / float64(d.Finished)
		}
		d.LeadTime, d.LeadTimes = median(leads), len(leads)
		d.TimeToRestore, d.Restores = median(restores), len(restores)
		out = append(out, d)
	}
	return out
}

// median is the middle duration (the mean of the two middle ones for an
// even count), 0 for none.
func median(ds []time.Duration) Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return Duration(s[n/2])
	}
	return Duration((s[len(s)/2-1] + s[len(s)/2]) / 2)
}
