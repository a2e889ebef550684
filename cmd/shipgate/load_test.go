package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// TestLoadServe measures real `shipgate serve` processes under webhook load
// from cmd/loadgen, with the fake GitHub answering the work the deliveries
// cause. It runs only when asked: scripts/load-serve.sh and
// scripts/load-compare.sh set SHIPGATE_LOAD and print the figures the
// README quotes.
//
//	SHIPGATE_LOAD=1 SHIPGATE_LOAD_ARGS="-rate 1000 -duration 60s" go test ./cmd/shipgate -run TestLoadServe -v
//
// The database is a fresh SQLite file, or with SHIPGATE_LOAD_DATABASE_URL
// (postgres://…) a fresh database created on that server for the run and
// dropped after it. SHIPGATE_LOAD_REPLICAS (PostgreSQL only) starts that
// many servers on the database and spreads the deliveries over them;
// SHIPGATE_LOAD_GITHUB_QUOTA sets the fake GitHub's calls an hour (5,000),
// SHIPGATE_LOAD_GITHUB_LATENCY the time it takes to answer each (none).
// Besides loadgen's report it prints one Markdown table row: the rate
// achieved, the ack percentiles, each server's peak resident memory, and
// the jobs processed and left when the load ended.
func TestLoadServe(t *testing.T) {
	if os.Getenv("SHIPGATE_LOAD") == "" {
		t.Skip("load measurement: set SHIPGATE_LOAD=1 (see scripts/load-serve.sh)")
	}
	const (
		repo   = "acme/widgets"
		secret = "load-secret"
		token  = "ghs_load"
	)
	replicas := 1
	if v := os.Getenv("SHIPGATE_LOAD_REPLICAS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 8 {
			t.Fatalf("SHIPGATE_LOAD_REPLICAS=%q: want 1 to 8", v)
		}
		replicas = n
	}
	db := newLoadDatabase(t)
	if replicas > 1 && db.dialect != "postgres" {
		t.Fatal("SHIPGATE_LOAD_REPLICAS > 1 needs SHIPGATE_LOAD_DATABASE_URL=postgres://…: a SQLite file belongs to one process")
	}
	// The fake holds Shipgate to GitHub's 5,000 calls an hour unless
	// SHIPGATE_LOAD_GITHUB_QUOTA says otherwise: at 1,000 deliveries/s the
	// workers use that up within seconds, and then wait for the reset as
	// they would on GitHub while the queue grows.
	quota := 5000
	if v := os.Getenv("SHIPGATE_LOAD_GITHUB_QUOTA"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SHIPGATE_LOAD_GITHUB_QUOTA=%q: want a number of calls an hour", v)
		}
		quota = n
	}
	// SHIPGATE_LOAD_GITHUB_LATENCY delays each of the fake's answers, as
	// GitHub's own take tens of milliseconds: without it the workers'
	// calls cost no wait, and the workers take every cycle of the cores
	// the acknowledgements share (the worst case, and the default).
	var latency time.Duration
	if v := os.Getenv("SHIPGATE_LOAD_GITHUB_LATENCY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			t.Fatalf("SHIPGATE_LOAD_GITHUB_LATENCY=%q: want a duration such as 50ms", v)
		}
		latency = d
	}
	fake := fakegithub.New(t, fakegithub.WithToken(token), fakegithub.WithClock(time.Now), fakegithub.WithoutConformance(),
		fakegithub.WithRateLimit(quota), fakegithub.WithLatency(latency))
	fake.AddRepo(fakegithub.Repo{FullName: repo})
	fake.SetFile(repo, "main", ".shipgate.yml", "version: 1\napprovals:\n  - required: 1\nhold: {}\n")
	for n := 1; n <= 200; n++ {
		fake.AddPR(repo, fakegithub.PR{Number: n, Title: fmt.Sprintf("feat: change %d", n), Author: "alice", Base: "main"})
	}
	// The servers run the shipgate binary, as deployed: the test binary
	// would add the tests' code to their resident memory.
	// SHIPGATE_LOAD_BINARY names one already built, to compare two builds
	// run after run.
	bin := os.Getenv("SHIPGATE_LOAD_BINARY")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "shipgate")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("building shipgate: %v\n%s", err, out)
		}
	}
	var servers []*serveProcess
	var urls []string
	for range replicas {
		srv := startServeBinary(t, bin, []string{
			"SHIPGATE_DATABASE_URL=" + db.url,
			"SHIPGATE_GITHUB_API_URL=" + fake.URL(),
			"SHIPGATE_GITHUB_TOKEN=" + token,
			"SHIPGATE_GITHUB_WEBHOOK_SECRET=" + secret,
			"SHIPGATE_RECONCILE_INTERVAL=0",
			"SHIPGATE_LOG_LEVEL=error",
		})
		servers = append(servers, srv)
		urls = append(urls, "http://"+srv.addr+"/webhooks/github")
	}
	loadgen := filepath.Join(t.TempDir(), "loadgen")
	if out, err := exec.Command("go", "build", "-o", loadgen, "../loadgen").CombinedOutput(); err != nil {
		t.Fatalf("building loadgen: %v\n%s", err, out)
	}
	userArgs := strings.Fields(os.Getenv("SHIPGATE_LOAD_ARGS"))
	args := append([]string{"-url", strings.Join(urls, ","), "-secret", secret, "-prs", "200"}, userArgs...)
	peaks := sampleRSS(servers)
	cpu0 := make([]time.Duration, len(servers))
	for i, srv := range servers {
		cpu0[i] = cpuTime(srv.cmd.Process.Pid)
	}
	out, err := exec.Command(loadgen, args...).CombinedOutput()
	rss := peaks()
	fmt.Printf("loadgen %s\n%s", strings.Join(userArgs, " "), out)
	jobs := db.jobs(t)
	for i, srv := range servers {
		fmt.Printf("server %d resident memory: peak sampled %.1f MB, high-water mark %.1f MB\n",
			i+1, rss[i], float64(residentKB(srv.cmd.Process.Pid, "VmHWM"))/1024)
	}
	sent := int64(1)
	if m := sentRE.FindStringSubmatch(string(out)); m != nil {
		sent, _ = strconv.ParseInt(m[1], 10, 64)
	}
	for i, srv := range servers {
		used := cpuTime(srv.cmd.Process.Pid) - cpu0[i]
		fmt.Printf("server %d CPU time (user+system) while loaded: %s, %s per delivery sent to all\n", i+1,
			used.Round(10*time.Millisecond), (used / time.Duration(max(sent, 1))).Round(time.Microsecond))
	}
	for i, srv := range servers {
		fmt.Printf("server %d acknowledgements (its own clock, arrival to answer): %s\n", i+1, serverAcks(srv.addr))
	}
	for i, srv := range servers {
		// The servers log at level error: every line is a problem.
		if lines := strings.Split(strings.TrimSpace(srv.out.String()), "\n"); lines[0] != "" {
			fmt.Printf("server %d logged %d errors, the first: %s\n", i+1, len(lines), lines[0])
		}
	}
	fmt.Printf("jobs when the load ended: %d queued, %d processed, %d left, %d dead\n", jobs.queued, jobs.queued-jobs.left-jobs.dead, jobs.left, jobs.dead)
	fmt.Printf("GitHub API calls while loaded: %d (304s excluded: %d)\n", fake.CountCalls(false), fake.CountCalls(true))
	if err != nil {
		t.Fatalf("loadgen: %v", err)
	}
	fmt.Println(resultRow(db.label(replicas), userArgs, string(out), rss, jobs))
}

