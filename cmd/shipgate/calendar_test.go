package main

import (
	"strings"
	"testing"

	"github.com/shipgate/shipgate/internal/golden"
)

const calendarPolicy = `version: 1
releases:
  schedule: {cron: "0 10 * * TUE", timezone: Europe/Berlin}
  branch: "release/{{.Version}}"
  tag: true
  announce: 24h
freeze:
  windows:
    - {name: year-end, start: 2026-12-20T00:00:00Z, end: 2027-01-04T00:00:00Z}
    - {name: weekend, cron: "0 16 * * FRI", duration: 64h, timezone: Europe/Berlin}
    - {name: gitlab-style, cron: "0 18 * * WED", end_cron: "0 6 * * THU", timezone: America/New_York, branches: ["release/*"]}
`

func TestCalendarListsTrainsFreezesAndThePlannedVersion(t *testing.T) {
	f := releasedFixture(t)
	f.write(".shipgate.yml", calendarPolicy)
	for _, format := range []string{"text", "json", "ics"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := runCLI("calendar", "--repo", f.dir, "--from", "2026-12-07T00:00:00Z", "--days", "28", "--format", format)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if format == "ics" {
				// DTSTAMP is the time of the run.
				var lines []string
				for _, l := range strings.Split(stdout, "\r\n") {
					if !strings.HasPrefix(l, "DTSTAMP:") {
						lines = append(lines, l)
					}
				}
				stdout = strings.Join(lines, "\n")
			}
			golden.Assert(t, "calendar_"+format, []byte(stdout))
		})
	}
}

func TestCalendarWithoutAReleasableChangeShowsNoVersion(t *testing.T) {
	f := newGitFixture(t)
	f.commit("feat: first")
	f.git("tag", "v1.0.0")
	f.commit("docs: nothing to release")
	f.write(".shipgate.yml", calendarPolicy)
	code, stdout, stderr := runCLI("calendar", "--repo", f.dir, "--from", "2026-12-07T00:00:00Z", "--days", "7")
	if code != 0 || strings.Contains(stdout, "would cut") || !strings.Contains(stderr, "nothing to release on main since v1.0.0") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestCalendarUsageErrors(t *testing.T) {
	f := newGitFixture(t)
	f.commit("feat: first")
	f.write(".shipgate.yml", "version: 1\nreleases: {schedule: {cron: \"0 25 * * *\"}, tag: true}\n")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"an invalid policy names the place", []string{"--repo", f.dir}, ".shipgate.yml:2:29: releases.schedule.cron"},
		{"no policy", []string{"--policy", f.dir + "/none.yml"}, "no policy at"},
		{"a bad format", []string{"--repo", f.dir, "--format", "xml"}, `--format "xml": want text, json or ics`},
		{"too many days", []string{"--repo", f.dir, "--days", "0"}, "--days 0: want 1 to 3660"},
		{"a bad start", []string{"--repo", f.dir, "--from", "tomorrow"}, `--from "tomorrow": want an RFC 3339 date-time`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(append([]string{"calendar"}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 with %q", code, stderr, tt.want)
			}
		})
	}
}
