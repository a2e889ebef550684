package policies

import (
	"maps"
	"slices"
	"strings"
)

// The release events notify.slack.events may announce.
const (
	// EventReleasePublished: a release was published, with its notes
	// (whether or not deployments follow).
	EventReleasePublished = "release_published"
	// EventTagRefused: a pushed tag failed validation, with why.
	EventTagRefused = "tag_refused"
	// EventFreeze: a freeze window started or ended.
	EventFreeze = "freeze"
	// EventFreezeOverride: someone overrode a freeze, with who and why.
	EventFreezeOverride = "freeze_override"
	// EventHotfixDeclared: someone declared a hotfix, with who and why.
	EventHotfixDeclared = "hotfix_declared"
	// EventTrain: a release train's plan ahead of time, its cut, its
	// postponement by a freeze, or its skip when nothing is releasable.
	EventTrain = "train"
	// EventMergeBackOpen: a hotfix's merge-back is left open.
	EventMergeBackOpen = "merge_back_open"
	// EventReleaseReport: a release's closing report.
	EventReleaseReport = "release_report"
)

// AnnounceEvents lists the events notify.slack.events takes.
var AnnounceEvents = []string{
	EventReleasePublished, EventTagRefused, EventFreeze, EventFreezeOverride,
	EventHotfixDeclared, EventTrain, EventMergeBackOpen, EventReleaseReport,
}

// Channel returns where event is announced, and false when the policy
// does not announce it.
func (n Notify) Channel(event string) (string, bool) {
	ch, ok := n.Events[event]
	return ch, ok && ch != ""
}

// slackEvents compiles notify.slack.events; def is notify.slack.channel.
func (c *policyCompiler) slackEvents(s *SlackConfig, def string) map[string]string {
	if len(s.Events) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(s.Events)) {
		path := pathKey("notify.slack.events", name)
		if !slices.Contains(AnnounceEvents, name) {
			msg := "unknown event " + quoteValue(name)
			if near := closestName(name, AnnounceEvents); near != "" {
				msg += " (did you mean " + quoteValue(near) + "?)"
			}
			c.errorf(path, "%s; allowed events: %s", msg, strings.Join(AnnounceEvents, ", "))
			continue
		}
		before := len(c.errs)
		ch := c.channel(pathKey(path, "channel"), s.Events[name].Channel)
		if len(c.errs) > before {
			continue
		}
		if ch == "" {
			ch = def
		}
		if ch == "" && !c.badUnder(path) {
			c.errorf(path, "has no channel; give channel (e.g. {channel: \"#releases\"}) or notify.slack.channel")
			continue
		}
		out[name] = ch
	}
	return out
}
