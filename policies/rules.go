package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/policies/conventional"
)

// changeRecords returns the change-record IDs found in the configured
// sources and in `/change ID` commands, de-duplicated in order of appearance.
func (s *evaluation) changeRecords() []string {
	cr := s.p.ChangeRecord
	if cr == nil {
		return nil
	}
	if s.memo.recordsDone {
		return s.memo.records
	}
	s.memo.recordsDone = true
	scanners := cr.scanners
	if len(scanners) != len(cr.Patterns) { // a rule built without Compile
		scanners = make([]idScanner, len(cr.Patterns))
		for i, re := range cr.Patterns {
			scanners[i] = idScanner{re: re}
		}
	}
	var ids []string
	add := func(id string) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	scan := func(text string) {
		for i := range scanners { // by index: a scanner holds two 256-byte tables
			scanners[i].each(text, add)
		}
	}
	for _, src := range cr.Sources {
		switch src {
		case "title":
			scan(s.c.Title)
		case "body":
			scan(s.c.Body)
		case "branch":
			scan(s.c.HeadBranch)
		case "commits":
			for _, cm := range s.c.Commits {
				scan(cm.Message)
			}
		}
	}
	for _, cmd := range s.cmds {
		if cmd.Name == "change" {
			scan(cmd.Args)
		}
	}
	s.memo.records = ids
	return ids
}

func (s *evaluation) changeRecordRule(out []Result) []Result {
	cr := s.p.ChangeRecord
	res := Result{Rule: "change_record", Name: "change_record"}
	if skipped, ok := s.skippedUnless(cr.When, res.Rule, res.Name); ok {
		return append(out, skipped)
	}
	var problems []string
	ids := s.changeRecords()
	if why, ok := s.incomplete(NeedCommits); ok && len(ids) == 0 && slices.Contains(cr.Sources, "commits") {
		res.Status, res.Message = Wait, "no change record found yet, and not every commit could be read ("+why+"); put the ID in the title or body"
		return append(out, res)
	}
	if len(ids) == 0 {
		pats := make([]string, len(cr.Patterns))
		for i, re := range cr.Patterns {
			pats[i] = "`" + re.String() + "`"
		}
		problems = append(problems, fmt.Sprintf("no change record found: put an ID matching %s in the %s, or comment `/change ID`",
			strings.Join(pats, " or "), orList(cr.Sources)))
	}
	if missing := missingSections(s.c.Body, s.c.BodyTemplate, cr.Sections); len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("fill in the %s %s of the description (a heading such as `## %s` followed by real text)",
			quotedList(missing), plural(len(missing), "section", "sections"), missing[0]))
	}
	if len(problems) > 0 {
		res.Status, res.Message = Fail, strings.Join(problems, "; ")
		return append(out, res)
	}
	if cr.Verify != nil {
		var msg string
		res.Status, msg = s.verifiedRecords(ids)
		res.Message = fmt.Sprintf("%d %s: %s", len(ids), plural(len(ids), "change record", "change records"), msg)
		return append(out, res)
	}
	res.Status, res.Message = Pass, "change record "+strings.Join(ids, ", ")
	return append(out, res)
}

// atxHeading parses a Markdown ATX heading ("## Reason ##"): its level
// (0 when the line is no heading) and its text.
func atxHeading(line string) (level int, text string) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return 0, ""
	}
	for level < len(t) && t[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || (level < len(t) && t[level] != ' ' && t[level] != '\t') {
		return 0, ""
	}
	text = strings.TrimSpace(t[level:])
	if trimmed := strings.TrimRight(text, "#"); trimmed == "" || strings.HasSuffix(trimmed, " ") {
		text = strings.TrimSpace(trimmed)
	}
	return level, text
}

