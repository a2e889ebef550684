//go:build !(linux || darwin || freebsd)

package store

// freeBytes cannot tell the free space here; the probe's write still
// fails on a full disk once SQLite needs a new page.
func freeBytes(string) (free uint64, ok bool, err error) { return 0, false, nil }
