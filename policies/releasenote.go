package policies

import "time"

// ReleaseNote returns the release note a change declares under p, found
// the way Evaluate finds it (the latest /release-note command of an
// authorised person, else the policy's fenced block in the body, else the
// none label, else a fragment file), and none = true when the change says
// it needs no note. text is "" for a fragment file, whose text is not in
// the Change. A nil p stands for an empty policy (block "release-note").
//
// Release notes use it to prefer a merged PR's own words over its commit
// subjects.
func ReleaseNote(p *Policy, c *Change, now time.Time) (text string, none bool) {
	if p == nil {
		p = &Policy{}
	}
	text, src, _ := newEvaluation(p, c, now).note()
	return text, src == noteNone
}
