package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/policies"
)

// TestRuleLogicReadmeExampleLoads holds the README's rule-logic example
// true: it is a valid policy with the combinations it describes.
func TestRuleLogicReadmeExampleLoads(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "\n### Rule logic: any_of, all_of and conditions\n")
	if start < 0 {
		t.Fatal(`the README has no "### Rule logic: any_of, all_of and conditions" section`)
	}
	section := readme[start+1:]
	section = section[:strings.Index(section, "\n## ")]
	m := regexp.MustCompile("(?ms)^```yaml\n(.*?)^```$").FindStringSubmatch(section)
	if m == nil {
		t.Fatal("the rule-logic section has no yaml example")
	}
	p, err := policies.Load("README.md", []byte(m[1]))
	if err != nil {
		t.Fatalf("the README's rule-logic example does not load: %v", err)
	}
	if len(p.Approvals) != 3 || len(p.Approvals[0].AnyOf) != 2 || len(p.Approvals[0].AnyOf[1].AllOf) != 2 ||
		p.Approvals[1].When.Lines == nil || p.Approvals[2].When.Not == nil {
		t.Errorf("the example's rules are not what the README says: %+v", p.Approvals)
	}
}
