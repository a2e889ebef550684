package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// scriptLine is one delivery of a -script file (JSON lines): deliveries
// with the same key are sent in the file's order, each once the one before
// it was acknowledged, as a host delivers one repository's events; keys
// go in parallel.
type scriptLine struct {
	Key   string          `json:"key"`
	Event string          `json:"event"`
	ID    string          `json:"id"`
	Body  json.RawMessage `json:"body"`
}

// scriptOptions are the flags of the script mode.
type scriptOptions struct {
	path     string
	acks     string
	retryFor time.Duration
}

// scriptResult counts what a script run did.
type scriptResult struct {
	mu        sync.Mutex
	statuses  map[int]int // answers to every try, 0 for no answer
	acked     []string
	retries   int
	lost      []string
	latencies []time.Duration
	elapsed   time.Duration
}

// runScript sends a script's deliveries at o.rate (lines a second, 0: at
// once) to the targets of o.url in turn. A delivery that is not
// acknowledged — the connection refused, a timeout, a 5xx — is sent again
// to the next target until it is or -retry-for has passed, as a load
// balancer in front of replicas and a host's redelivery would. -acks
// writes the IDs of the acknowledged deliveries, one a line.
func runScript(ctx context.Context, o options, so scriptOptions, out io.Writer) error {
	lines, err := readScript(so.path)
	if err != nil {
		return err
	}
	to, err := parseTargets(o.url)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: o.timeout}
	byKey := map[string][]int{}
	var keys []string
	for i, l := range lines {
		if _, ok := byKey[l.Key]; !ok {
			keys = append(keys, l.Key)
		}
		byKey[l.Key] = append(byKey[l.Key], i)
	}
	res := &scriptResult{statuses: map[int]int{}}
	start := time.Now()
	var wg sync.WaitGroup
	for _, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range byKey[key] {
				at := start
				if o.rate > 0 {
					at = start.Add(time.Duration(float64(i) / o.rate * float64(time.Second)))
				}
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
				res.deliver(ctx, client, to, o, so, lines[i])
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res.finish(so, len(lines), out)
}

// deliver sends one line until it is acknowledged: each try goes to the
// next target in turn (past those that refuse the connection).
func (r *scriptResult) deliver(ctx context.Context, client *http.Client, to *targets, o options, so scriptOptions, l scriptLine) {
	began := time.Now()
	d := signed(o.secret, l.ID, l.Body)
	o.event = l.Event
	for try := 0; ctx.Err() == nil; try++ {
		status, err := post(ctx, client, to, o, d)
		r.mu.Lock()
		r.statuses[status]++
		r.mu.Unlock()
		if err == nil && status < 300 {
			r.mu.Lock()
			r.acked = append(r.acked, l.ID)
			r.latencies = append(r.latencies, time.Since(began))
			r.retries += try
			r.mu.Unlock()
			return
		}
		if err == nil && status < 500 {
			break // refused (401, 400, 413): sending it again changes nothing
		}
		if time.Since(began) > so.retryFor {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.mu.Lock()
	r.lost = append(r.lost, l.ID)
	r.mu.Unlock()
}

// finish writes the acknowledged IDs and the report.
func (r *scriptResult) finish(so scriptOptions, total int, out io.Writer) error {
	if so.acks != "" {
		if err := os.WriteFile(so.acks, []byte(strings.Join(r.acked, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	rep := &result{sent: total, statuses: r.statuses, latencies: r.latencies, elapsed: r.elapsed}
	rep.report(out)
	fmt.Fprintf(out, "script: %d acknowledged, %d sent again after a failure, %d not acknowledged\n", len(r.acked), r.retries, len(r.lost))
	if len(r.lost) > 0 {
		return fmt.Errorf("%d deliveries were never acknowledged (first: %s)", len(r.lost), r.lost[0])
	}
	return nil
}

// readScript reads a -script file, checking every line names its key,
// event and delivery ID.
func readScript(path string) ([]scriptLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []scriptLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 32<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l scriptLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if l.Key == "" || l.Event == "" || l.ID == "" || len(l.Body) == 0 {
			return nil, fmt.Errorf("%s:%d: a line needs key, event, id and body", path, n)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: no deliveries", path)
	}
	return lines, nil
}
