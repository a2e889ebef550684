package policies

import (
	"strings"
	"testing"
	"time"
)

func TestChangeRequestCompiles(t *testing.T) {
	src := `version: 1
deploy:
  environments:
    - name: production
      change_request:
        servicenow:
          short_description: "Deploy {{.Version}} to {{.Environment}}"
          assignment_group: Release Management
        wait_for_approval: true
        duration: 2h
      steps:
        - wait: 1m
`
	p, err := Load(".shipgate.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cr := p.Deploy[0].ChangeRequest
	if cr == nil || !cr.WaitForApproval || cr.Duration != 2*time.Hour || cr.Poll != time.Minute || cr.Expires != 24*time.Hour || len(cr.ServiceNow) != 2 {
		t.Fatalf("change request = %+v", cr)
	}
	var b strings.Builder
	if err := cr.ServiceNow["short_description"].Execute(&b, StepTemplateData{Version: "v1.2.0", Environment: "production"}); err != nil || b.String() != "Deploy v1.2.0 to production" {
		t.Errorf("template: %q %v", b.String(), err)
	}
	if err := compiledSchema(t).Validate(yamlAsJSON(t, []byte(src))); err != nil {
		t.Errorf("the schema rejects it: %v", err)
	}
}

func TestChangeRequestErrors(t *testing.T) {
	tests := []struct {
		name, cr string
		want     []string
	}{
		{"no template", "change_request: {wait_for_approval: true}", []string{".shipgate.yml:5:23: deploy.environments[0].change_request.servicenow: missing"}},
		{"no short description", "change_request: {servicenow: {assignment_group: x}}", []string{"short_description is missing"}},
		{"a field Shipgate sets", "change_request: {servicenow: {short_description: x, state: '-1'}}", []string{"change_request.servicenow.state: state is set by Shipgate"}},
		{"a bad template", "change_request: {servicenow: {short_description: '{{.Nope'}}", []string{"invalid template"}},
		{"polling too often", "change_request: {servicenow: {short_description: x}, poll: 1s}", []string{"too often"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(".shipgate.yml", []byte("version: 1\ndeploy:\n  environments:\n    - name: production\n      "+tt.cr+"\n      steps: [{wait: 1m}]\n"))
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
