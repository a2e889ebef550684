package policies

import (
	"bytes"
	"strings"
	"text/template"
	"time"
)

// Trains is a compiled `releases` key: when release trains leave and what
// they cut.
type Trains struct {
	// Cron is the schedule as written, for messages.
	Cron     string
	Schedule Schedule
	Location *time.Location
	// Branch renders the release branch from .Version; nil when trains
	// cut no branch.
	Branch *template.Template
	// From is the main line trains are cut from.
	From string
	// Tag: trains also create the version tag.
	Tag bool
	// Announce is how long ahead a train's plan is posted; 0: never.
	Announce time.Duration
}

// defaultTrainFrom is releases.from when the policy does not say.
const defaultTrainFrom = "main"

// BranchFor renders the release branch of version (without tag prefix);
// "" when trains cut no branch.
func (t *Trains) BranchFor(version string) (string, error) {
	if t.Branch == nil {
		return "", nil
	}
	var b bytes.Buffer
	if err := t.Branch.Execute(&b, struct{ Version string }{version}); err != nil {
		return "", err
	}
	return b.String(), nil
}

// releases compiles `releases`.
func (c *policyCompiler) releases(r *ReleasesConfig) *Trains {
	if r == nil {
		return nil
	}
	t := &Trains{Cron: r.Schedule.Cron, Location: time.UTC, From: defaultTrainFrom, Tag: r.Tag}
	if r.Schedule.Cron == "" {
		c.errorf("releases.schedule.cron", `missing; say when trains leave, e.g. "0 10 * * TUE"`)
	} else {
		t.Schedule = c.cron("releases.schedule.cron", r.Schedule.Cron)
	}
	if tz := r.Schedule.Timezone; tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			c.errorf("releases.schedule.timezone", "unknown timezone %s; use an IANA name such as Europe/Berlin, America/New_York or UTC", quoteValue(tz))
		} else {
			t.Location = loc
		}
	}
	if r.From != "" {
		if !validRefName(r.From) {
			c.errorf("releases.from", "%s is not a branch name; name the main line, e.g. main", quoteValue(r.From))
		} else {
			t.From = r.From
		}
	}
	if r.Branch != "" {
		t.Branch = c.trainBranch(r.Branch)
	} else if !r.Tag {
		c.errorf("releases", "cuts nothing; give branch (e.g. \"release/{{.Version}}\") or tag: true, or both")
	}
	t.Announce = c.duration("releases.announce", r.Announce, 0)
	return t
}

// trainBranch parses releases.branch and checks that it names a distinct,
// valid branch per version: a template without .Version would cut the
// same branch for every train.
func (c *policyCompiler) trainBranch(src string) *template.Template {
	const path = "releases.branch"
	tmpl, err := template.New(path).Option("missingkey=error").Parse(src)
	if err != nil {
		c.errorf(path, "%s is not a valid template: %s; write e.g. \"release/{{.Version}}\"", quoteValue(src), err)
		return nil
	}
	t := &Trains{Branch: tmpl}
	a, errA := t.BranchFor("1.2.0")
	b, errB := t.BranchFor("1.3.0")
	switch {
	case errA != nil || errB != nil:
		c.errorf(path, "%s does not render: the template knows only .Version; write e.g. \"release/{{.Version}}\"", quoteValue(src))
	case a == b:
		c.errorf(path, "%s names the same branch for every version; include {{.Version}}, e.g. \"release/{{.Version}}\"", quoteValue(src))
	case !validRefName(a):
		c.errorf(path, "%s renders %s, which is not a valid branch name", quoteValue(src), quoteValue(a))
	default:
		return tmpl
	}
	return nil
}

// validRefName reports whether s is a usable branch name under git's
// check-ref-format rules (the subset that matters for a rendered name).
func validRefName(s string) bool {
	if s == "" || s == "@" || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") ||
		strings.HasSuffix(s, ".") || strings.HasSuffix(s, ".lock") || strings.HasPrefix(s, "-") ||
		strings.Contains(s, "..") || strings.Contains(s, "//") || strings.Contains(s, "@{") {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`~^:?*[\`, r) {
			return false
		}
	}
	for _, part := range strings.Split(s, "/") {
		if strings.HasPrefix(part, ".") {
			return false
		}
	}
	return true
}
