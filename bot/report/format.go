package report

import (
	"fmt"
	"time"
)

// human writes a duration as people read it: "45s", "12m", "3h 5m",
// "2d 4h".
func human(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + human(-d)
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm %ds", m, s)
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	days, rest := int(d/(24*time.Hour)), d%(24*time.Hour)
	if rest < time.Minute {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %s", days, human(rest.Truncate(time.Minute)))
}
