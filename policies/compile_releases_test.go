package policies

import (
	"strings"
	"testing"
	"time"
)

func TestLoadReleasesReportsEachMistakeWithItsPlace(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"a train without a schedule",
			"releases: {branch: \"release/{{.Version}}\"}\n",
			`p.yml:2:11: releases.schedule.cron: missing; say when trains leave, e.g. "0 10 * * TUE"`},
		{"a bad cron",
			"releases: {schedule: {cron: \"0 25 * * *\"}, tag: true}\n",
			`p.yml:2:29: releases.schedule.cron: invalid cron expression "0 25 * * *": end of range (25) above maximum (23): 25; write five fields (minute hour day-of-month month day-of-week), e.g. "0 16 * * FRI", or @daily, @weekly, @monthly, @yearly`},
		{"an unknown timezone",
			"releases: {schedule: {cron: \"0 10 * * TUE\", timezone: Mars/Olympus}, tag: true}\n",
			`p.yml:2:55: releases.schedule.timezone: unknown timezone "Mars/Olympus"; use an IANA name such as Europe/Berlin, America/New_York or UTC`},
		{"a train that cuts nothing",
			"releases: {schedule: {cron: \"0 10 * * TUE\"}}\n",
			`p.yml:2:11: releases: cuts nothing; give branch (e.g. "release/{{.Version}}") or tag: true, or both`},
		{"a branch without the version names one branch for every train",
			"releases: {schedule: {cron: \"0 10 * * TUE\"}, branch: release}\n",
			`p.yml:2:54: releases.branch: "release" names the same branch for every version; include {{.Version}}, e.g. "release/{{.Version}}"`},
		{"a branch template with an unknown field",
			"releases: {schedule: {cron: \"0 10 * * TUE\"}, branch: \"release/{{.Tag}}\"}\n",
			`p.yml:2:54: releases.branch: "release/{{.Tag}}" does not render: the template knows only .Version; write e.g. "release/{{.Version}}"`},
		{"a branch that is no valid ref",
			"releases: {schedule: {cron: \"0 10 * * TUE\"}, branch: \"release {{.Version}}\"}\n",
			`p.yml:2:54: releases.branch: "release {{.Version}}" renders "release 1.2.0", which is not a valid branch name`},
		{"a glob as the main line",
			"releases: {schedule: {cron: \"0 10 * * TUE\"}, tag: true, from: \"release/*\"}\n",
			`p.yml:2:63: releases.from: "release/*" is not a branch name; name the main line, e.g. main`},
		{"a bad announce",
			"releases: {schedule: {cron: \"0 10 * * TUE\"}, tag: true, announce: soon}\n",
			`p.yml:2:67: releases.announce: "soon" is not a positive duration; write e.g. 30s, 15m, 1h30m or 2d (d = 24h)`},
		{"an unknown key",
			"releases: {schedule: {cron: \"0 10 * * TUE\"}, tag: true, annouce: 1h}\n",
			`p.yml:2:57: releases.annouce: unknown key "annouce" (did you mean "announce"?); allowed keys: schedule, branch, from, tag, announce`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadErrorLines(t, "version: 1\n"+tt.src)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

func TestLoadReleasesAppliesDefaults(t *testing.T) {
	p := loadPolicyOK(t, "version: 1\nreleases:\n  schedule: {cron: \"0 10 * * TUE\"}\n  branch: \"release/{{.Version}}\"\n  announce: 1d\n")
	tr := p.Trains
	if tr.From != "main" || tr.Tag || tr.Location != time.UTC || tr.Announce != 24*time.Hour {
		t.Errorf("trains = %+v", tr)
	}
	if b, err := tr.BranchFor("1.4.0"); err != nil || b != "release/1.4.0" {
		t.Errorf("BranchFor = %q, %v", b, err)
	}
	if p := loadPolicyOK(t, "version: 1\n"); p.Trains != nil {
		t.Errorf("no releases key, trains = %+v", p.Trains)
	}
}
