package policies

import "time"

// ParseDuration parses a duration as policies write them: Go's syntax
// (90s, 15m, 1h30m) plus a leading whole number of days (30d, 1d12h).
func ParseDuration(s string) (time.Duration, error) { return parsePolicyDuration(s) }
