package policies

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCommands(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Command
	}{
		{"a bare command is found", "/approve", []Command{{Name: "approve", Known: true}}},
		{"arguments are the rest of the line, trimmed", "/release-note   Faster exports.  ", []Command{{Name: "release-note", Args: "Faster exports.", Known: true}}},
		{"several commands in one comment are all found", "LGTM\n/approve\n/semver minor\r\n/hold cancel",
			[]Command{{Name: "approve", Known: true}, {Name: "semver", Args: "minor", Known: true}, {Name: "hold", Args: "cancel", Known: true}}},
		{"a command must start its line", "please /approve this", nil},
		{"up to three spaces of indentation are allowed", "   /hold", []Command{{Name: "hold", Known: true}}},
		{"four spaces make a code block, not a command", "    /hold", nil},
		{"a quoted hold in a reply is ignored", "> /hold\nI disagree", nil},
		{"a command in a fenced code block is ignored", "```\n/approve\n```\n/lgtm", []Command{{Name: "lgtm", Known: true}}},
		{"a tilde fence also hides commands", "~~~sh\n/approve\n~~~", nil},
		{"an unclosed fence hides the rest", "```\n/approve", nil},
		{"a command in an HTML comment is ignored", "<!--\n/approve\n-->\n<!-- /hold -->", nil},
		{"a path is not a command", "/usr/bin/env is missing", nil},
		{"command names are case-insensitive", "/APPROVE", []Command{{Name: "approve", Known: true}}},
		{"an unknown command is returned as unknown", "/deploi staging", []Command{{Name: "deploi", Args: "staging", Known: false}}},
		{"a tab separates the name from its arguments", "/semver\tmajor", []Command{{Name: "semver", Args: "major", Known: true}}},
		{"a lone slash is nothing", "/\n/ approve", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseCommands(tt.body)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCommands(%q) = %#v, want %#v", tt.body, got, tt.want)
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	p := &Policy{Commands: map[string]Permission{"hold": PermWrite}}
	change := func(perms map[string]Permission) *Change {
		return &Change{Author: Actor{Login: "alice"}, Permissions: perms}
	}
	perms := map[string]Permission{"alice": PermRead, "bob": PermTriage, "carol": PermWrite, "dave": PermMaintain}
	tests := []struct {
		name   string
		cmd    string
		actor  Actor
		change *Change
		ok     bool
		reason string
	}{
		{"offline every human may give any command", "deploy", Actor{Login: "zed"}, change(nil), true, ""},
		{"a bot may never give a command", "hold", Actor{Login: "ci[bot]", Bot: true}, change(nil), false, "bots"},
		{"the author cannot approve their own change", "approve", Actor{Login: "Alice"}, change(nil), false, "cannot approve it yourself"},
		{"the author cannot lgtm their own change", "lgtm", Actor{Login: "alice"}, change(perms), false, "cannot approve"},
		{"write access may approve", "approve", Actor{Login: "carol"}, change(perms), true, ""},
		{"triage may not approve and is told what is needed", "approve", Actor{Login: "bob"}, change(perms), false, "/approve needs write access to the repository; @bob has triage"},
		{"the policy can raise a command's minimum", "hold", Actor{Login: "bob"}, change(perms), false, "needs write access"},
		{"the author may set their own release note", "release-note", Actor{Login: "alice"}, change(perms), true, ""},
		{"others need write for a release note", "release-note", Actor{Login: "bob"}, change(perms), false, "the change's author or someone with write access"},
		{"deploy needs maintain", "deploy", Actor{Login: "carol"}, change(perms), false, "maintain"},
		{"maintain may deploy", "deploy", Actor{Login: "dave"}, change(perms), true, ""},
		{"read may ask for help", "help", Actor{Login: "alice"}, change(perms), true, ""},
		{"an unknown command is refused with a pointer to /help", "deploi", Actor{Login: "dave"}, change(perms), false, "/help lists the commands"},
		{"someone without any permission is refused", "recheck", Actor{Login: "stranger"}, change(perms), false, "has none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, known := LookupCommand(tt.cmd)
			ok, reason := p.Authorize(Command{Name: tt.cmd, Known: known}, tt.actor, tt.change)
			if ok != tt.ok || !strings.Contains(reason, tt.reason) {
				t.Errorf("Authorize(/%s by %s) = %v %q, want %v containing %q", tt.cmd, tt.actor.Login, ok, reason, tt.ok, tt.reason)
			}
		})
	}
}

func FuzzParseCommands(f *testing.F) {
	for _, s := range []string{"/approve", "> /hold\n/lgtm cancel", "```\n/x\n```", "<!-- /a -->\n/b c", "/release-note \u00e9t\u00e9", "\t/semver\tminor\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, c := range ParseCommands(body) {
			if c.Name == "" || c.Name != strings.ToLower(c.Name) || strings.ContainsAny(c.Name, " \t\n/") {
				t.Fatalf("bad command name %q from %q", c.Name, body)
			}
			if strings.Contains(c.Args, "\n") || c.Args != strings.TrimSpace(c.Args) {
				t.Fatalf("args %q not one trimmed line", c.Args)
			}
			if _, known := LookupCommand(c.Name); known != c.Known {
				t.Fatalf("Known = %v for %q", c.Known, c.Name)
			}
			if !strings.Contains(strings.ToLower(body), "/"+c.Name) {
				t.Fatalf("command %q not in body %q", c.Name, body)
			}
		}
	})
}
