package deploy

import "strings"

// validRef reports whether s is a name git accepts for a branch or a tag
// (git check-ref-format, with the "refs/…" prefix optional) or a commit
// SHA: `/deploy` passes it on as a workflow's ref and a deployment's, so
// anything that is not a plain ref name (`../x`, `main~1`, `-x`,
// `a..b`, `@{u}`, spaces, control characters) is refused before it goes
// anywhere.
func validRef(s string) bool {
	if s == "" || len(s) > 255 || s == "@" || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "/") ||
		strings.HasSuffix(s, "/") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") ||
		strings.Contains(s, "//") || strings.Contains(s, "@{") {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\", c) {
			return false
		}
	}
	for _, part := range strings.Split(s, "/") {
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return false
		}
	}
	return true
}