// missingSections returns the wanted headings that are absent from body or
// have no real content: HTML comments, placeholder marks and lines copied
// unchanged from the description template do not count.
func missingSections(body, template string, want []string) []string {
	if len(want) == 0 {
		return nil
	}
	var templateLines map[string]bool
	if template != "" {
		templateLines = map[string]bool{}
		for _, l := range strings.Split(template, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				templateLines[l] = true
			}
		}
	}
	// One pass over the lines with the stack of open headings: a line of
	// content fills every section it is in (a sub-heading's text also
	// fills its parent). Lines inside fenced code blocks are content,
	// never headings.
	type open struct {
		level  int
		wanted int // index in want, or -1
	}
	var (
		stack  []open
		filled = make([]bool, len(want))
		fence  string
	)
	// The wanted names, compared as headings are: normalized once, not
	// for each heading.
	var namesBuf [8]string
	names := namesBuf[:0]
	for _, w := range want {
		names = append(names, sectionName(w))
	}
	for rest := stripHTMLComments(body); rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		t := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				fence = ""
			}
		case strings.HasPrefix(t, "```"), strings.HasPrefix(t, "~~~"):
			fence = t[:3]
		default:
			if level, text := atxHeading(line); level > 0 {
				for len(stack) > 0 && stack[len(stack)-1].level >= level {
					stack = stack[:len(stack)-1]
				}
				stack = append(stack, open{level: level, wanted: wantedIndex(names, text)})
				continue
			}
		}
		if t == "" || placeholder(t) || templateLines[t] {
			continue
		}
		for _, o := range stack {
			if o.wanted >= 0 {
				filled[o.wanted] = true
			}
		}
	}
	var missing []string
	for i, w := range want {
		if !filled[i] {
			missing = append(missing, w)
		}
	}
	return missing
}

// wantedIndex is the index of the heading text among the wanted section
// names (each given by sectionName; case ignored), or -1.
func wantedIndex(names []string, heading string) int {
	h := sectionName(heading)
	for i, n := range names {
		if strings.EqualFold(n, h) {
			return i
		}
	}
	return -1
}

// sectionName is a section's name as compared: without surrounding space
// or a trailing colon.
func sectionName(s string) string {
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), ":"))
}

// placeholder reports whether a line is a mark left to be replaced.
func placeholder(l string) bool {
	if l == "" || placeholderMark(l[0]) || placeholderMark(l[len(l)-1]) {
		l = strings.Trim(l, "-*_ []") // most lines of text have nothing to trim
	}
	return l == "" || l == "..." || l == "…" || strings.EqualFold(l, "TODO") || strings.EqualFold(l, "TBD")
}

// placeholderMark reports whether placeholder trims c.
func placeholderMark(c byte) bool {
	return c == '-' || c == '*' || c == '_' || c == ' ' || c == '[' || c == ']'
}

var htmlCommentRE = regexp.MustCompile(`(?s)<!--.*?-->`)

func stripHTMLComments(s string) string {
	if !strings.Contains(s, "<!--") {
		return s
	}
	return htmlCommentRE.ReplaceAllString(s, "")
}

// fencedBlock returns the content of the first fenced code block whose info
// string is name, and whether there is one.
func fencedBlock(body, name string) (string, bool) {
	for rest := body; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		l := strings.TrimSpace(line)
		if !(strings.HasPrefix(l, "```") || strings.HasPrefix(l, "~~~")) {
			continue
		}
		fence := l[:3]
		info := strings.TrimSpace(strings.TrimLeft(l, fence[:1]))
		// The block's content is the text up to the closing fence (or the
		// end of the body); rest moves past it.
		start, end := len(body)-len(rest), len(body)
		for rest != "" {
			line, next, _ := strings.Cut(rest, "\n")
			if t := strings.TrimSpace(line); strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				end = len(body) - len(rest)
				rest = next
				break
			}
			rest = next
		}
		if strings.EqualFold(info, name) {
			content := strings.ReplaceAll(body[start:end], "\r\n", "\n")
			return strings.TrimSpace(stripHTMLComments(content)), true
		}
	}
	return "", false
}

// noteSource says where a release note came from.
type noteSource int

const (
	noNote noteSource = iota
	noteText
	noteNone
	noteEmptyBlock
)

// note finds the change's release note: the latest /release-note(-none)
// command, else the fenced block, else the none label, else a fragment file.
func (s *evaluation) note() (string, noteSource, string) {
	if !s.memo.noteDone {
		s.memo.noteDone = true
		s.memo.note.text, s.memo.note.src, s.memo.note.from = s.findNote()
	}
	return s.memo.note.text, s.memo.note.src, s.memo.note.from
}

