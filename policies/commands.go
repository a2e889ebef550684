package policies

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
	{Name: "semver", Args: "major|minor|patch|none", Role: PermWrite, AuthorMay: true, Help: "declare the version bump (sets the matching label)"},
	{Name: "change", Args: "ID", Role: PermWrite, AuthorMay: true, Help: "attach a change-record ID"},
	{Name: "recheck", Role: PermRead, Help: "evaluate the policy again"},
	{Name: "help", Role: PermRead, Help: "list the commands"},
	{Name: "release", Args: "[VERSION]", Role: PermMaintain, Help: "cut the next release from the base branch (merged PRs)"},
	{Name: "deploy", Args: "ENV [VERSION]", Role: PermMaintain, Help: "deploy a version (default: the latest release) to ENV"},
	{Name: "rollback", Args: "ENV", Role: PermMaintain, Help: "roll ENV back to the previous successful version"},
	{Name: "approve-deploy", Args: "ENV", Role: PermRead, Help: "approve the waiting deployment gate of ENV (gate approvers only)"},
	{Name: "reject-deploy", Args: "ENV REASON", Role: PermRead, Help: "reject the waiting deployment gate of ENV, with a reason"},
}

// LookupCommand returns the spec of a command name.
func LookupCommand(name string) (CommandSpec, bool) {
	for _, c := range Commands {
		if c.Name == name {
			return c, true
		}
	}
	return CommandSpec{}, false
}
