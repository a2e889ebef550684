package main

import (
	"encoding/binary"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ticks calls tick(n) for each of n intervals elapsed since start, from a
// periodic timerfd read through Go's network poller, until stop returns
// true. Go's own timers wake a sleeper up to a millisecond late on Linux
// (the poller waits in whole milliseconds), which at 1,000 deliveries/s
// would add up to a whole interval to latencies measured from the due
// time; a timerfd wakes the poller within microseconds, and no thread
// holds a P while it waits (as one asleep in nanosleep would).
func ticks(start time.Time, interval time.Duration, tick func(n int) (stop bool)) error {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return tickerTicks(start, interval, tick)
	}
	f := os.NewFile(uintptr(fd), "timerfd")
	defer f.Close()
	first := max(time.Until(start), time.Microsecond)
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(first.Nanoseconds()), Interval: unix.NsecToTimespec(interval.Nanoseconds())}
	if err := unix.TimerfdSettime(fd, 0, &spec, nil); err != nil {
		return tickerTicks(start, interval, tick) // as without a timerfd
	}
	var buf [8]byte
	for {
		if _, err := f.Read(buf[:]); err != nil {
			return err
		}
		if tick(int(binary.NativeEndian.Uint64(buf[:]))) {
			return nil
		}
	}
}
