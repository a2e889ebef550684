package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/shipgate/shipgate/bot/store"
)

// jobRecord is the exported shape of a job.
type jobRecord struct {
	ID           int64           `json:"id"`
	State        string          `json:"state"`
	Kind         string          `json:"kind"`
	Key          string          `json:"key"`
	Attempts     int             `json:"attempts"`
	MaxAttempts  int             `json:"max_attempts"`
	CreatedAt    time.Time       `json:"created_at"`
	RunAt        time.Time       `json:"run_at"`
	DeadAt       *time.Time      `json:"dead_at,omitempty"`
	DeliveryHost string          `json:"delivery_host"`
	DeliveryID   string          `json:"delivery_id"`
	LeasedBy     string          `json:"leased_by,omitempty"`
	LeasedUntil  *time.Time      `json:"leased_until,omitempty"`
	LastError    string          `json:"last_error,omitempty"`
	Payload      json.RawMessage `json:"payload,omitempty"`
	// PayloadText holds a payload that is not JSON.
	PayloadText string `json:"payload_text,omitempty"`
}

func toJobRecord(j store.JobInfo) jobRecord {
	r := jobRecord{ID: j.ID, State: j.State, Kind: j.Kind, Key: j.Key, Attempts: j.Attempts, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt, RunAt: j.RunAt, DeliveryHost: j.DeliveryHost, DeliveryID: j.DeliveryID,
		LeasedBy: j.LeasedBy, LastError: j.LastError}
	if !j.DeadAt.IsZero() {
		r.DeadAt = &j.DeadAt
	}
	if !j.LeasedUntil.IsZero() {
		r.LeasedUntil = &j.LeasedUntil
	}
	if json.Valid(j.Payload) {
		r.Payload = j.Payload
	} else {
		r.PayloadText = string(j.Payload)
	}
	return r
}

func writeJobsJSON(out io.Writer, jobs []store.JobInfo) error {
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, j := range jobs {
		if err := enc.Encode(toJobRecord(j)); err != nil {
			return err
		}
	}
	return w.Flush()
}

// writeJobsTable prints one line per job, the last error's first line
// last (it is the widest).
func writeJobsTable(out io.Writer, jobs []store.JobInfo) error {
	if len(jobs) == 0 {
		_, err := fmt.Fprintln(out, "no jobs")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tKIND\tKEY\tATTEMPTS\tCREATED\tLAST CHANGE\tLAST ERROR")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.ID, j.State, j.Kind, j.Key, j.Attempts, j.MaxAttempts,
			stamp(j.CreatedAt), lastChange(j), firstLine(j.LastError, 80))
	}
	return tw.Flush()
}

// lastChange says when the job last moved: died, leased until, or due.
func lastChange(j store.JobInfo) string {
	switch {
	case !j.DeadAt.IsZero():
		return "died " + stamp(j.DeadAt)
	case j.State == "dead":
		return "died after " + stamp(j.RunAt)
	case j.LeasedBy != "":
		return "leased until " + stamp(j.LeasedUntil)
	default:
		return "due " + stamp(j.RunAt)
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// firstLine returns s's first line, cut to n runes.
func firstLine(s string, n int) string {
	s, _, more := strings.Cut(s, "\n")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n-1]) + "…"
	} else if more {
		s += " …"
	}
	if s == "" {
		return "-"
	}
	return s
}

// writeJob prints everything about one job.
func writeJob(out io.Writer, j store.JobInfo) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "job %d\n", j.ID)
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s:\t%s\n", k, v) }
	row("state", j.State+" ("+lastChange(j)+")")
	row("kind", j.Kind)
	row("key", j.Key)
	row("delivery", j.DeliveryHost+" "+j.DeliveryID)
	row("attempts", strconv.Itoa(j.Attempts)+" of "+strconv.Itoa(j.MaxAttempts))
	row("created", stamp(j.CreatedAt))
	row("run at", stamp(j.RunAt))
	lease := "none"
	if j.LeasedBy != "" {
		lease = fmt.Sprintf("held by %s until %s (token %d)", j.LeasedBy, stamp(j.LeasedUntil), j.LeaseToken)
	}
	row("lease", lease)
	tw.Flush()
	fmt.Fprintln(w, "  last error:")
	fmt.Fprintln(w, indent(orNone(j.LastError)))
	fmt.Fprintln(w, "  payload:")
	fmt.Fprintln(w, indent(payloadText(j.Payload)))
	return w.Flush()
}

// payloadText pretty-prints a JSON payload, and quotes any other.
func payloadText(p []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, p, "", "  ") == nil {
		return b.String()
	}
	if utf8.Valid(p) {
		return string(p)
	}
	return strconv.Quote(string(p))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
