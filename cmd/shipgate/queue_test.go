package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
)

// queueFixture makes a database with two dead jobs (1: a JSON payload and
// a two-line error; 2: a text payload) and a ready one (3), and returns
// its path.
func queueFixture(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "shipgate.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, j := range []struct {
		delivery, key, payload string
		cause                  error
	}{
		{"d1", "github:acme/widgets#42", `{"repo":"acme/widgets","number":42}`, errors.New("reading reviews of acme/widgets#42: 404 Not Found\nsecond line")},
		{"d2", "gitlab:acme/tools!7", "not json", errors.New("bad payload")},
		{"d3", "github:acme/widgets@main", `{}`, nil},
	} {
		if _, err := st.Accept(ctx, store.Delivery{Host: "github", ID: j.delivery, Event: "pull_request"},
			store.Job{Kind: "github.pr", Key: j.key, Payload: []byte(j.payload)}); err != nil {
			t.Fatal(err)
		}
		if j.cause == nil {
			continue
		}
		batches, err := st.Claim(ctx, "w", time.Minute, 1)
		if err != nil || len(batches) != 1 {
			t.Fatalf("Claim = %v, %v", batches, err)
		}
		if err := st.Bury(ctx, batches[0].Lease, batches[0].Jobs[0].ID, j.cause); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// shipgate runs the command line and returns its exit code and output.
func shipgate(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestQueueListAndShow(t *testing.T) {
	db := queueFixture(t)
	tests := []struct {
		name string
		args []string
		want []string // substrings of stdout
		not  []string
	}{
		{"the dead jobs by default, as a table with the last error's first line", []string{"list"},
			[]string{"ID  STATE", "1   dead   github.pr  github:acme/widgets#42", "1/8", "reading reviews of acme/widgets#42: 404 Not Found …", "died 20", "2   dead"},
			[]string{"second line", "acme/widgets@main"}},
		{"ready jobs", []string{"list", "--state", "ready"}, []string{"3   pending", "due 20"}, []string{"dead"}},
		{"by repository", []string{"list", "--state", "all", "--repo", "acme/widgets"}, []string{"github:acme/widgets#42", "github:acme/widgets@main"}, []string{"acme/tools"}},
		{"JSON lines", []string{"list", "--format", "json"}, []string{`"id":1,"state":"dead"`, `"payload":{"repo":"acme/widgets","number":42}`, `"payload_text":"not json"`}, nil},
		{"a job, its payload pretty-printed", []string{"show", "1"},
			[]string{"job 1\n", "state:    dead (died ", "attempts: 1 of 8", "delivery: github d1", "lease:    none", "  last error:\n    reading reviews of acme/widgets#42: 404 Not Found\n    second line\n",
				"  payload:\n    {\n      \"repo\": \"acme/widgets\",\n      \"number\": 42\n    }\n"}, nil},
		{"a job whose payload is not JSON", []string{"show", "2"}, []string{"  payload:\n    not json\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := shipgate(append([]string{"queue", "--database-url", db}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
		})
	}
	for _, args := range [][]string{{"list", "--state", "zombie"}, {"show", "x"}, {"show", "99"}} {
		if code, _, errOut := shipgate(append([]string{"queue", "--database-url", db}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, errOut)
		}
	}
}

// auditOf returns the queue events of the audit log at db.
func auditOf(t *testing.T, db string) []map[string]any {
	t.Helper()
	code, out, errOut := shipgate("audit", "export", "--database-url", db, "--kind", "queue")
	if code != 0 {
		t.Fatalf("audit export: exit %d: %s", code, errOut)
	}
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

func TestQueueRetry(t *testing.T) {
	db := queueFixture(t)
	code, _, errOut := shipgate("queue", "--database-url", db, "retry", "3")
	if code != exitUsage || !strings.Contains(errOut, "job 3 is pending") || !strings.Contains(errOut, "only dead jobs are retried") {
		t.Errorf("retry of a live job: exit %d, %s", code, errOut)
	}
	if code, _, errOut := shipgate("queue", "--database-url", db, "retry"); code != exitUsage || !strings.Contains(errOut, "--all-dead") {
		t.Errorf("retry of nothing: exit %d, %s", code, errOut)
	}
	code, out, errOut := shipgate("queue", "--database-url", db, "retry", "1")
	if code != 0 || out != "retried 1 dead job: 1\n" {
		t.Fatalf("retry 1: exit %d, %q, %s", code, out, errOut)
	}
	_, out, _ = shipgate("queue", "--database-url", db, "show", "1")
	if !strings.Contains(out, "state:    pending") || !strings.Contains(out, "attempts: 0 of 8") {
		t.Errorf("retried job:\n%s", out)
	}
	if code, out, _ := shipgate("queue", "--database-url", db, "retry", "--all-dead"); code != 0 || out != "retried 1 dead job: 2\n" {
		t.Errorf("retry --all-dead: exit %d, %q", code, out)
	}
	events := auditOf(t, db)
	if len(events) != 2 || events[0]["outcome"] != "retried" || events[0]["subject"] != "job 1" || !strings.HasPrefix(events[0]["actor"].(string), "cli") {
		t.Errorf("audit: %v", events)
	}
}

func TestQueuePurge(t *testing.T) {
	db := queueFixture(t)
	if code, _, errOut := shipgate("queue", "--database-url", db, "purge", "1", "3"); code != exitUsage || !strings.Contains(errOut, "job 3 is pending") {
		t.Errorf("purge of a live job: exit %d, %s", code, errOut)
	}
	if code, _, errOut := shipgate("queue", "--database-url", db, "purge"); code != exitUsage || !strings.Contains(errOut, "--dead-before") {
		t.Errorf("purge of nothing: exit %d, %s", code, errOut)
	}
	if code, out, errOut := shipgate("queue", "--database-url", db, "purge", "1"); code != 0 || out != "purged 1 dead job: 1\n" {
		t.Fatalf("purge 1: exit %d, %q, %s", code, out, errOut)
	}
	if code, out, _ := shipgate("queue", "--database-url", db, "purge", "--dead-before", "2000-01-01"); code != 0 || out != "purged 0 dead jobs\n" {
		t.Errorf("purge before 2000: exit %d, %q", code, out)
	}
	tomorrow := time.Now().Add(24 * time.Hour).UTC().Format("2006-01-02")
	if code, out, _ := shipgate("queue", "--database-url", db, "purge", "--dead-before", tomorrow); code != 0 || out != "purged 1 dead job: 2\n" {
		t.Errorf("purge before tomorrow: exit %d, %q", code, out)
	}
	if _, out, _ := shipgate("queue", "--database-url", db, "list", "--state", "all"); strings.Contains(out, "dead") || !strings.Contains(out, "3   pending") {
		t.Errorf("jobs left:\n%s", out)
	}
	if events := auditOf(t, db); len(events) != 2 || events[1]["outcome"] != "purged" || events[1]["subject"] != "job 2" {
		t.Errorf("audit: %v", events)
	}
}
