package report

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
)

// fakeReader serves deployments and reports from memory and counts reads.
type fakeReader struct {
	deps    []store.Deployment
	reports map[string][]store.ReleaseReport
	reads   int
}

func (f *fakeReader) DeploymentHistory(ctx context.Context, flt store.HistoryFilter) ([]store.Deployment, error) {
	f.reads++
	var out []store.Deployment
	for _, d := range f.deps {
		if !d.CreatedAt.Before(flt.Since) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeReader) ReleaseReports(ctx context.Context, repo, version string) ([]store.ReleaseReport, error) {
	if r, ok := f.reports[version]; ok {
		return r, nil
	}
	return nil, store.ErrNotFound
}

func stored(t *testing.T, st deploy.State) store.Deployment {
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return store.Deployment{ID: st.ID, Host: st.Host, Repo: st.Repo, Environment: st.Environment, Version: st.Version, State: st.Status, Data: data, CreatedAt: st.CreatedAt}
}

func TestTheCollectorExportsTheMetricsAndReadsTheStoreOncePerMinute(t *testing.T) {
	now := at(11, 0, 0)
	rep, _ := json.Marshal(Report{Host: "github", Repo: "acme/widgets", Version: "v1.1.0", FirstCommitAt: at(1, 10, 0)})
	r := &fakeReader{
		deps: []store.Deployment{
			stored(t, dep("acme/widgets", "production", deploy.KindDeploy, "v1.1.0", "", deploy.StatusSucceeded, at(2, 10, 0))),
			stored(t, dep("acme/widgets", "production", deploy.KindDeploy, "v1.2.0", "", deploy.StatusFailed, at(4, 12, 0))),
			stored(t, dep("acme/widgets", "production", deploy.KindRollback, "v1.1.0", "v1.2.0", deploy.StatusSucceeded, at(4, 12, 30))),
		},
		reports: map[string][]store.ReleaseReport{"v1.1.0": {{Host: "github", Repo: "acme/widgets", Version: "v1.1.0", Data: rep}}},
	}
	c := &Collector{Reader: r, Now: func() time.Time { return now }}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	want := map[string]float64{
		"shipgate_dora_change_failure_ratio": 0.5, "shipgate_dora_deployments": 1, "shipgate_dora_deployments_per_day": 1.0 / 30, // 30-day window
		"shipgate_dora_lead_time_seconds": 86400, "shipgate_dora_time_to_restore_seconds": 1800,
	}
	for range 2 {
		got := gather(t, reg)
		if len(got) != len(want) {
			t.Fatalf("metrics %v, want %v", got, want)
		}
		for name, v := range want {
			if got[name] != v {
				t.Errorf("%s = %v, want %v", name, got[name], v)
			}
		}
	}
	if r.reads != 1 {
		t.Fatalf("two scrapes read the store %d times, want once", r.reads)
	}
	now = now.Add(time.Minute)
	if _, err := reg.Gather(); err != nil || r.reads != 2 {
		t.Fatalf("a minute later: %v, %d reads, want 2", err, r.reads)
	}
}

// gather returns each gauge's value, for the one label set of the test,
// checking the labels.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			if got := strings.Join(ls, ","); got != "environment=production,host=github,repo=acme/widgets" {
				t.Errorf("%s labels %s", f.GetName(), got)
			}
			out[f.GetName()] = m.GetGauge().GetValue()
		}
	}
	return out
}
