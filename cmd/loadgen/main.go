// Command loadgen measures a running `shipgate serve`: it signs and sends N
// GitHub webhook deliveries at a fixed rate and prints the throughput and
// the acknowledgement latency percentiles. Latency is measured from each
// delivery's scheduled send time, so a slow server cannot hide its queueing
// (no coordinated omission). It only sends to the URL it is given; use a
// loopback address.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
}

type options struct {
	url         string
	secret      string
	rate        float64
	duration    time.Duration
	n           int
	concurrency int
	prs         int
	event       string
	payload     string
	timeout     time.Duration
}

func run(args []string, out io.Writer) error {
	var o options
	var so scriptOptions
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080/webhooks/github", "webhook URL of the server under test; several, separated by commas, share the load round-robin (a refused connection moves on to the next)")
	fs.StringVar(&o.secret, "secret", os.Getenv("SHIPGATE_GITHUB_WEBHOOK_SECRET"), "webhook secret [SHIPGATE_GITHUB_WEBHOOK_SECRET]")
	fs.Float64Var(&o.rate, "rate", 500, "deliveries per second (0: as fast as -concurrency allows)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send (ignored when -n is set)")
	fs.IntVar(&o.n, "n", 0, "number of deliveries (overrides -duration)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "requests in flight at most")
	fs.IntVar(&o.prs, "prs", 200, "distinct pull requests the deliveries are spread over")
	fs.StringVar(&o.event, "event", "pull_request", "X-GitHub-Event of the deliveries")
	fs.StringVar(&o.payload, "payload", "", "payload file (default: a synthetic pull_request.synchronize); its \"number\" is varied per delivery")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.StringVar(&so.path, "script", "", "JSON-lines file of deliveries ({key, event, id, body}) to send instead of synthetic ones; -url may list several targets, comma-separated")
	fs.StringVar(&so.acks, "acks", "", "with -script: write the acknowledged delivery IDs to this file")
	fs.DurationVar(&so.retryFor, "retry-for", time.Minute, "with -script: how long to keep sending a delivery that is not acknowledged")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.secret == "" {
		return errors.New("-secret or SHIPGATE_GITHUB_WEBHOOK_SECRET is required: the server refuses unsigned deliveries")
	}
	if so.path != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return runScript(ctx, o, so, out)
	}
	total := o.n
	if total <= 0 {
		if o.rate <= 0 {
			return errors.New("with -rate 0 set -n")
		}
		total = int(o.rate * o.duration.Seconds())
	}
	to, err := parseTargets(o.url)
	if err != nil {
		return err
	}
	base, err := basePayload(o.payload)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res := send(ctx, o, to, base, total)
	res.report(out)
	if res.failed() {
		return fmt.Errorf("%d of %d deliveries were not acknowledged", res.errors, res.sent)
	}
	return nil
}

// basePayload is the delivery body as a generic JSON object.
func basePayload(path string) (map[string]any, error) {
	data := []byte(syntheticPR)
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, err
		}
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return m, nil
}

type result struct {
	sent, errors int
	statuses     map[int]int
	latencies    []time.Duration
	// lags are how late each request started after it was due: the
	// generator's own delay, which the latencies include; paced says
	// whether deliveries had due times (a fixed -rate).
	lags    []time.Duration
	paced   bool
	elapsed time.Duration
}

func (r *result) failed() bool { return r.errors > 0 }

