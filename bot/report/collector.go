package report

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Collector exports the delivery metrics of the last Window (default 30
// days) on /metrics. They are computed from the store at most once per
// Every (default a minute), whatever the scrape rate, and the last values
// are kept when the store fails.
type Collector struct {
	Reader Reader
	Window time.Duration
	Every  time.Duration
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger zerolog.Logger

	mu      sync.Mutex
	at      time.Time
	current []Delivery
}

var _ prometheus.Collector = (*Collector)(nil)

var (
	labels          = []string{"host", "repo", "environment"}
	descDeployments = prometheus.NewDesc("shipgate_dora_deployments", "Successful deployments of a new version in the window (DORA deployment frequency).", labels, nil)
	descPerDay      = prometheus.NewDesc("shipgate_dora_deployments_per_day", "Successful deployments per day over the window.", labels, nil)
	descFailure     = prometheus.NewDesc("shipgate_dora_change_failure_ratio", "Deployments that failed or were rolled back, over those that ended, in the window.", labels, nil)
	descLead        = prometheus.NewDesc("shipgate_dora_lead_time_seconds", "Median time from a release's first commit to its successful deployment.", labels, nil)
	descRestore     = prometheus.NewDesc("shipgate_dora_time_to_restore_seconds", "Median time from a failed deployment to the next successful one.", labels, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDeployments, descPerDay, descFailure, descLead, descRestore} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, d := range c.snapshot() {
		lv := []string{string(d.Host), d.Repo, d.Environment}
		ch <- prometheus.MustNewConstMetric(descDeployments, prometheus.GaugeValue, float64(d.Deployments), lv...)
		ch <- prometheus.MustNewConstMetric(descPerDay, prometheus.GaugeValue, d.PerDay, lv...)
		ch <- prometheus.MustNewConstMetric(descFailure, prometheus.GaugeValue, d.ChangeFailureRate, lv...)
		if d.LeadTimes > 0 {
			ch <- prometheus.MustNewConstMetric(descLead, prometheus.GaugeValue, time.Duration(d.LeadTime).Seconds(), lv...)
		}
		if d.Restores > 0 {
			ch <- prometheus.MustNewConstMetric(descRestore, prometheus.GaugeValue, time.Duration(d.TimeToRestore).Seconds(), lv...)
		}
	}
}

// snapshot returns the metrics, computing them again when they are older
// than Every.
func (c *Collector) snapshot() []Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	every, window := c.Every, c.Window
	if every <= 0 {
		every = time.Minute
	}
	if window <= 0 {
		window = 30 * 24 * time.Hour
	}
	if !c.at.IsZero() && now.Sub(c.at) < every {
		return c.current
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ds, err := Metrics(ctx, c.Reader, "", Window{Since: now.Add(-window), Until: now})
	if err != nil {
		c.Logger.Warn().Err(err).Msg("computing the delivery metrics")
		return c.current
	}
	c.at, c.current = now, ds
	return ds
}
