// Package buildinfo tells which build of Shipgate is running: the version,
// commit and build date that a release sets with -ldflags, else what the
// Go toolchain recorded (the module version, vcs.revision, vcs.time).
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Set by release builds (.goreleaser.yaml):
//
//	-X github.com/shipgate/shipgate/internal/buildinfo.version=v1.2.3
//	-X github.com/shipgate/shipgate/internal/buildinfo.commit=<sha>
//	-X github.com/shipgate/shipgate/internal/buildinfo.date=<RFC 3339>
var version, commit, date string

// Info describes a build.
type Info struct {
	Version  string // "v1.2.3", or "(devel)" for a build from a checkout
	Commit   string // the full commit hash, "" when unknown
	Date     string // when the commit was made or the release built, RFC 3339
	Modified bool   // built from a tree with uncommitted changes
}

// Read returns this binary's build information.
func Read() Info {
	in := Info{Version: "(devel)"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		in = fromBuildInfo(bi)
	}
	if version != "" {
		in.Version = version
	}
	if commit != "" {
		in.Commit, in.Modified = commit, false
	}
	if date != "" {
		in.Date = date
	}
	return in
}

// fromBuildInfo reads what the toolchain recorded.
func fromBuildInfo(bi *debug.BuildInfo) Info {
	in := Info{Version: bi.Main.Version}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Commit = s.Value
		case "vcs.time":
			in.Date = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is the one line `--version` prints after the program's name:
// "v1.2.3 (commit 0123abc, 2026-12-03T10:00:00Z)".
func (in Info) String() string {
	s := in.Version
	var parts []string
	if in.Commit != "" {
		c := in.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if in.Modified {
			c += ", modified"
		}
		parts = append(parts, "commit "+c)
	}
	if in.Date != "" {
		parts = append(parts, in.Date)
	}
	for i, p := range parts {
		if i == 0 {
			s += " (" + p
		} else {
			s += ", " + p
		}
	}
	if len(parts) > 0 {
		s += ")"
	}
	return fmt.Sprint(s)
}
