package policies

import (
	"fmt"
	"strconv"
	"text/template"
	"time"
)

// MetricCheck watches a Prometheus query for For, every Interval. URL and
// Query are step templates. Max and/or Min is set.
type MetricCheck struct {
	URL      *template.Template
	Query    *template.Template
	Max, Min *float64
	For      time.Duration
	Interval time.Duration
}

// Crossed says how value crosses the check's thresholds, "" when it stays
// within them. NaN crosses any threshold: a value that cannot be compared
// does not pass a gate.
func (m *MetricCheck) Crossed(value float64) string {
	switch {
	case value != value:
		return "NaN is not a measurement"
	case m.Max != nil && value > *m.Max:
		return fmt.Sprintf("%s is above the maximum %s", formatFloat(value), formatFloat(*m.Max))
	case m.Min != nil && value < *m.Min:
		return fmt.Sprintf("%s is below the minimum %s", formatFloat(value), formatFloat(*m.Min))
	}
	return ""
}

// Bounds describes the thresholds ("≤ 0.05", "≥ 0.99 and ≤ 1").
func (m *MetricCheck) Bounds() string {
	switch {
	case m.Max != nil && m.Min != nil:
		return "≥ " + formatFloat(*m.Min) + " and ≤ " + formatFloat(*m.Max)
	case m.Max != nil:
		return "≤ " + formatFloat(*m.Max)
	case m.Min != nil:
		return "≥ " + formatFloat(*m.Min)
	}
	return "any value"
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
