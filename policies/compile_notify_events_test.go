package policies

import (
	"maps"
	"strings"
	"testing"
)

func TestLoadNotifyEventsRoutesEachEventToItsChannel(t *testing.T) {
	p := loadPolicyOK(t, `version: 1
notify:
  slack:
    channel: "#releases"
    events:
      release_published: {}
      tag_refused: {channel: "#release-alerts"}
      train: {channel: C0123ABCD}
`)
	want := map[string]string{"release_published": "#releases", "tag_refused": "#release-alerts", "train": "C0123ABCD"}
	if !maps.Equal(p.Notify.Events, want) {
		t.Errorf("events = %v, want %v", p.Notify.Events, want)
	}
	if ch, ok := p.Notify.Channel(EventFreeze); ok || ch != "" {
		t.Errorf("an event not listed is announced in %q", ch)
	}
	if ch, ok := p.Notify.Channel(EventTagRefused); !ok || ch != "#release-alerts" {
		t.Errorf("tag_refused goes to %q, %v", ch, ok)
	}
}

func TestLoadNotifyEventsReportsMistakes(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"an unknown event suggests the closest",
			"notify: {slack: {channel: \"#r\", events: {release_publish: {}}}}\n",
			`p.yml:2:59: notify.slack.events.release_publish: unknown event "release_publish" (did you mean "release_published"?); allowed events: release_published, tag_refused, freeze, freeze_override, hotfix_declared, train, merge_back_open, release_report`},
		{"an event with no channel anywhere",
			"notify: {slack: {events: {freeze: {}}}}\n",
			`p.yml:2:35: notify.slack.events.freeze: has no channel; give channel (e.g. {channel: "#releases"}) or notify.slack.channel`},
		{"a channel without #",
			"notify: {slack: {events: {freeze: {channel: ops}}}}\n",
			`p.yml:2:45: notify.slack.events.freeze.channel: "ops" is not a Slack channel; write #name (lower case) or a channel ID such as C0123ABCD`},
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