func (s *evaluation) findNote() (string, noteSource, string) {
	rn := s.p.ReleaseNotes
	block := "release-note"
	if rn != nil && rn.Block != "" {
		block = rn.Block
	}
	if cmd, ok := s.lastCommand("release-note", "release-note-none"); ok {
		if cmd.Name == "release-note-none" || strings.EqualFold(cmd.Args, "none") {
			return "", noteNone, "/release-note-none by @" + cmd.in.Author.Login
		}
		if cmd.Args != "" {
			return cmd.Args, noteText, "/release-note by @" + cmd.in.Author.Login
		}
	}
	if text, ok := fencedBlock(s.c.Body, block); ok {
		switch {
		case strings.EqualFold(text, "none"):
			return "", noteNone, "`" + block + "` block says NONE"
		case text != "":
			return text, noteText, "`" + block + "` block"
		}
		if rn == nil {
			return "", noNote, ""
		}
		return "", noteEmptyBlock, ""
	}
	if rn == nil {
		return "", noNote, ""
	}
	if rn.NoneLabel != "" && s.hasAnyLabel(rn.NoneLabel) {
		return "", noteNone, "label " + rn.NoneLabel
	}
	if rn.Fragments != nil {
		for _, f := range s.c.Files {
			if f.Status != "removed" && rn.Fragments.Match(f.Path) {
				return "", noteText, "fragment " + f.Path
			}
		}
	}
	return "", noNote, ""
}

// releaseNote is the note text for the verdict.
func (s *evaluation) releaseNote() string {
	text, _, _ := s.note()
	return text
}

func (s *evaluation) releaseNotesRule(out []Result) []Result {
	rn := s.p.ReleaseNotes
	res := Result{Rule: "release_notes", Name: "release_notes"}
	if skipped, ok := s.skippedUnless(rn.When, res.Rule, res.Name); ok {
		return append(out, skipped)
	}
	_, src, from := s.note()
	switch src {
	case noteText:
		res.Status, res.Message = Pass, "release note from the "+from
	case noteNone:
		res.Status, res.Message = Pass, "no release note needed ("+from+")"
	default:
		ways := []string{"a fenced ```" + rn.Block + " block in the description with the note (or NONE)"}
		if rn.NoneLabel != "" {
			ways = append(ways, "the label "+rn.NoneLabel)
		}
		if rn.Fragments != nil {
			ways = append(ways, "a file matching "+rn.Fragments.Pattern)
		}
		ways = append(ways, "a `/release-note TEXT` or `/release-note-none` comment")
		if why, ok := s.incomplete(NeedFiles); ok && rn.Fragments != nil && src == noNote {
			res.Status, res.Message = Wait, "no release note found yet, and not every changed file could be read ("+why+") to look for a fragment"
			return append(out, res)
		}
		res.Status = Fail
		res.Message = "no release note: add " + strings.Join(ways, ", or ")
		if src == noteEmptyBlock {
			res.Message = "the ```" + rn.Block + " block is empty: write the note in it, or NONE"
		}
	}
	return append(out, res)
}

// declaration is one source's claim about the bump: its kind ("label",
// "title type", "/semver by") and what it names (the label, the type, the
// commenter), joined only for messages.
type declaration struct {
	bump       Bump
	kind, what string
}

// from names the declaration for messages: "label semver:minor".
func (d declaration) from() string {
	if d.kind == "/semver by" {
		return d.kind + " @" + d.what
	}
	return d.kind + " " + d.what
}

// declarations collects the bump claims of labels, /semver and the title.
func (s *evaluation) declarations(buf []declaration) (decls []declaration, breaking bool) {
	sr := s.p.Semver
	if sr == nil {
		return nil, false
	}
	decls = buf[:0]
	if cmd, ok := s.lastCommand("semver"); ok && Bump(strings.ToLower(cmd.Args)).Rank() >= 0 {
		// The bot keeps the labels in step with /semver; the command wins.
		decls = append(decls, declaration{Bump(strings.ToLower(cmd.Args)), "/semver by", cmd.in.Author.Login})
	} else {
		for _, b := range [...]Bump{BumpMajor, BumpMinor, BumpPatch, BumpNone} {
			if l, ok := sr.Labels[b]; ok && s.hasAnyLabel(l) {
				decls = append(decls, declaration{b, "label", l})
			}
		}
	}
	if sr.ConventionalTitle {
		if cc, err := conventional.ParseTitle(s.c.Title); err == nil {
			b := s.p.Release.Types[strings.ToLower(cc.Type)]
			if b == "" {
				b = BumpNone
			}
			if cc.Breaking {
				b, breaking = BumpMajor, true
			}
			decls = append(decls, declaration{b, "title type", cc.Type})
		}
	}
	return decls, breaking || hasBreakingFooter(s.c.Body)
}