// send schedules total deliveries at the rate and waits for every answer.
// A timer hands each delivery, when due, to the next of -concurrency
// senders, which sends it at once: nothing is built or started between a
// delivery's time and its request, so the generator's own delay stays out
// of the latencies as far as it can (its lag is reported beside them). A
// delivery that finds every sender busy is late, and its latency still
// counts from when it was due.
func send(ctx context.Context, o options, to *targets, base map[string]any, total int) *result {
	client := &http.Client{Timeout: o.timeout, Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency}}
	res := &result{statuses: map[int]int{}, latencies: make([]time.Duration, 0, total), lags: make([]time.Duration, 0, total), paced: o.rate > 0}
	deliveries := prepare(o, base, time.Now().UnixNano(), total)
	start := time.Now().Add(time.Millisecond)
	due := make(chan time.Time, total) // each delivery's due time, in order
	if o.rate > 0 {
		interval := time.Duration(float64(time.Second) / o.rate)
		sent := 0
		go func() {
			err := ticks(start, interval, func(n int) bool {
				for ; n > 0 && sent < total; n-- {
					due <- start.Add(time.Duration(sent) * interval)
					sent++
				}
				return sent == total || ctx.Err() != nil
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, "loadgen: timer:", err)
			}
			close(due)
		}()
	} else {
		for range total {
			due <- time.Time{} // closed loop: due when a sender is free
		}
		close(due)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(o.concurrency, total) {
		wg.Go(func() {
			for scheduled := range due {
				if scheduled.IsZero() {
					scheduled = time.Now()
				}
				lag := time.Since(scheduled)
				status, err := post(ctx, client, to, o, <-deliveries)
				lat := time.Since(scheduled)
				mu.Lock()
				res.record(status, err, lat, lag)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// record counts one answer.
func (r *result) record(status int, err error, lat, lag time.Duration) {
	r.sent++
	r.statuses[status]++
	r.lags = append(r.lags, lag)
	if err != nil || status >= 300 {
		r.errors++
		return
	}
	r.latencies = append(r.latencies, lat)
}

// preparedAhead bounds the deliveries built before they are due.
const preparedAhead = 100_000

// delivery is one signed request body.
type delivery struct {
	id, signature string
	body          []byte
}

// signed is a delivery of body with its X-Hub-Signature-256.
func signed(secret, id string, body []byte) delivery {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return delivery{id: id, signature: "sha256=" + hex.EncodeToString(mac.Sum(nil)), body: body}
}

// prepare builds and signs the deliveries ahead of the clock, and returns
// once the first preparedAhead (or all) are ready: on a small machine the
// JSON and HMAC work shares the cores with the server under test, and
// would otherwise count in the latencies it measures.
func prepare(o options, base map[string]any, runID int64, total int) <-chan delivery {
	ahead := min(total, preparedAhead)
	ch := make(chan delivery, ahead)
	ready := make(chan struct{})
	go func() {
		defer close(ch)
		for i := 0; i < total; i++ {
			if i == ahead {
				close(ready)
			}
			ch <- signed(o.secret, fmt.Sprintf("loadgen-%d-%d", runID, i), deliveryBody(base, i%o.prs+1, i))
		}
		if total <= ahead {
			close(ready)
		}
	}()
	<-ready
	return ch
}

func post(ctx context.Context, client *http.Client, to *targets, o options, d delivery) (int, error) {
	resp, err := to.do(client, func(target string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(d.body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", o.event)
		req.Header.Set("X-GitHub-Delivery", d.id)
		req.Header.Set("X-Hub-Signature-256", d.signature)
		return req, nil
	})
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// deliveryBody varies the PR number and head SHA so deliveries differ.
func deliveryBody(base map[string]any, pr, i int) []byte {
	m := make(map[string]any, len(base))
	for k, v := range base {
		m[k] = v
	}
	m["number"] = pr
	if p, ok := base["pull_request"].(map[string]any); ok {
		cp := make(map[string]any, len(p))
		for k, v := range p {
			cp[k] = v
		}
		cp["number"] = pr
		if h, ok := p["head"].(map[string]any); ok {
			hc := make(map[string]any, len(h))
			for k, v := range h {
				hc[k] = v
			}
			hc["sha"] = fmt.Sprintf("%040x", i+1)
			cp["head"] = hc
		}
		m["pull_request"] = cp
	}
	b, _ := json.Marshal(m)
	return b
}

func (r *result) report(w io.Writer) {
	var codes []string
	for code, n := range r.statuses {
		name := fmt.Sprint(code)
		if code == 0 {
			name = "error"
		}
		codes = append(codes, fmt.Sprintf("%s:%d", name, n))
	}
	sort.Strings(codes)
	fmt.Fprintf(w, "sent %d in %s: %.0f deliveries/s (statuses %s)\n", r.sent, r.elapsed.Round(time.Millisecond),
		float64(r.sent)/r.elapsed.Seconds(), strings.Join(codes, " "))
	lat, lag := percentiles(r.latencies), percentiles(r.lags)
	fmt.Fprintf(w, "ack latency: p50 %s  p90 %s  p99 %s  max %s\n", lat(.50), lat(.90), lat(.99), lat(1))
	if r.paced {
		fmt.Fprintf(w, "of which the generator's own lag (request started after it was due): p50 %s  p99 %s  max %s\n", lag(.50), lag(.99), lag(1))
	}
}

// percentiles sorts ds and returns its percentile function (p from 0 to 1).
func percentiles(ds []time.Duration) func(p float64) time.Duration {
	slices.Sort(ds)
	return func(p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[int(p*float64(len(ds)-1))].Round(time.Microsecond)
	}
}

// syntheticPR is a minimal pull_request.synchronize delivery.
const syntheticPR = `{
  "action": "synchronize",
  "number": 1,
  "installation": {"id": 1},
  "pull_request": {
    "number": 1, "state": "open", "title": "feat: load", "body": "",
    "user": {"login": "loadgen", "type": "User"},
    "head": {"ref": "feature/load", "sha": "0000000000000000000000000000000000000001"},
    "base": {"ref": "main", "sha": "0000000000000000000000000000000000000000",
             "repo": {"name": "widgets", "full_name": "acme/widgets", "owner": {"login": "acme"}}}
  },
  "repository": {"name": "widgets", "full_name": "acme/widgets", "owner": {"login": "acme"}},
  "sender": {"login": "loadgen", "type": "User"}
}`

// tickerTicks is ticks from Go's ticker, which may wake up to a
// millisecond late (see ticks_linux.go).
func tickerTicks(start time.Time, interval time.Duration, tick func(n int) (stop bool)) error {
	time.Sleep(time.Until(start))
	if tick(1) {
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for range t.C {
		if tick(1) {
			return nil
		}
	}
	return nil
}
