package policies

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	// Freeze windows name IANA timezones; embedding the database lets Load
	// work on minimal images that ship no zoneinfo.
	_ "time/tzdata"

	"github.com/Masterminds/semver/v3"
)

// Compile validates a decoded Config and builds the Policy: defaults
// applied, regexes compiled, globs checked, windows and durations parsed,
// templates parsed. pos (from Decode; may be nil) places each error; every
// problem is reported, joined, as *FieldErrors.
func Compile(file string, cfg *Config, pos Positions) (*Policy, error) {
	c := &policyCompiler{file: file, pos: pos}
	p := c.compile(cfg)
	if len(c.errs) > 0 {
		return nil, joinFieldErrors(c.errs)
	}
	return p, nil
}

// Limits and defaults of the policy format that are not spelled out by a
// Config field's comment.
const (
	// maxRequired bounds `required` and `approvals` counts.
	maxRequired = 100
	// defaultStepTimeout bounds a workflow run or pipeline when the step
	// gives no timeout.
	defaultStepTimeout = time.Hour
	// defaultGateExpiry is how long an approval gate waits by default.
	defaultGateExpiry = 24 * time.Hour
	// defaultHoldLabel and defaultNoteBlock are the documented defaults of
	// hold.label and release_notes.block.
	defaultHoldLabel = "do-not-merge/hold"
	defaultNoteBlock = "release-note"
)

// changeRecordSources are the places a change-record ID may be found.
var changeRecordSources = []string{"title", "body", "branch", "commits"}

// policyCompiler validates a Config and collects every error.
type policyCompiler struct {
	file string
	pos  Positions
	// files names the file of each path of a merged policy (extends);
	// nil for one file.
	files map[string]string
	// bad holds paths the decoder already reported; errors at or under
	// them are left out as consequences.
	bad  map[string]bool
	errs []*FieldError
	// warnings are problems that weaken the policy without breaking it.
	warnings []*FieldError
}

// errorf records a problem at path, placed at the path's value (or the
// nearest mapping that holds it).
func (c *policyCompiler) errorf(path, format string, args ...any) {
	for p := path; ; p = pathParent(p) {
		if c.bad[p] {
			return
		}
		if p == "" {
			break
		}
	}
	at := c.pos.Lookup(path)
	c.errs = append(c.errs, &FieldError{File: c.fileOf(path), Line: at.Line, Column: at.Column, Path: path, Msg: oneLine(fmt.Sprintf(format, args...))})
}

// warnf records a warning at path, placed as errorf places errors.
func (c *policyCompiler) warnf(path, format string, args ...any) {
	at := c.pos.Lookup(path)
	c.warnings = append(c.warnings, &FieldError{File: c.fileOf(path), Line: at.Line, Column: at.Column, Path: path, Msg: oneLine(fmt.Sprintf(format, args...))})
}

// oneLine escapes line breaks so that each error stays on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

// badUnder reports whether the decoder already reported a value inside
// path, which then looks absent to the compiler.
func (c *policyCompiler) badUnder(path string) bool {
	for p := range c.bad {
		if strings.HasPrefix(p, path) && len(p) > len(path) && (p[len(path)] == '.' || p[len(path)] == '[') {
			return true
		}
	}
	return false
}

// given reports whether path was written in the file.
func (c *policyCompiler) given(path string) bool {
	_, ok := c.pos[path]
	return ok
}

