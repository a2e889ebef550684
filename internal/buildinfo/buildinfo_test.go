package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestString(t *testing.T) {
	for _, c := range []struct {
		in   Info
		want string
	}{
		{Info{Version: "(devel)"}, "(devel)"},
		{Info{Version: "v1.2.3", Commit: "0123456789abcdef0123", Date: "2026-12-03T10:00:00Z"}, "v1.2.3 (commit 0123456789ab, 2026-12-03T10:00:00Z)"},
		{Info{Version: "(devel)", Commit: "abc", Modified: true}, "(devel) (commit abc, modified)"},
	} {
		if got := c.in.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFromBuildInfoReadsTheToolchainsRecord(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "feedface"}, {Key: "vcs.time", Value: "2026-12-01T09:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	want := Info{Version: "v0.9.0", Commit: "feedface", Date: "2026-12-01T09:00:00Z", Modified: true}
	if got := fromBuildInfo(bi); got != want {
		t.Errorf("fromBuildInfo = %+v, want %+v", got, want)
	}
	if got := fromBuildInfo(&debug.BuildInfo{}); got.Version != "(devel)" {
		t.Errorf("a build without a version: %+v", got)
	}
}

func TestReleaseFlagsWin(t *testing.T) {
	version, commit, date = "v1.4.0", "cafe", "2026-12-03T00:00:00Z"
	defer func() { version, commit, date = "", "", "" }()
	got := Read()
	if got.Version != "v1.4.0" || got.Commit != "cafe" || got.Date != "2026-12-03T00:00:00Z" || got.Modified {
		t.Errorf("Read() = %+v, want the release's", got)
	}
}