// startServeBinary starts `bin serve` and waits until /readyz answers 200.
func startServeBinary(t *testing.T, bin string, env []string) *serveProcess {
	t.Helper()
	p := &serveProcess{out: &lockedBuffer{}, addr: freeAddr(t)}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(append(os.Environ(), "SHIPGATE_ADDR="+p.addr), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + p.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become ready:\n%s", p.out)
		}
	}
}

// sampleRSS samples the servers' resident memory every 200 ms until the
// returned function is called, which returns each one's peak in MB.
func sampleRSS(servers []*serveProcess) (stop func() []float64) {
	peak := make([]int64, len(servers))
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
				for i, srv := range servers {
					peak[i] = max(peak[i], residentKB(srv.cmd.Process.Pid, "VmRSS"))
				}
			}
		}
	}()
	return func() []float64 {
		close(done)
		wg.Wait()
		mb := make([]float64, len(peak))
		for i, kb := range peak {
			mb[i] = float64(kb) / 1024
		}
		return mb
	}
}

// loadDatabase is the database of one load run.
type loadDatabase struct {
	url, dialect string
	db           *sql.DB // for counting the jobs
}

// newLoadDatabase makes a fresh SQLite file, or a fresh PostgreSQL
// database on SHIPGATE_LOAD_DATABASE_URL's server that is dropped when the
// test ends.
func newLoadDatabase(t *testing.T) *loadDatabase {
	admin := os.Getenv("SHIPGATE_LOAD_DATABASE_URL")
	if admin == "" {
		path := filepath.Join(t.TempDir(), "shipgate.db")
		return &loadDatabase{url: path, dialect: "sqlite", db: openLoadDB(t, "sqlite", path+"?_pragma=busy_timeout(10000)")}
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatal("SHIPGATE_LOAD_DATABASE_URL: want a postgres:// URL of a server where databases may be created")
	}
	name := fmt.Sprintf("shipgate_load_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000)
	server := openLoadDB(t, "pgx", admin)
	if _, err := server.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating the load database: %v", err)
	}
	// Cleanups run last-in first-out: the servers are stopped before the
	// database is dropped.
	t.Cleanup(func() {
		if _, err := server.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping the load database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return &loadDatabase{url: u.String(), dialect: "postgres", db: openLoadDB(t, "pgx", u.String())}
}

func openLoadDB(t *testing.T, driver, dsn string) *sql.DB {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (d *loadDatabase) label(replicas int) string {
	if d.dialect == "sqlite" {
		return "SQLite, 1 process"
	}
	if replicas == 1 {
		return "PostgreSQL, 1 replica"
	}
	return fmt.Sprintf("PostgreSQL, %d replicas", replicas)
}

// jobCounts are the queue's jobs at a moment: queued since the start
// (job IDs are never reused), left (pending or leased) and dead.
type jobCounts struct{ queued, left, dead int64 }

func (d *loadDatabase) jobs(t *testing.T) jobCounts {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	queued := `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0)`
	if d.dialect == "postgres" {
		queued = `SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('jobs', 'id')::regclass), 0)`
	}
	var c jobCounts
	if err := d.db.QueryRowContext(ctx, queued).Scan(&c.queued); err != nil {
		t.Fatalf("counting queued jobs: %v", err)
	}
	err := d.db.QueryRowContext(ctx, `SELECT COUNT(CASE WHEN state <> 'dead' THEN 1 END), COUNT(CASE WHEN state = 'dead' THEN 1 END) FROM jobs`).
		Scan(&c.left, &c.dead)
	if err != nil {
		t.Fatalf("counting jobs: %v", err)
	}
	return c
}

var (
	sentRE    = regexp.MustCompile(`sent (\d+) in \S+: (\d+) deliveries/s`)
	latencyRE = regexp.MustCompile(`p50 (\S+)\s+p90 (\S+)\s+p99 (\S+)\s+max (\S+)`)
)

// resultRow is one row of scripts/load-compare.sh's table.
func resultRow(config string, args []string, report string, rss []float64, jobs jobCounts) string {
	run := "sustained, " + flagValue(args, "-n", "?") + " deliveries"
	if rate := flagValue(args, "-rate", "500"); rate != "0" {
		run = rate + "/s for " + flagValue(args, "-duration", "10s")
	}
	sent, lat := sentRE.FindStringSubmatch(report), latencyRE.FindStringSubmatch(report)
	if sent == nil || lat == nil {
		return "| " + config + " | " + run + " | loadgen's report not understood | | | | | | |"
	}
	mem := make([]string, len(rss))
	for i, mb := range rss {
		mem[i] = fmt.Sprintf("%.0f", mb)
	}
	return fmt.Sprintf("| %s | %s | %s/s | %s | %s | %s | %s | %s MB | %d / %d |", config, run, sent[2],
		lat[1], lat[2], lat[3], lat[4], strings.Join(mem, " + "), jobs.queued-jobs.left-jobs.dead, jobs.left)
}

// flagValue is the value given to name in args, else def.
func flagValue(args []string, name, def string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return def
}

// serverAcks summarises a server's shipgate_webhook_ack_seconds
// histogram: the share of acknowledgements within each bucket bound.
func serverAcks(addr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var bounds []string
	counts := map[string]float64{}
	goMem := map[string]float64{}
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		if name, value, ok := strings.Cut(s.Text(), " "); ok && (name == "go_memstats_sys_bytes" || name == "go_memstats_heap_inuse_bytes") {
			goMem[name], _ = strconv.ParseFloat(value, 64)
		}
		rest, ok := strings.CutPrefix(s.Text(), "shipgate_webhook_ack_seconds_bucket{")
		if !ok {
			continue
		}
		_, rest, _ = strings.Cut(rest, `le="`)
		le, value, _ := strings.Cut(rest, `"} `)
		n, _ := strconv.ParseFloat(value, 64)
		if _, seen := counts[le]; !seen {
			bounds = append(bounds, le)
		}
		counts[le] += n
	}
	total := counts["+Inf"]
	if total == 0 {
		return "none counted"
	}
	var parts []string
	for _, le := range bounds {
		if le != "+Inf" {
			parts = append(parts, fmt.Sprintf("≤%ss %.2f%%", le, 100*counts[le]/total))
		}
	}
	return fmt.Sprintf("%s; Go runtime memory %.1f MB from the OS, heap in use %.1f MB", strings.Join(parts, ", "),
		goMem["go_memstats_sys_bytes"]/(1<<20), goMem["go_memstats_heap_inuse_bytes"]/(1<<20))
}

// cpuTime is the user and system CPU time a process has used.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) start
	// with the state; utime and stime are the 14th and 15th fields.
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// residentKB reads a memory figure (VmRSS, VmHWM) of a process in KiB.
func residentKB(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb
		}
	}
	return 0
}

func TestResultRowReadsLoadgensReport(t *testing.T) {
	report := "sent 60000 in 1m0.008s: 1000 deliveries/s (statuses 202:60000)\n" +
		"ack latency: p50 1.2ms  p90 2.5ms  p99 4.1ms  max 20.3ms\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "a fixed rate names the rate and the duration", args: []string{"-rate", "1000", "-duration", "60s"},
			want: "| SQLite, 1 process | 1000/s for 60s | 1000/s | 1.2ms | 2.5ms | 4.1ms | 20.3ms | 41 + 52 MB | 59990 / 10 |"},
		{name: "rate 0 is the sustained run", args: []string{"-rate=0", "-n", "30000", "-concurrency", "64"},
			want: "| SQLite, 1 process | sustained, 30000 deliveries | 1000/s | 1.2ms | 2.5ms | 4.1ms | 20.3ms | 41 + 52 MB | 59990 / 10 |"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resultRow("SQLite, 1 process", tt.args, report, []float64{40.6, 52.2}, jobCounts{queued: 60000, left: 10})
			if got != tt.want {
				t.Errorf("row:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
