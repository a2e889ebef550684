package policies

import (
	"reflect"
	"regexp"
	"testing"
)

var idScanPatterns = []string{
	`[A-Z][A-Z0-9]+-\d+`, `CHG\d{7}`, `(?i)jira-\d+`, `\bOPS-\d+\b`, `(INC|CHG)\d+`, `x*`, `a?b`, `[a-zé]+-\d`,
	`(?i)k\d`, `#\d+`, `(?m)^REQ\d+`, `[[:upper:]]{2,}-[0-9]+`,
}

var idScanTexts = []string{
	"", "ABC-123 and CHG0001234, again ABC-123", "jira-7 JIRA-8 Jira-9", "xOPS-1 OPS-2 OPS-3x", "INC42CHG7",
	"aab b ab", "éa-1 za-2", "K1 k2 \u212a3", "#1#22 #", "REQ1\nREQ2 xREQ3", "AB-1ABC-22 A-3", "feature/ABC-123-export",
}

// TestIDScannerAgreesWithFindAll checks the fast path against the regexp's
// own search, on fast and fallback patterns alike.
func TestIDScannerAgreesWithFindAll(t *testing.T) {
	fast := 0
	for _, p := range idScanPatterns {
		re := regexp.MustCompile(p)
		s := newIDScanner(re)
		if s.anchored != nil {
			fast++
		}
		for _, text := range idScanTexts {
			var got []string
			s.each(text, func(m string) { got = append(got, m) })
			if want := re.FindAllString(text, -1); !reflect.DeepEqual(got, want) {
				t.Errorf("%q on %q: scanner %q, FindAllString %q", p, text, got, want)
			}
		}
	}
	if fast < 6 {
		t.Errorf("only %d patterns took the fast path", fast)
	}
}

func FuzzIDScanner(f *testing.F) {
	for i, p := range idScanPatterns {
		f.Add(p, idScanTexts[i%len(idScanTexts)])
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		var got []string
		newIDScanner(re).each(text, func(m string) { got = append(got, m) })
		if want := re.FindAllString(text, -1); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q on %q: scanner %q, FindAllString %q", pattern, text, got, want)
		}
	})
}
