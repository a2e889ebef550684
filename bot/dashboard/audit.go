package dashboard

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// auditPageSize is how many events the audit page shows; the export has
// no limit.
const auditPageSize = 200

// auditKinds are offered in the kind filter; others may be typed.
var auditKinds = []string{store.AuditEvaluation, store.AuditCommand, store.AuditOverride, store.AuditRelease,
	store.AuditDeployment, store.AuditMergeGroup, store.AuditQueue, store.AuditPrune}

// auditFilter is the audit page's filter, as its query string has it.
type auditFilter struct {
	// Repo is "host:owner/name" ("" for every readable repository).
	Repo, Actor, Kind string
	// Since and Until are dates (YYYY-MM-DD, UTC), Until included.
	Since, Until string
}

func auditFilterOf(q url.Values) auditFilter {
	return auditFilter{Repo: q.Get("repo"), Actor: strings.TrimSpace(q.Get("actor")), Kind: q.Get("kind"), Since: q.Get("since"), Until: q.Get("until")}
}

// Query is the filter as a query string, for the export links.
func (f auditFilter) Query() string {
	q := url.Values{}
	for k, v := range map[string]string{"repo": f.Repo, "actor": f.Actor, "kind": f.Kind, "since": f.Since, "until": f.Until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// search turns the filter into a store search over the repositories the
// viewer can read; a repository they cannot read selects nothing.
func (d *Dashboard) auditSearch(ctx context.Context, f auditFilter) (store.AuditSearch, []RepoRef, error) {
	repos, err := d.readableRepos(ctx)
	if err != nil {
		return store.AuditSearch{}, nil, err
	}
	q := store.AuditSearch{Repos: storeKeys(repos), Actor: f.Actor}
	if f.Repo != "" {
		host, name, _ := strings.Cut(f.Repo, ":")
		want := RepoRef{Host: policies.Host(host), Repo: name}
		q.Repos = nil
		if slices.Contains(repos, want) {
			q.Repos = storeKeys([]RepoRef{want})
		}
	}
	if f.Kind != "" {
		q.Kinds = []string{f.Kind}
	}
	if t, err := time.Parse("2006-01-02", f.Since); err == nil {
		q.Since = t
	}
	if t, err := time.Parse("2006-01-02", f.Until); err == nil {
		q.Before = t.Add(24 * time.Hour)
	}
	return q, repos, nil
}

type auditData struct {
	Filter auditFilter
	Repos  []RepoRef
	Kinds  []string
	Events []store.AuditEvent
	More   bool
}

// auditPage lists the newest audit events the filter selects.
func (d *Dashboard) auditPage(w http.ResponseWriter, r *http.Request) {
	f := auditFilterOf(r.URL.Query())
	q, repos, err := d.auditSearch(r.Context(), f)
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	q.Newest, q.Limit = true, auditPageSize+1
	data := auditData{Filter: f, Repos: repos, Kinds: auditKinds}
	err = d.cfg.Store.SearchAudit(r.Context(), q, func(e store.AuditEvent) error {
		data.Events = append(data.Events, e)
		return nil
	})
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	if len(data.Events) > auditPageSize {
		data.Events, data.More = data.Events[:auditPageSize], true
	}
	d.render(w, r, "audit.html", data)
}

// auditRecord is an exported event: detail as JSON, times in RFC 3339.
type auditRecord struct {
	ID         int64           `json:"id"`
	At         string          `json:"at"`
	Host       policies.Host   `json:"host"`
	Repo       string          `json:"repo"`
	Number     int             `json:"number,omitempty"`
	Kind       string          `json:"kind"`
	Actor      string          `json:"actor"`
	Subject    string          `json:"subject"`
	Outcome    string          `json:"outcome"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	DeliveryID string          `json:"delivery_id,omitempty"`
}

func recordOf(e store.AuditEvent) auditRecord {
	rec := auditRecord{ID: e.ID, At: e.At.UTC().Format(time.RFC3339Nano), Host: e.Host, Repo: e.Repo, Number: e.Number, Kind: e.Kind,
		Actor: e.Actor, Subject: e.Subject, Outcome: e.Outcome, DeliveryID: e.DeliveryID}
	if json.Valid(e.Detail) {
		rec.Detail = e.Detail
	}
	return rec
}

// auditExport streams the events the filter selects, oldest first, as
// CSV or JSON (format=csv|json).
func (d *Dashboard) auditExport(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "json" {
		d.renderError(w, r, http.StatusBadRequest, "format must be csv or json.")
		return
	}
	q, _, err := d.auditSearch(r.Context(), auditFilterOf(r.URL.Query()))
	if err != nil {
		d.storeError(w, r, err)
		return
	}
	name := "shipgate-audit-" + d.now().UTC().Format("20060102T150405Z") + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "csv" {
		d.exportCSV(w, r, q)
		return
	}
	d.exportJSON(w, r, q)
}

var csvHeader = []string{"id", "at", "host", "repo", "number", "kind", "actor", "subject", "outcome", "detail", "delivery_id"}

func (d *Dashboard) exportCSV(w http.ResponseWriter, r *http.Request, q store.AuditSearch) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	err := d.cfg.Store.SearchAudit(r.Context(), q, func(e store.AuditEvent) error {
		rec := recordOf(e)
		return cw.Write([]string{strconv.FormatInt(rec.ID, 10), rec.At, string(rec.Host), csvSafe(rec.Repo), strconv.Itoa(rec.Number),
			csvSafe(rec.Kind), csvSafe(rec.Actor), csvSafe(rec.Subject), csvSafe(rec.Outcome), csvSafe(string(rec.Detail)), csvSafe(rec.DeliveryID)})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		d.log.Error().Err(err).Msg("dashboard: audit export stopped")
	}
}

// csvSafe defuses a cell a spreadsheet would run as a formula: actors,
// subjects and reasons are written by people.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (d *Dashboard) exportJSON(w http.ResponseWriter, r *http.Request, q store.AuditSearch) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("[\n"))
	first := true
	enc := json.NewEncoder(w)
	err := d.cfg.Store.SearchAudit(r.Context(), q, func(e store.AuditEvent) error {
		if !first {
			if _, err := w.Write([]byte(",")); err != nil {
				return err
			}
		}
		first = false
		return enc.Encode(recordOf(e))
	})
	if err != nil {
		// The answer has started: end it unparseable rather than
		// complete-looking.
		d.log.Error().Err(err).Msg("dashboard: audit export stopped")
		_, _ = fmt.Fprint(w, "\n")
		return
	}
	_, _ = w.Write([]byte("]\n"))
}
