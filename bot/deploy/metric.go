package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/shipgate/shipgate/policies"
)

// metricMisses is how many queries in a row may go unanswered (an error, no
// series) before a metric check fails: a fact that stays missing fails
// closed, a single hiccup of Prometheus does not roll a release back.
const metricMisses = 3

// metricTimeout bounds one query.
const metricTimeout = 30 * time.Second

// metricStep queries Prometheus every Interval for For and fails as soon
// as a value crosses the thresholds. Its window (Until) and its next query
// (CheckAt) are saved, so a restart neither restarts nor shortens it.
type metricStep struct {
	o     *Orchestrator
	mc    *policies.MetricCheck
	stage string
}

func (s *metricStep) Name() string {
	if s.stage != "" {
		return staged(s.stage, "analysis")
	}
	return "metric check"
}

func (s *metricStep) Run(ctx context.Context, st *State) (Result, error) {
	cur := st.Current()
	if cur.Until.IsZero() {
		cur.Until = st.now.Add(s.mc.For)
	}
	if !cur.CheckAt.IsZero() && st.now.Before(cur.CheckAt) {
		return waiting(cur.CheckAt, "%s", orDefault(cur.Message, "watching the metric"))
	}
	data := templateData(st)
	base, err := execute(s.mc.URL, data)
	if err != nil {
		return failed("metric_check url: %v", err)
	}
	query, err := execute(s.mc.Query, data)
	if err != nil {
		return failed("metric_check query: %v", err)
	}
	cur.Tries++
	cur.CheckAt = st.now.Add(s.mc.Interval)
	values, err := s.query(ctx, base, query, st.now)
	if err != nil {
		cur.Misses++
		if cur.Misses >= metricMisses {
			return failed("%s: no value for %d queries in a row (fails closed); last: %v", query, cur.Misses, err)
		}
		return waiting(cur.CheckAt, "%s: %v; query %d, %d of %d misses allowed", query, err, cur.Tries, cur.Misses, metricMisses-1)
	}
	cur.Misses = 0
	for _, v := range values {
		if why := s.mc.Crossed(v.value); why != "" {
			return failed("%s%s: %s at %s (query %d)", query, v.series, why, st.now.UTC().Format(time.RFC3339), cur.Tries)
		}
	}
	last := describeValues(values)
	if !st.now.Before(cur.Until) {
		return done("%s stayed %s for %s (%d queries; last %s)", query, s.mc.Bounds(), s.mc.For, cur.Tries, last)
	}
	return waiting(cur.CheckAt, "%s is %s (%s) until %s", query, last, s.mc.Bounds(), cur.Until.UTC().Format(time.RFC3339))
}

// sample is one value of a query's answer; series names it when the answer
// has labels.
type sample struct {
	series string
	value  float64
}

// errNoSeries is a query that answered no value: no series matched.
var errNoSeries = errors.New("the query matched no series")

// query asks Prometheus's /api/v1/query for the instant value of q at at.
// A range vector or a string is an error that names the fix.
func (s *metricStep) query(ctx context.Context, base, q string, at time.Time) ([]sample, error) {
	ctx, cancel := context.WithTimeout(ctx, metricTimeout)
	defer cancel()
	v, err := queryPrometheus(ctx, s.o.cfg.HTTPClient, base, q, at)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", redactURL(base), err)
	}
	var out []sample
	switch v := v.(type) {
	case *model.Scalar:
		out = append(out, sample{value: float64(v.Value)})
	case model.Vector:
		for _, smp := range v {
			series := ""
			if len(v) > 1 {
				series = smp.Metric.String()
			}
			out = append(out, sample{series: series, value: float64(smp.Value)})
		}
	default:
		return nil, fmt.Errorf("the query answers a %s; it must answer an instant vector or a scalar (wrap a range in e.g. avg_over_time)", v.Type())
	}
	if len(out) == 0 {
		return nil, errNoSeries
	}
	return out, nil
}

func describeValues(values []sample) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%g", v.value)
	}
	return strings.Join(parts, ", ")
}

// redactURL hides a password written in a Prometheus URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}
