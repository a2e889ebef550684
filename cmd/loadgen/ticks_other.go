//go:build !linux

package main

import "time"

// ticks calls tick(n) for each of n intervals elapsed since start (see
// ticks_linux.go).
func ticks(start time.Time, interval time.Duration, tick func(n int) (stop bool)) error {
	return tickerTicks(start, interval, tick)
}
