package bot

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus collectors, on a registry of their
// own (no global state). The README's metrics table explains each.
type Metrics struct {
	Registry *prometheus.Registry
	// Deliveries counts webhook deliveries by host, event and outcome
	// (accepted, duplicate, ignored, unauthorized, too_large, bad_request,
	// error).
	Deliveries *prometheus.CounterVec
	// AckSeconds is the time from a delivery's arrival to its answer.
	AckSeconds *prometheus.HistogramVec
	// QueueJobs is the number of jobs by state (ready, leased, dead).
	QueueJobs *prometheus.GaugeVec
	// QueueOldestSeconds is the age of the oldest ready job.
	QueueOldestSeconds prometheus.Gauge
	// JobSeconds is job processing time by kind and outcome (ok, retry,
	// dead).
	JobSeconds *prometheus.HistogramVec
	// APICalls counts host API calls by host, route template and status
	// (304s apart: they do not count against GitHub's rate limit).
	APICalls *prometheus.CounterVec
	// RateLimitRemaining is the host's last reported remaining quota.
	RateLimitRemaining *prometheus.GaugeVec
	// Heartbeats counts this process's queue heartbeats by outcome (ok,
	// error); Replicas is the number of live workers the last one saw.
	Heartbeats *prometheus.CounterVec
	Replicas   prometheus.Gauge
	// LeaseTakeovers counts jobs this process claimed after another
	// worker's lease on them had expired or been released; LeasesReleased
	// counts jobs whose lease this process released because their
	// worker's heartbeat had stopped.
	LeaseTakeovers prometheus.Counter
	LeasesReleased prometheus.Counter
	// FencingRefusals counts the changes to a job the store refused
	// because another worker held it by then, by operation (extend,
	// complete, retry, bury).
	FencingRefusals *prometheus.CounterVec
	// ReadinessFailures counts the /readyz probes that found the store
	// unable to take writes.
	ReadinessFailures prometheus.Counter
	// RetentionDropped counts the stored bodies retention dropped, by kind
	// (the delivery's host: github, gitlab, slack, shipgate);
	// RetentionRuns counts retention sweeps by outcome (ok, error).
	RetentionDropped *prometheus.CounterVec
	RetentionRuns    *prometheus.CounterVec
}

// NewMetrics registers Shipgate's collectors and the Go runtime's.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipgate_webhook_deliveries_total", Help: "Webhook deliveries by host, event and outcome.",
		}, []string{"host", "event", "outcome"}),
		AckSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shipgate_webhook_ack_seconds", Help: "Time from a delivery's arrival to its answer.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"host"}),
		QueueJobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shipgate_queue_jobs", Help: "Queued jobs by state (ready, leased, dead).",
		}, []string{"state"}),
		QueueOldestSeconds: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shipgate_queue_oldest_ready_seconds", Help: "Age of the oldest ready job.",
		}),
		JobSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shipgate_job_seconds", Help: "Job processing time by kind and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"kind", "outcome"}),
		APICalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipgate_api_calls_total", Help: "Host API calls by host, route template and status code.",
		}, []string{"host", "route", "status"}),
		RateLimitRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shipgate_rate_limit_remaining", Help: "Remaining host API quota as last reported, by host and resource.",
		}, []string{"host", "resource"}),
		Heartbeats: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipgate_worker_heartbeats_total", Help: "Queue heartbeats of this process by outcome (ok, error).",
		}, []string{"outcome"}),
		Replicas: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shipgate_replicas", Help: "Workers with a live heartbeat on the database, as the last heartbeat saw.",
		}),
		LeaseTakeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shipgate_lease_takeovers_total", Help: "Jobs claimed after another worker's lease on them expired or was released.",
		}),
		LeasesReleased: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shipgate_leases_released_total", Help: "Job leases released because their worker's heartbeat stopped.",
		}),
		FencingRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipgate_fencing_refusals_total", Help: "Job changes refused because another worker held the job by then, by operation.",
		}, []string{"op"}),
		ReadinessFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shipgate_readiness_failures_total", Help: "Readiness probes that found the store unable to take writes.",
		}),
		RetentionDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipgate_retention_bodies_dropped_total", Help: "Stored request bodies dropped after the retention period, by kind.",
		}, []string{"kind"}),
		RetentionRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipgate_retention_runs_total", Help: "Retention sweeps by outcome (ok, error).",
		}, []string{"outcome"}),
	}
	m.Registry.MustRegister(m.Deliveries, m.AckSeconds, m.QueueJobs, m.QueueOldestSeconds, m.JobSeconds,
		m.APICalls, m.RateLimitRemaining, m.Heartbeats, m.Replicas, m.LeaseTakeovers, m.LeasesReleased, m.FencingRefusals,
		m.ReadinessFailures, m.RetentionDropped, m.RetentionRuns,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Value reads a counter or gauge by name and label values (in the order
// the metric declares its labels), 0 when it has none: for tests and
// diagnostics.
func (m *Metrics) Value(name string, labels ...string) (float64, error) {
	families, err := m.Registry.Gather()
	if err != nil {
		return 0, err
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, metric := range f.GetMetric() {
			for i, l := range metric.GetLabel() {
				if i >= len(labels) || l.GetValue() != labels[i] {
					continue next
				}
			}
			if c := metric.GetCounter(); c != nil {
				return c.GetValue(), nil
			}
			return metric.GetGauge().GetValue(), nil
		}
	}
	return 0, nil
}
