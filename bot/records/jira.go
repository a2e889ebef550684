package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/policies"
)

// Jira reads issues with GET /rest/api/2/issue/{key}, which Jira Cloud
// and Jira Data Center both serve.
type Jira struct {
	base  *url.URL
	user  string
	token bot.Secret
	http  *http.Client
}

// NewJira returns the client of the Jira site at baseURL: basic auth with
// user and token (Jira Cloud: an e-mail and an API token), or a bearer
// token when user is empty (Data Center: a personal access token); client
// nil is a default client with a timeout.
func NewJira(baseURL, user string, token bot.Secret, client *http.Client) (*Jira, error) {
	u, err := parseBaseURL(EnvJiraURL, baseURL)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if token == "" {
		errs = append(errs, fmt.Errorf("%s is missing: give an API token (Jira Cloud, with %s as the account's e-mail) or a personal access token (Data Center)", EnvJiraToken, EnvJiraUser))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("jira: %w", err)
	}
	if client == nil {
		client = &http.Client{Timeout: requestTimeout}
	}
	return &Jira{base: u, user: user, token: token, http: client}, nil
}

// jiraKey is what a Jira issue key looks like: only such keys reach the
// request's path.
var jiraKey = regexp.MustCompile(`^[A-Z][A-Z0-9_]*-[0-9]+$`)

// errNotAnID is the error of an ID its provider cannot be asked about:
// asking again will not help.
var errNotAnID = errors.New("not asked")

// maxAnswer bounds an answer read from a change system.
const maxAnswer = 1 << 20

// Issue reads issue key with the fields the rule needs (summary, status,
// project, issue type) and fields. A missing issue (or one Shipgate's
// account may not see: Jira answers 404 for both) is a Record with Found
// false; an error says why Jira could not be asked, without credentials.
func (j *Jira) Issue(ctx context.Context, key string, fields []string) (policies.Record, error) {
	rec := policies.Record{ID: key, Provider: policies.ProviderJira}
	if !jiraKey.MatchString(key) {
		return rec, fmt.Errorf("%w: %q is not a Jira issue key (such as ACME-123): correct change_record.verify.jira.pattern or the cited ID", errNotAnID, key)
	}
	q := url.Values{"fields": {strings.Join(append([]string{"summary", "status", "project", "issuetype"}, fields...), ",")}}
	u := *j.base
	u.Path += "/rest/api/2/issue/" + key
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return rec, err
	}
	req.Header.Set("Accept", "application/json")
	if j.user != "" {
		req.SetBasicAuth(j.user, j.token.Reveal())
	} else {
		req.Header.Set("Authorization", "Bearer "+j.token.Reveal())
	}
	resp, err := j.http.Do(req)
	if err != nil {
		return rec, fmt.Errorf("asking Jira about %s: %w", key, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	switch {
	case err != nil:
		return rec, fmt.Errorf("reading Jira's answer about %s: %w", key, err)
	case resp.StatusCode == http.StatusNotFound:
		return rec, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return rec, fmt.Errorf("Jira refused Shipgate's credentials (%s): check %s and %s", resp.Status, EnvJiraUser, EnvJiraToken)
	case resp.StatusCode != http.StatusOK:
		return rec, fmt.Errorf("Jira answered %s", resp.Status)
	}
	var issue struct {
		Key    string                     `json:"key"`
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(body, &issue); err != nil || issue.Key == "" {
		return rec, fmt.Errorf("Jira's answer about %s is not an issue", key)
	}
	text := func(f string) string { return fieldText(issue.Fields[f]) }
	rec.Found, rec.Title, rec.State = true, text("summary"), text("status")
	rec.Project, rec.IssueType = projectKey(issue.Fields["project"]), text("issuetype")
	rec.URL = j.base.String() + "/browse/" + issue.Key
	if len(fields) > 0 {
		rec.Fields = make(map[string]string, len(fields))
		for _, f := range fields {
			rec.Fields[f] = text(f)
		}
	}
	return rec, nil
}

// fieldText is a field's value as Jira displays it: a string or number as
// it is, an option or object by its value or name, a list joined by
// commas; "" when empty.
func fieldText(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return valueText(v)
}

func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		for _, k := range []string{"value", "name", "displayName", "key"} {
			if s, ok := x[k].(string); ok {
				return s
			}
		}
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, valueText(e))
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

// projectKey is the key of an issue's project (not its name).
func projectKey(raw json.RawMessage) string {
	var p struct {
		Key string `json:"key"`
	}
	_ = json.Unmarshal(raw, &p)
	return p.Key
}

// nowOr returns now() or the wall clock.
func nowOr(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}
