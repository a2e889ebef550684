// Package conventional parses commit messages and PR titles written in the
// Conventional Commits 1.0.0 format (https://www.conventionalcommits.org):
// the header's type, scope, `!` and description, the free-form body and the
// trailing footers, including the BREAKING CHANGE footer.
//
// It owns the grammar only: what a type means for a version bump is decided
// by policies/release. It is pure and a leaf: it imports nothing but the
// standard library and must not import policies or any other Shipgate
// package.
package conventional

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrNotConventional is the error every parse failure wraps: the message or
// title does not follow the Conventional Commits header grammar
// `TYPE[(SCOPE)][!]: DESCRIPTION`. Callers that treat such commits as
// "other" test for it with errors.Is; the wrapping *SyntaxError says why.
var ErrNotConventional = errors.New("not a conventional commit")

// Tokens of the footer that marks a breaking change. The spec requires them
// in upper case, unlike every other part of a conventional commit.
const (
	BreakingChange       = "BREAKING CHANGE"
	BreakingChangeHyphen = "BREAKING-CHANGE"
)

// Footer separators: `Token: value` and `Token #value`.
const (
	SeparatorColon = ": "
	SeparatorHash  = " #"
)

// Commit is a parsed conventional commit message.
type Commit struct {
	// Type is the header's type in lower case (the spec makes types case
	// insensitive): "feat", "fix", "chore"…
	Type string
	// Scope is the text between the parentheses, as written; "" when absent.
	Scope string
	// Breaking is true when the header has `!` before the colon or a footer
	// is BREAKING CHANGE / BREAKING-CHANGE.
	Breaking bool
	// Subject is the header's description, trimmed.
	Subject string
	// Body is the free-form text between the header and the footers,
	// trimmed; "" when absent.
	Body string
	// Footers are the trailing `Token: value` / `Token #value` entries in
	// order. A value may span several lines.
	Footers []Footer
}

// Footer is one footer of a commit message.
type Footer struct {
	// Token is the footer's name as written, e.g. "Reviewed-by", "Refs" or
	// "BREAKING CHANGE".
	Token string
	// Separator is SeparatorColon or SeparatorHash.
	Separator string
	// Value is the text after the separator, possibly several lines, with
	// surrounding blank space trimmed.
	Value string
}

// String formats the footer as it is written in a message.
func (f Footer) String() string { return f.Token + f.Separator + f.Value }

// IsBreaking reports whether the footer announces a breaking change.
func (f Footer) IsBreaking() bool {
	return f.Token == BreakingChange || f.Token == BreakingChangeHyphen
}

// Header formats the commit's header line, `type(scope)!: subject`, with
// the `!` when the commit is breaking.
func (c Commit) Header() string {
	var b strings.Builder
	b.Grow(len(c.Type) + len(c.Scope) + len(c.Subject) + 5)
	b.WriteString(c.Type)
	if c.Scope != "" {
		b.WriteByte('(')
		b.WriteString(c.Scope)
		b.WriteByte(')')
	}
	if c.Breaking {
		b.WriteByte('!')
	}
	b.WriteString(": ")
	b.WriteString(c.Subject)
	return b.String()
}

// Footer returns the value of the first footer whose token matches token
// case-insensitively (BREAKING CHANGE tokens match exactly), and whether
// there is one.
func (c Commit) Footer(token string) (string, bool) {
	for _, f := range c.Footers {
		if f.Token == token || (!f.IsBreaking() && strings.EqualFold(f.Token, token)) {
			return f.Value, true
		}
	}
	return "", false
}

// BreakingNote returns the description of the first BREAKING CHANGE footer,
// or "" when there is none (a breaking change marked only with `!`).
func (c Commit) BreakingNote() string {
	for _, f := range c.Footers {
		if f.IsBreaking() {
			return f.Value
		}
	}
	return ""
}