// breakingFooterRE finds a BREAKING CHANGE line anywhere in a PR body. Not
// conventional.Parse: a PR body is Markdown with sections, and the
// Conventional Commits grammar only reads footers in the last paragraph,
// so a breaking change noted under "## Impact" would be missed.
var breakingFooterRE = regexp.MustCompile(`(?m)^\s*BREAKING[ -]CHANGE:\s*\S`)

func hasBreakingFooter(body string) bool {
	return strings.Contains(body, "BREAKING") && breakingFooterRE.MatchString(body)
}

// declaredBump returns the agreed bump, or "" with a reason when there is
// none or the sources disagree.
func (s *evaluation) declaredBump() (Bump, string) {
	if !s.memo.bumpDone {
		s.memo.bumpDone = true
		s.memo.bump, s.memo.bumpWhy = s.agreedBump()
	}
	return s.memo.bump, s.memo.bumpWhy
}

func (s *evaluation) agreedBump() (Bump, string) {
	var buf [5]declaration
	return agree(s.declarations(buf[:]))
}

// agree returns the bump that every declaration names, or "" with a
// reason when there is none or they disagree; a breaking change needs
// major.
func agree(decls []declaration, breaking bool) (Bump, string) {
	if len(decls) == 0 {
		return "", ""
	}
	b := decls[0].bump
	for _, d := range decls[1:] {
		if d.bump != b {
			var parts []string
			for _, d := range decls {
				parts = append(parts, fmt.Sprintf("%s says %s", d.from(), d.bump))
			}
			return "", "conflicting bumps: " + strings.Join(parts, ", ") + "; keep one"
		}
	}
	if breaking && b != BumpMajor {
		return "", fmt.Sprintf("the description has a BREAKING CHANGE footer but %s says %s: a breaking change needs major", decls[0].from(), b)
	}
	return b, ""
}

func (s *evaluation) semverRule(out []Result) []Result {
	sr := s.p.Semver
	res := Result{Rule: "semver", Name: "semver"}
	if skipped, ok := s.skippedUnless(sr.When, res.Rule, res.Name); ok {
		return append(out, skipped)
	}
	var componentsOnly bool
	if out, componentsOnly = s.componentSemver(out); componentsOnly {
		return out // every changed file is a component's: the rows above say it all
	}
	b, why := s.declaredBump()
	if note, bad := s.releaseAsNote(); bad {
		res.Status, res.Message = Fail, note
		return append(out, res)
	} else if note != "" && b != "" {
		res.Status, res.Message = Pass, "bump: "+string(b)+"; "+note
		return append(out, res)
	}
	switch {
	case b != "":
		res.Status, res.Message = Pass, "bump: "+string(b)
	case why != "":
		res.Status, res.Message = Fail, why
	default:
		var ways []string
		var labels []string
		for _, k := range []Bump{BumpMajor, BumpMinor, BumpPatch, BumpNone} {
			if l, ok := sr.Labels[k]; ok {
				labels = append(labels, l)
			}
		}
		if len(labels) > 0 {
			ways = append(ways, "one label of "+strings.Join(labels, ", ")+" (or `/semver major|minor|patch|none`)")
		}
		if sr.ConventionalTitle {
			ways = append(ways, "a conventional title such as `feat(scope): add X` or `fix!: drop Y`")
		}
		res.Status, res.Message = Fail, "no version bump declared: add "+strings.Join(ways, ", or ")
	}
	return append(out, res)
}

// commonTitleTypes are the conventional types allowed when title.types is
// not set: those of the Angular convention that Conventional Commits grew from.
var commonTitleTypes = []string{"build", "chore", "ci", "docs", "feat", "fix", "perf", "refactor", "revert", "style", "test"}

