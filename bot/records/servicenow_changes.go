package records

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
)

// The change requests of deployments (deploy.environments[].change_request):
// opened from a template, read for their approval, moved and closed.
// *ServiceNow implements the orchestrator's deploy.ChangeRequests.

// correlationKey is what a deployment's correlation ID looks like (its
// step key); sysID a record's sys_id. Only such values reach a query or a
// path.
var (
	correlationKey = regexp.MustCompile(`^[a-z]{0,4}-?[0-9a-f]{16,64}$`)
	sysID          = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// correlationDisplay names Shipgate as the integration that opened a
// change request (the task's correlation_display).
const correlationDisplay = "Shipgate"

// OpenChange creates a change request with fields and correlation ID key,
// unless one with that correlation ID exists: a retry after a crash
// between the create and the save finds the one it made. It returns the
// change request's sys_id, number and page.
func (s *ServiceNow) OpenChange(ctx context.Context, key string, fields map[string]string) (id, number, page string, err error) {
	if !correlationKey.MatchString(key) {
		return "", "", "", fmt.Errorf("%q is not a correlation ID", key)
	}
	var found struct {
		Result []map[string]string `json:"result"`
	}
	q := url.Values{"sysparm_query": {"correlation_id=" + key}, "sysparm_fields": {"sys_id,number"}, "sysparm_limit": {"1"}}
	if err := s.do(ctx, http.MethodGet, "", q, nil, &found, "finding the change request of "+key); err != nil {
		return "", "", "", err
	}
	if len(found.Result) > 0 {
		r := found.Result[0]
		return r["sys_id"], r["number"], s.page(r["sys_id"]), nil
	}
	body := make(map[string]string, len(fields)+2)
	for k, v := range fields {
		body[k] = v
	}
	body["correlation_id"], body["correlation_display"] = key, correlationDisplay
	var made struct {
		Result map[string]any `json:"result"`
	}
	if err := s.do(ctx, http.MethodPost, "", url.Values{"sysparm_fields": {"sys_id,number"}}, body, &made, "opening a change request"); err != nil {
		return "", "", "", err
	}
	id, _ = made.Result["sys_id"].(string)
	number, _ = made.Result["number"].(string)
	if !sysID.MatchString(id) {
		return "", "", "", fmt.Errorf("opening a change request: ServiceNow's answer has no sys_id")
	}
	return id, number, s.page(id), nil
}

// ChangeStatus reads a change request's state and approval, as displayed
// ("Scheduled", "Approved").
func (s *ServiceNow) ChangeStatus(ctx context.Context, id string) (state, approval string, err error) {
	if !sysID.MatchString(id) {
		return "", "", fmt.Errorf("%q is not a sys_id", id)
	}
	var out struct {
		Result map[string]displayed `json:"result"`
	}
	q := url.Values{"sysparm_display_value": {"all"}, "sysparm_fields": {"state,approval"}}
	if err := s.do(ctx, http.MethodGet, "/"+id, q, nil, &out, "reading change request "+id); err != nil {
		return "", "", err
	}
	return out.Result["state"].Display, out.Result["approval"].Display, nil
}

// UpdateChange sets fields of a change request (stored values: state -1
// is Implement, 3 Closed, 4 Canceled). Setting the same values again
// changes nothing, so a retry may repeat it.
func (s *ServiceNow) UpdateChange(ctx context.Context, id string, fields map[string]string) error {
	if !sysID.MatchString(id) {
		return fmt.Errorf("%q is not a sys_id", id)
	}
	var out struct {
		Result map[string]any `json:"result"`
	}
	return s.do(ctx, http.MethodPatch, "/"+id, url.Values{"sysparm_fields": {"sys_id"}}, fields, &out, "updating change request "+id)
}

// page is a change request's page in ServiceNow.
func (s *ServiceNow) page(id string) string {
	return s.base.String() + "/change_request.do?sys_id=" + url.QueryEscape(id)
}
