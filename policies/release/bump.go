package release

import (
	"strconv"
	"strings"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/conventional"
)

// BumpOf returns the increment one commit message asks for, before the
// pre-1.0 rules: major for a breaking change, else the bump its type maps
// to in s.Types, else none (unknown types and non-conventional messages).
// A GitHub merge commit of a PR is judged by the PR title in its body.
func BumpOf(s policies.ReleaseSettings, message string) policies.Bump {
	msg := effectiveMessage(message)
	if msg.text == "" {
		return policies.BumpNone
	}
	c, err := conventional.Parse(msg.text)
	if err != nil {
		return policies.BumpNone
	}
	return bumpOfParsed(s, c)
}

func bumpOfParsed(s policies.ReleaseSettings, c conventional.Commit) policies.Bump {
	if c.Breaking {
		return policies.BumpMajor
	}
	if b, ok := s.Types[c.Type]; ok && b.Rank() >= 0 {
		return b
	}
	return policies.BumpNone
}

// Required returns the increment the commits require after prev: the
// highest BumpOf over them, with the pre-1.0 rules applied when prev is
// below 1.0.0 — a major bump becomes minor when s.PreMajorBreaking is
// minor, and a minor bump (whatever type maps to minor) becomes patch when
// s.PreMajorFeatures is patch.
func Required(s policies.ReleaseSettings, prev Version, commits []policies.Commit) policies.Bump {
	required := policies.BumpNone
	for _, c := range commits {
		if b := adjust(s, prev, BumpOf(s, c.Message)); b.Rank() > required.Rank() {
			required = b
			if b == policies.BumpMajor {
				break
			}
		}
	}
	return required
}

// adjust applies the pre-1.0 rules to one bump.
func adjust(s policies.ReleaseSettings, prev Version, b policies.Bump) policies.Bump {
	if prev.Major != 0 {
		return b
	}
	switch {
	case b == policies.BumpMajor && s.PreMajorBreaking == policies.BumpMinor:
		return policies.BumpMinor
	case b == policies.BumpMinor && s.PreMajorFeatures == policies.BumpPatch:
		return policies.BumpPatch
	}
	return b
}

// message is what the release math reads from a commit message.
type message struct {
	// text is the message to parse as a conventional commit; "" for a
	// merge commit that carries no change of its own.
	text string
	// pr is the PR number found in the message, 0 when none.
	pr int
	// merge is true for merge commits.
	merge bool
}

// mergePrefixes start the subjects git and GitHub write for merge commits.
var mergePrefixes = []string{
	"Merge branch ", "Merge branches ", "Merge remote-tracking branch ",
	"Merge tag ", "Merge commit ",
}

// effectiveMessage reads a commit message: a GitHub "Merge pull request #N
// from owner/branch" commit stands for the PR titled on its body's first
// line, and a GitLab merge commit ending "See merge request group/proj!N"
// for the MR titled there; other merge commits stand for nothing; any other message stands
// for itself, with the PR number of a "(#N)" suffix on its subject.
func effectiveMessage(m string) message {
	subject, body, _ := strings.Cut(m, "\n")
	if rest, ok := strings.CutPrefix(subject, "Merge pull request #"); ok {
		n := leadingNumber(rest)
		return message{text: strings.TrimSpace(body), pr: n, merge: true}
	}
	if strings.HasPrefix(subject, "Merge branch ") {
		if text, n := gitlabMerge(body); n > 0 {
			return message{text: text, pr: n, merge: true}
		}
	}
	for _, p := range mergePrefixes {
		if strings.HasPrefix(subject, p) {
			return message{merge: true}
		}
	}
	return message{text: m, pr: prSuffix(subject)}
}

// gitlabMerge reads the body of a GitLab merge commit ("Merge branch 'a'
// into 'main'", then the MR's title, …, "See merge request group/proj!N"):
// the body without that last line, and N; 0 when it is not one.
func gitlabMerge(body string) (text string, n int) {
	lines := strings.Split(strings.TrimRight(body, "\n\r\t "), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	ref, ok := strings.CutPrefix(last, "See merge request ")
	if !ok {
		return "", 0
	}
	i := strings.LastIndex(ref, "!")
	if i < 0 {
		return "", 0
	}
	digits := ref[i+1:]
	if n = leadingNumber(digits); n == 0 || len(strconv.Itoa(n)) != len(digits) {
		return "", 0
	}
	return strings.TrimSpace(strings.Join(lines[:len(lines)-1], "\n")), n
}

// prSuffix returns N for a subject ending in "(#N)", as GitHub writes
// squash merges, else 0.
func prSuffix(subject string) int {
	s := strings.TrimRight(subject, " \t\r")
	if !strings.HasSuffix(s, ")") {
		return 0
	}
	i := strings.LastIndex(s, "(#")
	if i < 0 {
		return 0
	}
	digits := s[i+2 : len(s)-1]
	if n := leadingNumber(digits); n > 0 && len(strconv.Itoa(n)) == len(digits) {
		return n
	}
	return 0
}

// trimPRSuffix removes a trailing "(#N)" from a subject.
func trimPRSuffix(subject string) string {
	if prSuffix(subject) == 0 {
		return subject
	}
	s := strings.TrimRight(subject, " \t\r")
	return strings.TrimRight(s[:strings.LastIndex(s, "(#")], " \t")
}

// leadingNumber parses the decimal digits at the start of s (0 if none or
// too large).
func leadingNumber(s string) int {
	n := 0
	for i := 0; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<31 {
			return 0
		}
	}
	return n
}
