package policies

import (
	"regexp"
	"regexp/syntax"
	"unicode"
)

// idScanner finds change-record IDs in text. Go's regexp tries every start
// position of an unanchored search; ID patterns almost always begin with a
// letter class or a literal ([A-Z], CHG), so the scanner jumps from one
// byte that can start a match to the next and tries an anchored match
// only there. Patterns it cannot reason about (a possibly empty start,
// non-ASCII first runes, or an assertion such as \b that looks behind the
// start) use the regexp's own search.
type idScanner struct {
	re       *regexp.Regexp
	anchored *regexp.Regexp // nil: no fast path
	first    [256]bool
	// second, when hasSecond, holds the bytes a match's second byte can
	// be: most capitals in prose are followed by a lower-case letter, which
	// an ID pattern such as [A-Z][A-Z0-9]+-\d+ or CHG\d{7} rules out
	// without running the matcher.
	second    [256]bool
	hasSecond bool
}

func newIDScanner(re *regexp.Regexp) *idScanner {
	s := &idScanner{re: re}
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil || hasAssertion(parsed) {
		return s
	}
	parsed = parsed.Simplify()
	if !firstBytes(parsed, &s.first) {
		return s
	}
	anchored, err := regexp.Compile(`^(?:` + re.String() + `)`)
	if err != nil {
		return s
	}
	s.anchored = anchored
	s.hasSecond = secondBytes(parsed, &s.second)
	return s
}

// secondBytes adds to set the bytes the second byte of a match of re can
// be, when re starts with exactly one ASCII character (a class or a
// literal) followed by something that cannot match empty; false when it
// cannot tell.
func secondBytes(re *syntax.Regexp, set *[256]bool) bool {
	if re.Op == syntax.OpCapture {
		return secondBytes(re.Sub[0], set)
	}
	if re.Op == syntax.OpLiteral && len(re.Rune) >= 2 {
		return addRune(set, re.Rune[1], re.Flags&syntax.FoldCase != 0)
	}
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return false
	}
	head := re.Sub[0]
	switch {
	case head.Op == syntax.OpLiteral && len(head.Rune) >= 2:
		return addRune(set, head.Rune[1], head.Flags&syntax.FoldCase != 0)
	case head.Op == syntax.OpLiteral && len(head.Rune) == 1, head.Op == syntax.OpCharClass:
	default:
		return false
	}
	rest := &syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[1:]}
	return firstBytes(rest, set)
}

// each calls fn with every non-overlapping match in text, leftmost first,
// exactly as re.FindAllString would list them.
func (s *idScanner) each(text string, fn func(string)) {
	if s.anchored == nil {
		for _, m := range s.re.FindAllString(text, -1) {
			fn(m)
		}
		return
	}
	for i := 0; i < len(text); {
		if !s.first[text[i]] || s.hasSecond && (i+1 >= len(text) || !s.second[text[i+1]]) {
			i++
			continue
		}
		loc := s.anchored.FindStringIndex(text[i:])
		if loc == nil {
			i++
			continue
		}
		fn(text[i : i+loc[1]])
		i += max(loc[1], 1)
	}
}

// hasAssertion reports whether re has an empty-width assertion, whose
// meaning would change when matching starts inside the text.
func hasAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, sub := range re.Sub {
		if hasAssertion(sub) {
			return true
		}
	}
	return false
}

// firstBytes adds to set the bytes a match of re can start with; false
// when re may match the empty string or start with a non-ASCII rune.
func firstBytes(re *syntax.Regexp, set *[256]bool) bool {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return false
		}
		return addRune(set, re.Rune[0], re.Flags&syntax.FoldCase != 0)
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return false
		}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1] > unicode.MaxASCII {
				return false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set[r] = true
			}
		}
		return true
	case syntax.OpCapture, syntax.OpPlus:
		return firstBytes(re.Sub[0], set)
	case syntax.OpRepeat:
		return re.Min >= 1 && firstBytes(re.Sub[0], set)
	case syntax.OpConcat:
		return len(re.Sub) > 0 && firstBytes(re.Sub[0], set)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !firstBytes(sub, set) {
				return false
			}
		}
		return true
	}
	return false
}

func addRune(set *[256]bool, r rune, fold bool) bool {
	if r > unicode.MaxASCII {
		return false
	}
	set[r] = true
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f > unicode.MaxASCII {
				return false // e.g. K folds to the Kelvin sign
			}
			set[f] = true
		}
	}
	return true
}