// SyntaxError says why a header is not conventional. It wraps
// ErrNotConventional.
type SyntaxError struct {
	// Header is the offending header line (or title).
	Header string
	// Reason says what is wrong, in a few words.
	Reason string
}

// Error names the header, the reason and the expected form.
func (e *SyntaxError) Error() string {
	h := e.Header
	if len(h) > 72 {
		cut := 69
		for cut > 0 && !utf8.RuneStart(h[cut]) {
			cut--
		}
		h = h[:cut] + "..."
	}
	return fmt.Sprintf(`%q is not a conventional commit: %s; write TYPE[(SCOPE)][!]: DESCRIPTION, e.g. "fix(api): reject empty tokens"`, h, e.Reason)
}

// Unwrap returns ErrNotConventional.
func (e *SyntaxError) Unwrap() error { return ErrNotConventional }

// Parse parses a full commit message: the header on the first line, then an
// optional body and optional footers, each separated by a blank line.
//
// Leading blank lines are ignored and CRLF line endings are accepted. The
// body starts after the header even without the blank line the spec asks
// for. The footer section starts at the first paragraph whose first line is
// a footer (`Token: value` or `Token #value`, the token using `-` for
// spaces), or at the first BREAKING CHANGE footer line wherever it is, so
// that a breaking change is never missed. Within the footer section each
// footer line starts a new footer and any other line continues the
// previous footer's value.
//
// A message whose header does not follow the grammar returns a
// *SyntaxError that wraps ErrNotConventional.
func Parse(message string) (Commit, error) {
	if strings.IndexByte(message, '\r') >= 0 {
		message = strings.ReplaceAll(message, "\r\n", "\n")
	}
	message = strings.TrimLeft(message, " \t\n")
	header, rest, _ := strings.Cut(message, "\n")
	c, err := parseHeader(header)
	if err != nil {
		return Commit{}, err
	}
	c.Body, c.Footers = parseBodyAndFooters(rest)
	if !c.Breaking {
		for _, f := range c.Footers {
			if f.IsBreaking() {
				c.Breaking = true
				break
			}
		}
	}
	return c, nil
}

// ParseTitle parses a one-line PR or MR title as a conventional header. A
// title with a line feed is rejected; a trailing carriage return is blank
// space like in Parse.
func ParseTitle(title string) (Commit, error) {
	if strings.IndexByte(title, '\n') >= 0 {
		return Commit{}, &SyntaxError{Header: title, Reason: "a title must be a single line"}
	}
	return parseHeader(strings.TrimLeft(title, " \t"))
}

// parseHeader parses `type[(scope)][!]: description`.
func parseHeader(h string) (Commit, error) {
	h = strings.TrimRight(h, " \t\r")
	if h == "" {
		return Commit{}, &SyntaxError{Header: h, Reason: "the message is empty"}
	}
	i := 0
	for i < len(h) && isTypeByte(h[i]) {
		i++
	}
	if i == 0 || !isLetter(h[0]) {
		return Commit{}, &SyntaxError{Header: h, Reason: "it does not start with a type"}
	}
	c := Commit{Type: lowerASCII(h[:i])}
	rest := h[i:]
	if strings.HasPrefix(rest, "(") {
		end := strings.IndexAny(rest[1:], "()")
		if end < 0 || rest[1+end] == '(' {
			return Commit{}, &SyntaxError{Header: h, Reason: "the scope is not closed with )"}
		}
		c.Scope = rest[1 : 1+end]
		if strings.TrimSpace(c.Scope) == "" {
			return Commit{}, &SyntaxError{Header: h, Reason: "the scope is empty"}
		}
		rest = rest[2+end:]
	}
	if strings.HasPrefix(rest, "!") {
		c.Breaking = true
		rest = rest[1:]
	}
	if !strings.HasPrefix(rest, ":") {
		return Commit{}, &SyntaxError{Header: h, Reason: fmt.Sprintf("no colon after the type %q", h[:len(h)-len(rest)])}
	}
	rest = rest[1:]
	if rest == "" {
		return Commit{}, &SyntaxError{Header: h, Reason: "the description is empty"}
	}
	if rest[0] != ' ' {
		return Commit{}, &SyntaxError{Header: h, Reason: "the colon must be followed by a space"}
	}
	c.Subject = strings.TrimSpace(rest)
	if c.Subject == "" {
		return Commit{}, &SyntaxError{Header: h, Reason: "the description is empty"}
	}
	return c, nil
}

