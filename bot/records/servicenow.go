package records

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/policies"
)

// ServiceNow reads change requests with the Table API.
type ServiceNow struct {
	base             *url.URL
	user             string
	password, bearer bot.Secret
	http             *http.Client
}

// NewServiceNow returns the client of the instance at baseURL: basic auth
// with user and password, or an OAuth bearer token; client nil is a
// default client with a timeout.
func NewServiceNow(baseURL, user string, password, token bot.Secret, client *http.Client) (*ServiceNow, error) {
	u, err := parseBaseURL(EnvServiceNowURL, baseURL)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	switch {
	case token != "" && (user != "" || password != ""):
		errs = append(errs, fmt.Errorf("give either %s or %s and %s, not both", EnvServiceNowToken, EnvServiceNowUser, EnvServiceNowPassword))
	case token == "" && (user == "" || password == ""):
		errs = append(errs, fmt.Errorf("give %s and %s (basic auth) or %s (OAuth)", EnvServiceNowUser, EnvServiceNowPassword, EnvServiceNowToken))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("servicenow: %w", err)
	}
	if client == nil {
		client = &http.Client{Timeout: requestTimeout}
	}
	return &ServiceNow{base: u, user: user, password: password, bearer: token, http: client}, nil
}

// changeNumber is what a change number looks like: only such numbers
// reach the encoded query, where `^` would add conditions.
var changeNumber = regexp.MustCompile(`^[A-Z]{2,10}[0-9]{1,12}$`)

// changeFields are the fields read of a change request.
const changeFields = "sys_id,number,short_description,state,approval,start_date,end_date"

// Change reads change request number. Display values are asked with
// sysparm_display_value=all: states and approvals as displayed, and dates
// also as stored (UTC), since displayed dates follow the account's format
// and timezone. A missing change is a Record with Found false.
func (s *ServiceNow) Change(ctx context.Context, number string) (policies.Record, error) {
	rec := policies.Record{ID: number, Provider: policies.ProviderServiceNow}
	if !changeNumber.MatchString(number) {
		return rec, fmt.Errorf("%w: %q is not a ServiceNow change number (such as CHG0030001): correct change_record.verify.servicenow.pattern or the cited ID", errNotAnID, number)
	}
	q := url.Values{"sysparm_query": {"number=" + number}, "sysparm_display_value": {"all"}, "sysparm_limit": {"1"},
		"sysparm_fields": {changeFields}, "sysparm_exclude_reference_link": {"true"}}
	var out struct {
		Result []map[string]displayed `json:"result"`
	}
	if err := s.do(ctx, http.MethodGet, "", q, nil, &out, "reading change "+number); err != nil {
		return rec, err
	}
	if len(out.Result) == 0 || out.Result[0]["number"].Value != number {
		return rec, nil
	}
	r := out.Result[0]
	rec.Found, rec.Title, rec.State, rec.Approval = true, r["short_description"].Display, r["state"].Display, r["approval"].Display
	rec.Start, rec.End = tableTime(r["start_date"].Value), tableTime(r["end_date"].Value)
	rec.URL = s.base.String() + "/change_request.do?sys_id=" + url.QueryEscape(r["sys_id"].Value)
	return rec, nil
}

// displayed is a field as sysparm_display_value=all gives it.
type displayed struct {
	Display string `json:"display_value"`
	Value   string `json:"value"`
}

// tableTime parses a stored date-time (UTC, "2006-01-02 15:04:05").
func tableTime(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// do calls the change_request table (path "" or "/SYS_ID") and decodes
// the answer into out; doing names the call in errors, which never hold
// credentials.
func (s *ServiceNow) do(ctx context.Context, method, path string, q url.Values, body any, out any, doing string) error {
	u := *s.base
	u.Path += "/api/now/table/change_request" + path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+s.bearer.Reveal())
	} else {
		req.SetBasicAuth(s.user, s.password.Reveal())
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s in ServiceNow: %w", doing, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	switch {
	case err != nil:
		return fmt.Errorf("%s in ServiceNow: %w", doing, err)
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%s: ServiceNow refused Shipgate's credentials (%s): check %s and %s, or %s", doing, resp.Status, EnvServiceNowUser, EnvServiceNowPassword, EnvServiceNowToken)
	case resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s: ServiceNow refused (%s): Shipgate's account needs access to the change_request table", doing, resp.Status)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("%s: ServiceNow answered %s", doing, resp.Status)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: ServiceNow's answer is not the Table API's", doing)
	}
	return nil
}
