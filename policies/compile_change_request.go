package policies

import (
	"regexp"
	"text/template"
	"time"
)

// ChangeRequest is a compiled `change_request` of an environment.
type ChangeRequest struct {
	// ServiceNow are the templates of the change request's fields.
	ServiceNow      map[string]*template.Template
	WaitForApproval bool
	Duration        time.Duration
	Poll            time.Duration
	Expires         time.Duration
}

// serviceNowField is what a Table API field name looks like.
var serviceNowField = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// fieldsShipgateSets are the fields Shipgate writes itself: the template
// may not set them.
var fieldsShipgateSets = []string{"state", "approval", "start_date", "end_date", "correlation_id", "correlation_display", "close_code", "close_notes", "sys_id", "number"}

// changeRequest compiles an environment's `change_request`.
func (c *policyCompiler) changeRequest(path string, cr *ChangeRequestConfig, env string) *ChangeRequest {
	if cr == nil {
		return nil
	}
	out := &ChangeRequest{
		WaitForApproval: cr.WaitForApproval,
		Duration:        c.duration(pathKey(path, "duration"), cr.Duration, time.Hour),
		Poll:            c.duration(pathKey(path, "poll"), cr.Poll, time.Minute),
		Expires:         c.duration(pathKey(path, "expires"), cr.Expires, defaultGateExpiry),
	}
	if out.Poll < 10*time.Second {
		c.errorf(pathKey(path, "poll"), "%s is too often; ask at most every 10s", out.Poll)
	}
	sn := pathKey(path, "servicenow")
	if len(cr.ServiceNow) == 0 {
		c.errorf(sn, "missing; give the change request's fields, e.g. {short_description: \"Deploy {{.Version}} to {{.Environment}}\", assignment_group: Release Management}")
		return out
	}
	if _, ok := cr.ServiceNow["short_description"]; !ok {
		c.errorf(sn, "short_description is missing: a change request needs one")
	}
	for k := range cr.ServiceNow {
		if serviceNowField.MatchString(k) && containsFold(fieldsShipgateSets, k) {
			c.errorf(pathKey(sn, k), "%s is set by Shipgate as the deployment moves; leave it out", k)
		}
	}
	out.ServiceNow = c.templates(sn, cr.ServiceNow, env, serviceNowField)
	return out
}
