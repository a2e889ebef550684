package demo

import (
	"regexp"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

// TestChangeRecordIDMatchesThePattern: the ID the author adds matches the
// policy's first change-record pattern.
func TestChangeRecordIDMatchesThePattern(t *testing.T) {
	for _, pattern := range []string{`SHOP-\d+`, `CHG\d{7}`, `^(JIRA|OPS)-[1-9][0-9]{2,}\b`, `[A-Z][A-Z0-9]+-\d+`, `#\d+`} {
		p := &plan{cfg: &policies.Config{ChangeRecord: &policies.ChangeRecordConfig{Patterns: []string{pattern}}}}
		id, err := p.changeRecordID()
		if err != nil || !regexp.MustCompile(pattern).MatchString(id) {
			t.Errorf("%s: %q, %v", pattern, id, err)
		}
	}
}
