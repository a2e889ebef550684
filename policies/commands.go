package policies

import (
	"fmt"
	"strings"
)

// CommandSpec describes one comment command: its name, the minimum role
// that may give it by default, whether the change's author may give it
// regardless of role, and its help text. /help is generated from this table.
type CommandSpec struct {
	Name string
	// Args is the argument synopsis for help, e.g. "[cancel]".
	Args string
	// Role is the default minimum repository role; `commands:` overrides it.
	Role Permission
	// AuthorMay lets the change's author give it whatever their role.
	AuthorMay bool
	Help      string
}

// Commands is the table of comment commands, in help order.
var Commands = []CommandSpec{
	{Name: "approve", Args: "[cancel]", Role: PermWrite, Help: "approve the change (not your own); `cancel` withdraws it"},
	{Name: "lgtm", Args: "[cancel]", Role: PermWrite, Help: "same as /approve"},
	{Name: "hold", Args: "[cancel]", Role: PermTriage, Help: "block merging until `/hold cancel` or `/unhold`"},
	{Name: "unhold", Role: PermTriage, Help: "lift a /hold"},
	{Name: "release-note", Args: "TEXT", Role: PermWrite, AuthorMay: true, Help: "set the release note"},
	{Name: "release-note-none", Role: PermWrite, AuthorMay: true, Help: "declare that no release note is needed"},
	{Name: "semver", Args: "major|minor|patch|none", Role: PermWrite, AuthorMay: true, Help: "declare the version bump (sets the matching label); `/semver COMPONENT BUMP` for a monorepo component"},
	{Name: "change", Args: "ID", Role: PermWrite, AuthorMay: true, Help: "attach a change-record ID"},
	{Name: "hotfix", Args: "REASON", Role: PermMaintain, Help: "declare this change a hotfix (its head must match hotfix.branches and its base hotfix.into), with the reason"},
	{Name: "override-freeze", Args: "REASON", Role: PermRead, Help: "let this change through the active freeze window until it ends (freeze.override.from only), with the reason"},
	{Name: "recheck", Role: PermRead, Help: "evaluate the policy again"},
	{Name: "help", Role: PermRead, Help: "list the commands"},
	{Name: "merge-back", Args: "skip REASON", Role: PermMaintain, Help: "on a merged change into a release line: settle its pending merge-back without one (a release-only commit, a revert), with the reason, which the audit log keeps"},
	{Name: "release", Args: "[VERSION]", Role: PermMaintain, Help: "cut the next release from the base branch (merged PRs); `/release COMPONENT [VERSION]` for a monorepo component"},
	{Name: "deploy", Args: "ENV [VERSION]", Role: PermMaintain, Help: "deploy a version (default: the latest release) to ENV"},
	{Name: "rollback", Args: "ENV", Role: PermMaintain, Help: "roll ENV back to the previous successful version"},
	{Name: "approve-deploy", Args: "ENV [REASON]", Role: PermRead, Help: "approve the waiting deployment gate of ENV (gate approvers only; overriding a freeze needs a REASON)"},
	{Name: "reject-deploy", Args: "ENV REASON", Role: PermRead, Help: "reject the waiting deployment gate of ENV, with a reason"},
}

// commandIndex finds a command's spec in Commands by name.
var commandIndex = func() map[string]int {
	m := make(map[string]int, len(Commands))
	for i, c := range Commands {
		m[c.Name] = i
	}
	return m
}()

// LookupCommand returns the spec of a command name.
func LookupCommand(name string) (CommandSpec, bool) {
	if i, ok := commandIndex[name]; ok {
		return Commands[i], true
	}
	return CommandSpec{}, false
}

// Command is one command found in a comment.
type Command struct {
	// Name is the command without its slash, lower-cased ("approve").
	Name string
	// Args is the rest of the line, trimmed.
	Args string
	// Known is false for a slash word that is not in the Commands table.
	Known bool
}

// ParseCommands returns the commands of a comment body, in order. A command
// is a line that starts with `/name` followed by a space or the end of the
// line; lines inside fenced code blocks (``` or ~~~), block quotes (`>`),
// and HTML comments are not commands, so a quoted "/hold" in a reply does
// nothing. Paths such as "/usr/bin" are not commands either.
func ParseCommands(body string) []Command {
	var out []Command
	eachCommand(body, func(c Command) { out = append(out, c) })
	return out
}