func (s *evaluation) titleRule(out []Result) []Result {
	t := s.p.Title
	res := Result{Rule: "title", Name: "title"}
	if skipped, ok := s.skippedUnless(t.When, res.Rule, res.Name); ok {
		return append(out, skipped)
	}
	types := t.Types
	if len(types) == 0 {
		types = commonTitleTypes
	}
	cc, err := conventional.ParseTitle(s.c.Title)
	switch {
	case err != nil:
		res.Status, res.Message = Fail, fmt.Sprintf("the title is not a conventional commit: write `type(scope): subject` with a type of %s", strings.Join(types, ", "))
	case !containsFold(types, cc.Type):
		res.Status, res.Message = Fail, fmt.Sprintf("title type %q is not allowed: use one of %s", cc.Type, strings.Join(types, ", "))
	case len(t.Scopes) > 0 && cc.Scope != "" && !containsFold(t.Scopes, cc.Scope):
		res.Status, res.Message = Fail, fmt.Sprintf("title scope %q is not allowed: use one of %s, or none", cc.Scope, strings.Join(t.Scopes, ", "))
	default:
		res.Status, res.Message = Pass, "conventional title ("+cc.Type+")"
	}
	return append(out, res)
}

func (s *evaluation) holdRule(out []Result) []Result {
	res := Result{Rule: "hold", Name: "hold", Status: Pass, Message: "not on hold"}
	if why, ok := s.incomplete(NeedComments); ok {
		// A /hold may be in the part that was not read.
		res.Status, res.Message = Wait, "not every comment could be read ("+why+"), so a /hold may be missing"
	}
	label := s.p.Hold.Label
	if cmd, ok := s.lastCommand("hold", "unhold"); ok && cmd.Name == "hold" && !strings.EqualFold(cmd.Args, "cancel") {
		res.Status, res.Message = Fail, fmt.Sprintf("on hold by @%s: comment `/hold cancel` (or `/unhold`) when it may go", cmd.in.Author.Login)
	} else if s.hasAnyLabel(label) {
		res.Status, res.Message = Fail, fmt.Sprintf("on hold by the label %s: remove it (or comment `/hold cancel`) when it may go", label)
	}
	return append(out, res)
}

// passingConclusions are the check conclusions that satisfy a required check.
var passingConclusions = map[string]bool{"success": true, "neutral": true, "skipped": true}

func (s *evaluation) checksRule(out []Result) []Result {
	cr := s.p.Checks
	res := Result{Rule: "checks", Name: "checks"}
	if skipped, ok := s.skippedUnless(cr.When, res.Rule, res.Name); ok {
		return append(out, skipped)
	}
	var failed, waiting, names []string
	for _, req := range cr.Required {
		names = append(names, req.Name)
		var latest *Check
		for i := range s.c.Checks {
			ch := &s.c.Checks[i]
			if !strings.EqualFold(ch.Name, req.Name) || (ch.HeadSHA != "" && s.c.HeadSHA != "" && ch.HeadSHA != s.c.HeadSHA) || !req.from(ch) {
				continue
			}
			if latest == nil || !ch.StartedAt.Before(latest.StartedAt) {
				latest = ch
			}
		}
		switch {
		case latest == nil:
			waiting = append(waiting, req.String()+" (not started)")
		case latest.Status != CheckCompleted:
			waiting = append(waiting, req.String()+" ("+strings.ReplaceAll(string(latest.Status), "_", " ")+")")
		case !passingConclusions[latest.Conclusion]:
			failed = append(failed, req.String()+" ("+latest.Conclusion+")")
		}
	}
	switch {
	case len(failed) > 0:
		res.Status, res.Message = Fail, "required checks failed: "+strings.Join(failed, ", ")+": fix them and push, or re-run them"
	case len(waiting) > 0:
		res.Status, res.Message = Wait, "waiting for "+strings.Join(waiting, ", ")
	default:
		res.Status, res.Message = Pass, "required checks passed: "+strings.Join(names, ", ")
	}
	return append(out, res)
}

// from reports whether ch comes from the source the requirement names: a
// check run of its App, or a commit status posted by its login. Results
// from anyone else are not looked at, so a faked one can neither pass nor
// fail the check.
func (r RequiredCheck) from(ch *Check) bool {
	switch {
	case r.App != "":
		return strings.EqualFold(ch.App, r.App)
	case r.From != "":
		return ch.App == "" && sameLogin(ch.Creator, r.From) // not EqualFold: the Kelvin sign is no k
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

func quotedList(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = "`" + x + "`"
	}
	return strings.Join(out, ", ")
}

func orList(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}
