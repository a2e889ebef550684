//go:build linux || darwin || freebsd

package store

import "syscall"

// freeBytes returns the space an unprivileged process may still write on
// dir's file system.
func freeBytes(dir string) (free uint64, ok bool, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true, nil
}