// eachCommand calls fn with each command of body, in order; ParseCommands
// says which lines are commands.
func eachCommand(body string, fn func(Command)) {
	if !strings.Contains(body, "/") {
		return // most comments: no command can be in them
	}
	var (
		fence   string // the opening fence while inside a code block
		comment bool   // inside a multi-line HTML comment
	)
	for rest := body; rest != ""; {
		var line string
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, ""
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		trimmed := line // strings.TrimLeft(line, " \t"), without building its set per line
		for trimmed != "" && (trimmed[0] == ' ' || trimmed[0] == '\t') {
			trimmed = trimmed[1:]
		}
		if fence == "" && !comment && (trimmed == "" || !commandish[trimmed[0]]) {
			continue // the common line: no command, fence or comment starts here
		}
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
			}
			continue
		}
		if comment {
			if strings.Contains(trimmed, "-->") {
				comment = false
			}
			continue
		}
		switch {
		case strings.HasPrefix(trimmed, "```"), strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
			continue
		case strings.HasPrefix(trimmed, "<!--"):
			comment = !strings.Contains(trimmed[4:], "-->")
			continue
		case strings.HasPrefix(trimmed, ">"):
			continue
		}
		// More than three spaces of indentation is a code block in Markdown.
		if len(line)-len(trimmed) > 3 || !strings.HasPrefix(trimmed, "/") {
			continue
		}
		name, args, _ := strings.Cut(trimmed[1:], " ")
		if i := strings.IndexByte(name, '\t'); i >= 0 {
			name, args = name[:i], name[i+1:]+" "+args
		}
		if !isCommandName(name) {
			continue
		}
		name = strings.ToLower(name)
		_, known := LookupCommand(name)
		fn(Command{Name: name, Args: strings.TrimSpace(args), Known: known})
	}
}

// commandish are the bytes a line that matters to eachCommand starts
// with: a command, a code fence, an HTML comment.
var commandish = [256]bool{'/': true, '`': true, '~': true, '<': true}

// isCommandName reports whether s looks like a command word: letters,
// digits and inner dashes, starting with a letter.
func isCommandName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '_'):
		default:
			return false
		}
	}
	return true
}

// Authorize decides whether actor may give the command on change under
// policy p. With no permission data (Change.Permissions nil, offline use)
// every human may. reason explains a refusal and what would work.
func (p *Policy) Authorize(cmd Command, actor Actor, c *Change) (ok bool, reason string) {
	if actor.Bot {
		return false, "commands from bots are ignored"
	}
	spec, known := LookupCommand(cmd.Name)
	if !known {
		return false, fmt.Sprintf("/%s is not a Shipgate command; /help lists the commands", cmd.Name)
	}
	isAuthor := sameLogin(actor.Login, c.Author.Login)
	if (cmd.Name == "approve" || cmd.Name == "lgtm") && isAuthor && !p.AuthorMayApprove() {
		return false, fmt.Sprintf("@%s, you opened this change and cannot approve it yourself; ask a reviewer", actor.Login)
	}
	if c.Permissions == nil || (spec.AuthorMay && isAuthor) {
		return true, ""
	}
	need := spec.Role
	if r, ok := p.Commands[spec.Name]; ok {
		need = r
	}
	have := c.permission(actor.Login)
	if have >= need {
		return true, ""
	}
	who := need.String() + " access"
	if spec.AuthorMay {
		who = "the change's author or someone with " + who
	}
	return false, fmt.Sprintf("/%s needs %s to the repository; @%s has %s", spec.Name, who, actor.Login, have)
}

// AuthorMayApprove reports whether some approval rule lets the author's own
// approval count; then the author's /approve is accepted and each rule
// decides.
func (p *Policy) AuthorMayApprove() bool {
	may := false
	check := func(r *ApprovalRule) { may = may || r.AllowAuthor }
	for i := range p.Approvals {
		p.Approvals[i].Walk(check)
	}
	if p.Hotfix != nil && p.Hotfix.Approval != nil {
		p.Hotfix.Approval.Walk(check)
	}
	return may
}