// compile builds the Policy from cfg.
func (c *policyCompiler) compile(cfg *Config) *Policy {
	if cfg == nil {
		c.errorf("", "no policy to compile")
		return nil
	}
	p := &Policy{File: c.file}
	switch {
	case cfg.Version == 1:
	case cfg.Version == 0 && !c.given("version"):
		c.errorf("version", `missing; add the line "version: 1" at the top of the file`)
	default:
		c.errorf("version", "unsupported version %d; the only version is 1", cfg.Version)
	}
	c.unresolvedExtends(cfg)
	p.Branches = c.globs("branches", cfg.Branches)
	p.ChangeRecord = c.changeRecord(cfg.ChangeRecord)
	p.Approvals = c.approvals(cfg.Approvals)
	p.ReleaseNotes = c.releaseNotes(cfg.ReleaseNotes)
	p.Semver, p.Release = c.semver(cfg.Semver)
	c.tags(cfg.Tags, &p.Release)
	c.notes(cfg.Notes, &p.Release)
	p.Components = c.components(cfg.Components, p.Release)
	p.Title = c.title(cfg.Title)
	p.Hold = HoldRule{Label: defaultHoldLabel}
	if cfg.Hold != nil && cfg.Hold.Label != "" {
		p.Hold.Label = cfg.Hold.Label
	}
	// Notify first: its Slack users tell which approvers are one person.
	p.Notify = c.notify(cfg.Notify)
	p.Freeze = c.freeze(cfg.Freeze, p.Notify.SlackUsers)
	p.Checks = c.checks(cfg.Checks)
	p.Hotfix = c.hotfix(cfg.Hotfix, cfg.Tags)
	p.Commands = c.commands(cfg.Commands)
	if cfg.Deploy != nil {
		p.Deploy = c.deploy(cfg.Deploy, p.Notify.SlackUsers)
		p.DeployAllowRefs = cfg.Deploy.AllowRefs
	}
	p.Trains = c.releases(cfg.Releases)
	if cfg.Deploy != nil {
		c.environmentComponents(cfg.Deploy.Environments, p)
	}
	if cfg.Freeze != nil {
		c.windowEnvironments(cfg.Freeze.Windows, p.Deploy)
	}
	slices.SortStableFunc(c.warnings, func(a, b *FieldError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	p.Warnings = c.warnings
	return p
}

// globs compiles a list of globs.
func (c *policyCompiler) globs(path string, patterns []string) []Glob {
	var out []Glob
	for i, s := range patterns {
		if g, ok := c.glob(pathIndex(path, i), s); ok {
			out = append(out, g)
		}
	}
	return out
}

// glob compiles one glob.
func (c *policyCompiler) glob(path, pattern string) (Glob, bool) {
	if pattern == "" {
		c.errorf(path, "empty glob; write a pattern such as main, release/* or db/**")
		return Glob{}, false
	}
	g, err := NewGlob(pattern)
	if err != nil {
		c.errorf(path, "invalid glob %s: check its [ ] and { } pairs and \\ escapes", quoteValue(pattern))
		return Glob{}, false
	}
	return g, true
}

// when compiles a rule's condition; nil matches everything.
func (c *policyCompiler) when(path string, w *When) Condition {
	if w == nil {
		return Condition{}
	}
	cond := Condition{
		Branches: c.globs(pathKey(path, "branches"), w.Branches),
		Paths:    c.globs(pathKey(path, "paths"), w.Paths),
		Authors:  c.principals(pathKey(path, "authors"), w.Authors, false),
	}
	for i, l := range w.Labels {
		if strings.TrimSpace(l) == "" {
			c.errorf(pathIndex(pathKey(path, "labels"), i), "empty label")
			continue
		}
		cond.Labels = append(cond.Labels, l)
	}
	c.whenLogic(path, w, &cond)
	return cond
}

// principals compiles a `from:` list. Slack entries are allowed only where
// people approve in Slack (deploy gates, freeze overrides).
func (c *policyCompiler) principals(path string, entries []string, slack bool) []Principal {
	var out []Principal
	for i, s := range entries {
		at := pathIndex(path, i)
		p, err := ParsePrincipal(s)
		if err != nil && strings.TrimSpace(s) == "" {
			allowed := "a login or @org/team"
			if slack {
				allowed = "a login, @org/team, slack:U… (a Slack user) or slack:S… (a Slack user group)"
			}
			c.errorf(at, "empty entry; want %s", allowed)
			continue
		}
		if err != nil {
			c.errorf(at, "%v", err)
			continue
		}
		if !slack && (p.SlackUser != "" || p.SlackGroup != "") {
			c.errorf(at, "%s is a Slack entry, which only deploy gates and freeze overrides take; here write a login or @org/team", quoteValue(s))
			continue
		}
		out = append(out, p)
	}
	return out
}

// checkEnough reports a `required` count that the people in from can never
// reach: only when from lists no group (team or Slack user group), since a
// group's size is not known here. sameAs maps logins to the Slack users
// that are the same person.
func (c *policyCompiler) checkEnough(path string, required int, from []Principal, sameAs map[string]string) {
	people := map[string]bool{}
	for _, p := range from {
		switch {
		case p.Team != "" || p.SlackGroup != "":
			return
		case p.Login != "":
			if id, ok := sameAs[p.Login]; ok {
				people["slack:"+id] = true
			} else {
				people[strings.ToLower(p.Login)] = true
			}
		case p.SlackUser != "":
			people["slack:"+p.SlackUser] = true
		}
	}
	if len(people) > 0 && len(people) < required {
		c.errorf(path, "%d approvals can never be given: from lists only %d %s and no team; lower required or add approvers",
			required, len(people), pluralWord(len(people), "person", "people"))
	}
}

// pluralWord picks the word for n.
func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// count validates an optional count in [1, maxRequired], returning def
// when it is not set.
func (c *policyCompiler) count(path string, n *int, def int) int {
	if n == nil {
		return def
	}
	if *n < 1 || *n > maxRequired {
		c.errorf(path, "%d is out of range; allowed: 1 to %d", *n, maxRequired)
		return def
	}
	return *n
}

// changeRecord compiles `change_record`.
func (c *policyCompiler) changeRecord(cr *ChangeRecordConfig) *ChangeRecordRule {
	if cr == nil {
		return nil
	}
	r := &ChangeRecordRule{When: c.when("change_record.when", cr.When)}
	if len(cr.Patterns) == 0 {
		c.errorf("change_record.patterns", `missing; give the regular expressions of change-record IDs, e.g. ['[A-Z][A-Z0-9]+-\d+']`)
	}
	for i, s := range cr.Patterns {
		at := pathIndex("change_record.patterns", i)
		if s == "" {
			c.errorf(at, "empty pattern")
			continue
		}
		re, err := regexp.Compile(s)
		if err != nil {
			c.errorf(at, "invalid regular expression %s: %v (RE2 syntax: no look-around or back-references)", quoteValue(s), regexpProblem(err))
			continue
		}
		r.Patterns = append(r.Patterns, re)
		r.scanners = append(r.scanners, *newIDScanner(re))
	}
	r.Sources = c.choices("change_record.sources", cr.Sources, changeRecordSources)
	if len(cr.Sources) == 0 {
		r.Sources = slices.Clone(changeRecordSources)
	}
	seen := map[string]bool{}
	for i, s := range cr.Sections {
		at := pathIndex("change_record.sections", i)
		switch t := strings.TrimSpace(s); {
		case t == "":
			c.errorf(at, "empty section heading")
		case seen[strings.ToLower(t)]:
			c.errorf(at, "section %s is listed twice", quoteValue(s))
		default:
			seen[strings.ToLower(t)] = true
			r.Sections = append(r.Sections, t)
		}
	}
	r.Verify = c.recordVerify(cr.Verify)
	return r
}

// regexpProblem drops the "error parsing regexp: " prefix of err.
func regexpProblem(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// choices checks that every value is one of allowed, once.
func (c *policyCompiler) choices(path string, values, allowed []string) []string {
	var out []string
	for i, v := range values {
		at := pathIndex(path, i)
		switch {
		case !slices.Contains(allowed, v):
			c.errorf(at, "%s is not allowed; allowed values: %s", quoteValue(v), strings.Join(allowed, ", "))
		case slices.Contains(out, v):
			c.errorf(at, "%s is listed twice", quoteValue(v))
		default:
			out = append(out, v)
		}
	}
	return out
}

// approvals compiles the `approvals` rules and checks their names.
func (c *policyCompiler) approvals(list []ApprovalConfig) []ApprovalRule {
	var out []ApprovalRule
	byName := map[string]string{}
	for i, a := range list {
		path := pathIndex("approvals", i)
		name := a.Name
		switch {
		case name == "" && len(list) == 1:
			name = "approvals"
		case name == "":
			name = path
		case strings.TrimSpace(name) != name || strings.ContainsAny(name, "\n\r\t"):
			c.errorf(pathKey(path, "name"), "rule name %s has surrounding spaces or control characters", quoteValue(name))
		}
		if prev, dup := byName[strings.ToLower(name)]; dup {
			c.errorf(pathKey(path, "name"), "duplicate rule name %s (also %s); names must differ", quoteValue(name), prev)
		}
		byName[strings.ToLower(name)] = path
		out = append(out, c.approval(path, a, name))
	}
	return out
}

// approval compiles one approval rule (also `hotfix.approvals`).
func (c *policyCompiler) approval(path string, a ApprovalConfig, name string) ApprovalRule {
	if a.AnyOf != nil || a.AllOf != nil {
		return c.combination(path, a, name, 1)
	}
	r := ApprovalRule{
		Name:             name,
		named:            a.Name != "",
		When:             c.when(pathKey(path, "when"), a.When),
		Required:         c.count(pathKey(path, "required"), a.Required, 1),
		From:             c.principals(pathKey(path, "from"), a.From, false),
		CodeOwners:       a.CodeOwners,
		AllowAuthor:      a.AllowAuthor,
		AllowContributor: a.AllowContributor,
		// What was approved is what ships: stale approvals are dismissed
		// unless the rule says otherwise.
		DismissStale: a.DismissStale == nil || *a.DismissStale,
	}
	c.checkEnough(pathKey(path, "required"), r.Required, r.From, nil)
	return r
}

// releaseNotes compiles `release_notes`.
func (c *policyCompiler) releaseNotes(rn *ReleaseNotesConfig) *ReleaseNotesRule {
	if rn == nil {
		return nil
	}
	r := &ReleaseNotesRule{When: c.when("release_notes.when", rn.When), Block: defaultNoteBlock, NoneLabel: rn.NoneLabel}
	if rn.Block != "" {
		if infoString.MatchString(rn.Block) {
			r.Block = rn.Block
		} else {
			c.errorf("release_notes.block", "%s cannot follow ``` as a fenced block's info string; use letters, digits, '.', '_', '+' and '-', e.g. release-note", quoteValue(rn.Block))
		}
	}
	if rn.Fragments != "" {
		if g, ok := c.glob("release_notes.fragments", rn.Fragments); ok {
			r.Fragments = &g
		}
	}
	return r
}

// notes compiles `notes` into the release settings: the hidden types,
// which must look like conventional types, each once.
func (c *policyCompiler) notes(n *NotesConfig, rs *ReleaseSettings) {
	c.notesAt("notes", n, rs)
}

// notesAt compiles a `notes` key found at path (the top-level one, or a
// component's).
func (c *policyCompiler) notesAt(path string, n *NotesConfig, rs *ReleaseSettings) {
	if n == nil || n.Hide == nil {
		return // the defaults stand
	}
	hide := []string{}
	for i, typ := range *n.Hide {
		at := pathIndex(pathKey(path, "hide"), i)
		switch {
		case !conventionalType.MatchString(typ):
			c.errorf(at, "%s is not a conventional-commit type; write a lowercase word such as docs, chore, ci or test", quoteValue(typ))
		case slices.Contains(hide, typ):
			c.errorf(at, "%s is listed twice", quoteValue(typ))
		default:
			hide = append(hide, typ)
		}
	}
	rs.NotesHide = hide
}

// infoString matches a usable fenced-block info string.
var infoString = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*$`)

// bumpNames are the bumps in the order messages list them.
var bumpNames = []string{"major", "minor", "patch", "none"}

// bump validates a bump name among allowed.
func (c *policyCompiler) bump(path, s string, allowed ...string) (Bump, bool) {
	if !slices.Contains(allowed, s) {
		c.errorf(path, "%s is not allowed; allowed values: %s", quoteValue(s), strings.Join(allowed, ", "))
		return "", false
	}
	return Bump(s), true
}

// conventionalType matches a conventional-commit type as policies write it.
var conventionalType = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// semver compiles `semver` into the PR rule (nil unless labels or
// conventional titles can declare a bump) and the release settings.
func (c *policyCompiler) semver(s *SemverConfig) (*SemverRule, ReleaseSettings) {
	rs := DefaultReleaseSettings()
	if s == nil {
		return nil, rs
	}
	var rule *SemverRule
	if len(s.Labels) > 0 || s.ConventionalTitle {
		rule = &SemverRule{When: c.when("semver.when", s.When), Labels: map[Bump]string{}, ConventionalTitle: s.ConventionalTitle}
	} else if s.When != nil {
		c.errorf("semver.when", "limits the semver PR rule, which needs labels or conventional_title: true to declare a bump")
	}
	labelOf := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		at := pathKey("semver.labels", k)
		b, ok := c.bump(at, k, bumpNames...)
		label := s.Labels[k]
		switch {
		case !ok:
		case strings.TrimSpace(label) == "":
			c.errorf(at, "empty label for %s", k)
		case labelOf[label] != "":
			c.errorf(at, "label %s is also the label of %s; each bump needs its own label", quoteValue(label), labelOf[label])
		default:
			labelOf[label] = k
			rule.Labels[b] = label
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Types)) {
		at := pathKey("semver.types", k)
		if !conventionalType.MatchString(k) {
			c.errorf(at, "%s is not a conventional-commit type; write it in lower case, e.g. feat, fix, docs", quoteValue(k))
			continue
		}
		if b, ok := c.bump(at, s.Types[k], bumpNames...); ok {
			rs.Types[k] = b
		}
	}
	if s.PreMajorBreaking != "" {
		if b, ok := c.bump("semver.pre_major_breaking", s.PreMajorBreaking, "major", "minor"); ok {
			rs.PreMajorBreaking = b
		}
	}
	if s.PreMajorFeatures != "" {
		if b, ok := c.bump("semver.pre_major_features", s.PreMajorFeatures, "minor", "patch"); ok {
			rs.PreMajorFeatures = b
		}
	}
	if s.ReleaseLineFeatures != "" {
		if b, ok := c.bump("semver.release_line_features", s.ReleaseLineFeatures, "error", "patch"); ok && b == BumpPatch {
			rs.ReleaseLineFeatures = BumpPatch
		}
	}
	if s.EmptyRelease != "" {
		if b, ok := c.bump("semver.empty_release", s.EmptyRelease, "none", "patch"); ok {
			rs.EmptyRelease = b
		}
	}
	if s.Initial != "" {
		if _, err := semver.StrictNewVersion(s.Initial); err != nil {
			c.errorf("semver.initial", "%s is not a strict semantic version; write MAJOR.MINOR.PATCH without prefix, e.g. 0.1.0", quoteValue(s.Initial))
		} else {
			rs.Initial = s.Initial
		}
	}
	return rule, rs
}

// tagPrefix matches what a tag prefix may hold.
var tagPrefix = regexp.MustCompile(`^[A-Za-z0-9._/-]*$`)

// tags compiles `tags` into the release settings.
func (c *policyCompiler) tags(t *TagsConfig, rs *ReleaseSettings) {
	if t == nil {
		return
	}
	if t.Prefix != nil {
		if p := *t.Prefix; !tagPrefix.MatchString(p) || strings.Contains(p, "..") || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "-") {
			c.errorf("tags.prefix", "%s is not a usable tag prefix; use letters, digits, '.', '_', '-' and '/' (\"\" for none)", quoteValue(p))
		} else {
			rs.TagPrefix = p
		}
	}
	rs.TagBranches = c.globs("tags.branches", t.Branches)
	rs.CreateRelease = t.Release
	rs.Reviewed = t.Reviewed
}

// title compiles the `title` rule.
func (c *policyCompiler) title(t *TitleConfig) *TitleRule {
	if t == nil {
		return nil
	}
	// Types stay nil when not given: the rule then allows the common
	// conventional types (see the title rule).
	r := &TitleRule{When: c.when("title.when", t.When)}
	for i, ty := range t.Types {
		if !conventionalType.MatchString(ty) {
			c.errorf(pathIndex("title.types", i), "%s is not a conventional-commit type; write it in lower case, e.g. feat, fix, docs", quoteValue(ty))
			continue
		}
		r.Types = append(r.Types, ty)
	}
	for i, s := range t.Scopes {
		if s == "" || strings.ContainsAny(s, " \t()") {
			c.errorf(pathIndex("title.scopes", i), "%s is not a scope; a scope is one word without spaces or parentheses", quoteValue(s))
			continue
		}
		r.Scopes = append(r.Scopes, s)
	}
	return r
}

// checks compiles the `checks` rule. A check named without its source is
// kept but warned about: anyone with write access can post a commit
// status of that name.
func (c *policyCompiler) checks(ch *ChecksConfig) *ChecksRule {
	if ch == nil {
		return nil
	}
	r := &ChecksRule{When: c.when("checks.when", ch.When)}
	if len(ch.Required) == 0 {
		c.errorf("checks.required", "missing; list the check names that must succeed, e.g. [build, {name: test, app: github-actions}]")
	}
	for i, rc := range ch.Required {
		at := pathIndex("checks.required", i)
		if check, ok := c.requiredCheck(at, rc); ok {
			if slices.ContainsFunc(r.Required, func(have RequiredCheck) bool { return have.Name == check.Name }) {
				c.errorf(at, "check %s is listed twice", quoteValue(check.Name))
				continue
			}
			r.Required = append(r.Required, check)
		}
	}
	return r
}

// appSlug matches a GitHub App's slug.
var appSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// requiredCheck compiles one entry of checks.required.
func (c *policyCompiler) requiredCheck(at string, rc RequiredCheckConfig) (RequiredCheck, bool) {
	check := RequiredCheck{Name: rc.Name, App: rc.App, From: rc.From}
	switch {
	case strings.TrimSpace(rc.Name) == "":
		c.errorf(at, "empty check name")
		return check, false
	case rc.App != "" && rc.From != "":
		c.errorf(at, "give either app (the App whose check run counts) or from (who posts the commit status), not both")
		return check, false
	case rc.App != "" && !appSlug.MatchString(rc.App):
		c.errorf(pathKey(at, "app"), "%s is not an App slug; write it as in the App's URL, e.g. github-actions", quoteValue(rc.App))
		return check, false
	case rc.From != "":
		if p, err := ParsePrincipal(rc.From); err != nil || p.Login == "" {
			c.errorf(pathKey(at, "from"), "%s is not a login; write the account that posts the status, e.g. jenkins-bot", quoteValue(rc.From))
			return check, false
		}
	case rc.App == "":
		c.warnf(at, "anyone with write access can post a commit status named %s and satisfy this check; name its source: {name: %s, app: github-actions} or {name: %s, from: ci-bot}",
			quoteValue(rc.Name), rc.Name, rc.Name)
	}
	return check, true
}

// defaultHotfixLabel is the label that declares a hotfix by default.
const defaultHotfixLabel = "hotfix"

// hotfix compiles `hotfix`; tags gives the default of hotfix.into.
func (c *policyCompiler) hotfix(h *HotfixConfig, tags *TagsConfig) *HotfixRule {
	if h == nil {
		return nil
	}
	r := &HotfixRule{Branches: c.globs("hotfix.branches", h.Branches), Label: defaultHotfixLabel, CodeOwners: h.CodeOwners == nil || *h.CodeOwners,
		MergeBackEveryChange: h.MergeBackEveryChange == nil || *h.MergeBackEveryChange}
	if len(h.Branches) == 0 {
		c.errorf("hotfix.branches", `missing; give the head-branch globs that may be hotfixes, e.g. ["hotfix/*"]`)
	}
	if h.Label != "" {
		if strings.TrimSpace(h.Label) != h.Label {
			c.errorf("hotfix.label", "label %s has surrounding spaces", quoteValue(h.Label))
		}
		r.Label = h.Label
	}
	if h.Approvals != nil {
		a := c.approval("hotfix.approvals", *h.Approvals, cmp.Or(h.Approvals.Name, "hotfix"))
		r.Approval = &a
	}
	if h.MergeBackTo != "" {
		if problem := branchNameProblem(h.MergeBackTo); problem != "" {
			c.errorf("hotfix.merge_back_to", "%s is not a branch name: %s", quoteValue(h.MergeBackTo), problem)
		} else {
			r.MergeBackTo = h.MergeBackTo
		}
	}
	if len(h.Into) > 0 {
		r.Into = c.globs("hotfix.into", h.Into)
	} else {
		r.Into = defaultHotfixInto(tags, r.MergeBackTo)
	}
	for i, g := range r.Into {
		if r.MergeBackTo != "" && g.Match(r.MergeBackTo) {
			c.errorf(pathIndex("hotfix.into", i), "%s matches merge_back_to %s, the main line: a hotfix goes into a release line and is merged back", quoteValue(g.Pattern), quoteValue(r.MergeBackTo))
		}
	}
	return r
}

// defaultHotfixInto is hotfix.into when not given: the release lines of
// tags.branches (its pattern entries, e.g. release/*, other than the main
// line mergeBack), or release/* when it names none.
func defaultHotfixInto(tags *TagsConfig, mergeBack string) []Glob {
	var out []Glob
	if tags != nil {
		for _, b := range tags.Branches {
			g, err := NewGlob(b)
			if err != nil || !strings.ContainsAny(b, "*?[{") || (mergeBack != "" && g.Match(mergeBack)) {
				continue
			}
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		g, _ := NewGlob("release/*")
		out = []Glob{g}
	}
	return out
}

// branchNameProblem says why name is not a usable branch name (git's
// check-ref-format rules, globs excluded), or "".
func branchNameProblem(name string) string {
	switch {
	case strings.ContainsAny(name, " \t\n\r~^:?*[\\"):
		return `it holds a space or one of ~ ^ : ? * [ \`
	case strings.Contains(name, "..") || strings.Contains(name, "@{"):
		return `it holds ".." or "@{"`
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") || strings.HasSuffix(name, ".lock") || strings.HasPrefix(name, "-"):
		return `it starts with "/" or "-", or ends with "/", "." or ".lock"`
	}
	return ""
}

// commands compiles `commands` over the defaults of the command table.
func (c *policyCompiler) commands(cfg map[string]string) map[string]Permission {
	out := make(map[string]Permission, len(Commands))
	names := make([]string, len(Commands))
	for i, spec := range Commands {
		out[spec.Name] = spec.Role
		names[i] = spec.Name
	}
	roles := permissionNames[PermRead:]
	for _, name := range slices.Sorted(maps.Keys(cfg)) {
		at := pathKey("commands", name)
		if _, ok := LookupCommand(name); !ok {
			msg := fmt.Sprintf("unknown command %s", quoteValue(name))
			if s := closestName(strings.TrimPrefix(name, "/"), names); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", quoteValue(s))
			}
			c.errorf(at, "%s; commands: %s", msg, strings.Join(names, ", "))
			continue
		}
		perm, ok := ParsePermission(cfg[name])
		if !ok || perm == PermNone {
			c.errorf(at, "%s is not a role; allowed roles: %s", quoteValue(cfg[name]), strings.Join(roles, ", "))
			continue
		}
		out[name] = perm
	}
	return out
}

// slackUserID and slackChannel match Slack user IDs and channel names or IDs.
var (
	slackUserID  = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	slackChannel = regexp.MustCompile(`^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,})$`)
)

// channel validates a Slack channel.
func (c *policyCompiler) channel(path, ch string) string {
	if ch != "" && !slackChannel.MatchString(ch) {
		c.errorf(path, "%s is not a Slack channel; write #name (lower case) or a channel ID such as C0123ABCD", quoteValue(ch))
		return ""
	}
	return ch
}

// notify compiles `notify`.
func (c *policyCompiler) notify(n *NotifyConfig) Notify {
	out := Notify{Comment: CommentAuto}
	if allowed := []string{CommentAuto, CommentAlways, CommentNever}; n != nil && n.Comment != "" {
		if slices.Contains(allowed, n.Comment) {
			out.Comment = n.Comment
		} else {
			c.errorf("notify.comment", "%s is not allowed; allowed values: %s", quoteValue(n.Comment), strings.Join(allowed, ", "))
		}
	}
	if n == nil || n.Slack == nil {
		return out
	}
	out.SlackChannel = c.channel("notify.slack.channel", n.Slack.Channel)
	out.Events = c.slackEvents(n.Slack, out.SlackChannel)
	for _, login := range slices.Sorted(maps.Keys(n.Slack.Users)) {
		at := pathKey("notify.slack.users", login)
		if p, err := ParsePrincipal(login); err != nil || p.Login == "" || p.Login != login {
			c.errorf(at, "%s is not a GitHub login; keys are logins, e.g. alice: U0123ABCD", quoteValue(login))
			continue
		}
		id := n.Slack.Users[login]
		if !slackUserID.MatchString(id) {
			c.errorf(at, "%s is not a Slack user ID; want U… or W… in capitals, e.g. U0123ABCD (Slack: profile → ⋮ → Copy member ID)", quoteValue(id))
			continue
		}
		if out.SlackUsers == nil {
			out.SlackUsers = map[string]string{}
		}
		out.SlackUsers[login] = id
	}
	return out
}

// parsePolicyDuration parses a duration: Go's syntax (90s, 15m, 1h30m)
// plus a leading whole number of days, 24 hours each (7d, 1d12h).
func parsePolicyDuration(s string) (time.Duration, error) {
	days, rest := 0, s
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 3660 {
			return 0, fmt.Errorf("bad day count %q", s[:i])
		}
		days, rest = n, s[i+1:]
	}
	d := time.Duration(days) * 24 * time.Hour
	if rest != "" || days == 0 {
		r, err := time.ParseDuration(rest)
		if err != nil {
			return 0, err
		}
		if days > 0 && r < 0 {
			return 0, fmt.Errorf("negative part after the days")
		}
		d += r
	}
	return d, nil
}

// duration validates a positive duration, returning def when s is empty.
func (c *policyCompiler) duration(path, s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := parsePolicyDuration(s)
	if err != nil || d <= 0 {
		c.errorf(path, "%s is not a positive duration; write e.g. 30s, 15m, 1h30m or 2d (d = 24h)", quoteValue(s))
		return def
	}
	return d
}