// parseBodyAndFooters splits what follows the header. Values are substrings
// of rest, so parsing allocates only the footer slice.
func parseBodyAndFooters(rest string) (string, []Footer) {
	footerStart := -1
	paragraphStart := true
	for off := 0; off < len(rest); {
		line, next := lineAt(rest, off)
		switch {
		case isBlank(line):
			paragraphStart = true
		default:
			if tok, _, _, ok := footerLine(line); ok && (paragraphStart || isBreakingToken(tok)) {
				footerStart = off
			}
			paragraphStart = false
		}
		if footerStart >= 0 {
			break
		}
		off = next
	}
	if footerStart < 0 {
		return strings.TrimSpace(rest), nil
	}
	body := strings.TrimSpace(rest[:footerStart])

	var footers []Footer
	valueStart, valueEnd := 0, 0
	closeFooter := func() {
		if len(footers) > 0 {
			footers[len(footers)-1].Value = strings.TrimSpace(rest[valueStart:valueEnd])
		}
	}
	for off := footerStart; off < len(rest); {
		line, next := lineAt(rest, off)
		if tok, sep, vOff, ok := footerLine(line); ok {
			closeFooter()
			footers = append(footers, Footer{Token: tok, Separator: sep})
			valueStart, valueEnd = off+vOff, off+len(line)
		} else if !isBlank(line) {
			valueEnd = off + len(line)
		}
		off = next
	}
	closeFooter()
	return body, footers
}

// lineAt returns the line starting at off and the offset of the next line.
func lineAt(s string, off int) (string, int) {
	if i := strings.IndexByte(s[off:], '\n'); i >= 0 {
		return s[off : off+i], off + i + 1
	}
	return s[off:], len(s)
}

// footerLine recognises `Token: value` and `Token #value`, returning the
// token, the separator and the offset of the value in line.
func footerLine(line string) (token, sep string, valueOff int, ok bool) {
	switch {
	case strings.HasPrefix(line, BreakingChange+SeparatorColon):
		token, sep = BreakingChange, SeparatorColon
	default:
		i := 0
		for i < len(line) && isTokenByte(line[i]) {
			i++
		}
		if i == 0 {
			return "", "", 0, false
		}
		token = line[:i]
		switch {
		case strings.HasPrefix(line[i:], SeparatorColon):
			sep = SeparatorColon
		case strings.HasPrefix(line[i:], SeparatorHash) && token != BreakingChangeHyphen:
			sep = SeparatorHash
		default:
			return "", "", 0, false
		}
	}
	valueOff = len(token) + len(sep)
	if isBlank(line[valueOff:]) {
		return "", "", 0, false
	}
	return token, sep, valueOff, true
}

func isBreakingToken(tok string) bool {
	return tok == BreakingChange || tok == BreakingChangeHyphen
}

func isBlank(s string) bool {
	return strings.TrimSpace(s) == ""
}

func isLetter(b byte) bool {
	return ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// isTypeByte accepts the bytes of a type: a word, possibly with - or _.
func isTypeByte(b byte) bool {
	return isLetter(b) || isDigit(b) || b == '-' || b == '_'
}

// isTokenByte accepts the bytes of a footer token: a word with - for spaces.
func isTokenByte(b byte) bool {
	return isLetter(b) || isDigit(b) || b == '-'
}

// lowerASCII lower-cases an ASCII type without allocating when it is
// already lower case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
