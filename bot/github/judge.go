package github

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// contentDigest digests what a PR changes: each file's path, status,
// previous path and blob. Two heads with the same digest change the same
// files to the same content, whatever commits lie between them (a merge of
// the base branch in that touched none of the PR's files). "" when the
// files were not read whole, or none were listed: such a head matches no
// other.
func contentDigest(in ChangeInput) string {
	if len(in.Files) == 0 {
		return ""
	}
	if _, cut := in.Incomplete[policies.NeedFiles]; cut {
		return ""
	}
	lines := make([]string, 0, len(in.Files))
	for _, f := range in.Files {
		lines = append(lines, strings.Join([]string{f.GetFilename(), f.GetStatus(), f.GetPreviousFilename(), f.GetSHA()}, "\x00"))
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:16])
}

// knownSelf is Shipgate's own login when Identify has learnt it, else ""
// (the Action and the CLI, whose token may not read it).
func (a *App) knownSelf() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botLogin
}
