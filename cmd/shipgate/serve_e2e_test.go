package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

// TestServeHelperProcess is not a test: the e2e tests run the test binary
// again with SHIPGATE_E2E_SERVE=1 to get a real `shipgate serve` process
// they can kill.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv("SHIPGATE_E2E_SERVE") != "1" {
		t.Skip("helper process for the serve e2e tests")
	}
	os.Exit(run([]string{"serve"}, os.Stdout, os.Stderr))
}

// serveProcess is a running `shipgate serve` child.
type serveProcess struct {
	cmd     *exec.Cmd
	out     *lockedBuffer
	addr    string
	exited  chan struct{} // closed when the process has exited
	exitErr error         // its cmd.Wait's answer, once exited
}

// waitExit waits for the process to exit and returns how it ended.
func (p *serveProcess) waitExit() error {
	<-p.exited
	return p.exitErr
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe starts the server and waits until /readyz answers 200.
func startServe(t *testing.T, env []string) *serveProcess {
	t.Helper()
	return startServeAt(t, freeAddr(t), env)
}

// startServeAt is startServe listening on addr.
func startServeAt(t *testing.T, addr string, env []string) *serveProcess {
	t.Helper()
	p, err := launchServe(addr, env, 20*time.Second)
	if p != nil {
		t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.waitExit() })
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// launchServe starts a server listening on addr and waits up to within
// for /readyz to answer 200; on an error the process is killed (and
// returned, for its output).
func launchServe(addr string, env []string, within time.Duration) (*serveProcess, error) {
	p := &serveProcess{out: &lockedBuffer{}, addr: addr, exited: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	p.cmd.Env = append(append(os.Environ(), "SHIPGATE_E2E_SERVE=1", "SHIPGATE_ADDR="+p.addr), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.exitErr = p.cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.exited:
			return p, fmt.Errorf("the server exited before it was ready:\n%s", p.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.cmd.Process.Kill()
			_ = p.waitExit()
			return p, fmt.Errorf("the server did not become ready within %s:\n%s", within, p.out)
		}
	}
}

// e2eGitHub is a fake GitHub with prs open pull requests, and the
// environment of a server that talks to it on a SQLite file.
type e2eGitHub struct {
	fake *fakegithub.Server
	env  []string
	db   string
}

const (
	e2eRepo   = "acme/widgets"
	e2eSecret = "e2e-secret"
	e2eToken  = "ghs_e2e"
)

func newE2EGitHub(t *testing.T, prs int, env ...string) *e2eGitHub {
	fake := fakegithub.New(t, fakegithub.WithToken(e2eToken), fakegithub.WithClock(time.Now))
	fake.AddRepo(fakegithub.Repo{FullName: e2eRepo})
	fake.SetFile(e2eRepo, "main", ".shipgate.yml", "version: 1\napprovals:\n  - required: 1\n")
	for n := 1; n <= prs; n++ {
		fake.AddPR(e2eRepo, fakegithub.PR{Number: n, Title: fmt.Sprintf("feat: change %d", n), Author: "alice", Base: "main"})
	}
	db := filepath.Join(t.TempDir(), "shipgate.db")
	return &e2eGitHub{fake: fake, db: db, env: append([]string{
		"SHIPGATE_DATABASE_URL=" + db,
		"SHIPGATE_GITHUB_API_URL=" + fake.URL(),
		"SHIPGATE_GITHUB_TOKEN=" + e2eToken,
		"SHIPGATE_GITHUB_WEBHOOK_SECRET=" + e2eSecret,
		"SHIPGATE_RECONCILE_INTERVAL=0",
		"SHIPGATE_LOG_LEVEL=warn",
	}, env...)}
}

// open sends an "opened" delivery for PRs 1 … prs to p and returns the
// payloads by delivery ID.
func (g *e2eGitHub) open(t *testing.T, p *serveProcess, prs int) map[string][]byte {
	t.Helper()
	payloads := map[string][]byte{}
	for n := 1; n <= prs; n++ {
		id := fmt.Sprintf("delivery-%d", n)
		payloads[id] = g.fake.Payload(g.fake.PullRequestEvent(e2eRepo, n, "opened", "alice"))
		resp, err := fakegithub.SignedWebhook("http://"+p.addr+"/webhooks/github", "pull_request", id, payloads[id], e2eSecret)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("delivery %s answered %d", id, resp.StatusCode)
		}
	}
	return payloads
}

// hangAndKill starts a server, makes GitHub hang, sends the server prs
// openings, waits until its workers hold them, and SIGKILLs it: the jobs
// stay leased to a dead process. It returns with GitHub answering again.
func (g *e2eGitHub) hangAndKill(t *testing.T, prs int) map[string][]byte {
	t.Helper()
	first := startServe(t, g.env)
	removeHang := g.fake.InjectFault(fakegithub.Fault{Kind: fakegithub.Hang})
	defer removeHang()
	payloads := g.open(t, first, prs)
	deadline := time.Now().Add(10 * time.Second)
	for leased(t, g.db) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the workers never claimed the jobs\n%s", first.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.waitExit()
	for n := 1; n <= prs; n++ {
		if runs := g.fake.CheckRuns(e2eRepo, headSHA(t, g.fake, e2eRepo, n)); len(runs) != 0 {
			t.Fatalf("PR %d already has check runs before the restart", n)
		}
	}
	return payloads
}

// leased counts the jobs leased in the SQLite file at url.
func leased(t *testing.T, url string) int {
	t.Helper()
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s.Leased
}

// waitEvaluated waits until PRs 1 … prs have a check run, and returns
// how long that took.
func (g *e2eGitHub) waitEvaluated(t *testing.T, p *serveProcess, prs int, within time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	for n := 1; n <= prs; n++ {
		sha := headSHA(t, g.fake, e2eRepo, n)
		for len(g.fake.CheckRuns(e2eRepo, sha)) == 0 {
			if time.Since(began) > within {
				t.Fatalf("PR %d was not evaluated within %s of the restart\n%s", n, within, p.out)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return time.Since(began)
}

// TestServeSurvivesSIGKILLBetweenAckAndProcessing kills the server after
// it acknowledged deliveries it could not process yet (GitHub hangs), then
// restarts it: every acknowledged delivery is processed, exactly once.
func TestServeSurvivesSIGKILLBetweenAckAndProcessing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const prs = 12
	g := newE2EGitHub(t, prs, "SHIPGATE_JOB_LEASE=2s")
	payloads := g.hangAndKill(t, prs)

	// GitHub answers again; a new process finishes the work.
	second := startServe(t, g.env)
	g.waitEvaluated(t, second, prs, 60*time.Second)
	// A redelivery after the restart is acknowledged and changes nothing.
	resp, err := fakegithub.SignedWebhook("http://"+second.addr+"/webhooks/github", "pull_request", "delivery-1", payloads["delivery-1"], e2eSecret)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("redelivery answered %d", resp.StatusCode)
	}
	time.Sleep(time.Second)
	for n := 1; n <= prs; n++ {
		runs := g.fake.CheckRuns(e2eRepo, headSHA(t, g.fake, e2eRepo, n))
		if len(runs) != 1 || runs[0].Name != "shipgate: main" {
			t.Errorf("PR %d has %d check runs, want exactly one named shipgate: %+v", n, len(runs), runs)
		}
	}

	// SIGTERM drains and exits cleanly.
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.waitExit(); err != nil {
		t.Errorf("server exit after SIGTERM: %v\n%s", err, second.out)
	}
	if strings.Contains(second.out.String(), e2eSecret) || strings.Contains(second.out.String(), e2eToken) {
		t.Error("a secret reached the logs")
	}
}

// TestServeResumesAKilledProcessWorkWithinSeconds kills a server holding
// jobs under the default two-minute lease and restarts it on the same
// SQLite file: the new process takes the dead one's leases back at start,
// and the work is done within 5 seconds of the restart, not when the
// leases would have run out.
func TestServeResumesAKilledProcessWorkWithinSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const prs = 6
	g := newE2EGitHub(t, prs)
	g.hangAndKill(t, prs)
	restarted := time.Now()
	second := startServe(t, g.env)
	g.waitEvaluated(t, second, prs, 5*time.Second-time.Since(restarted))
	t.Logf("resumed and evaluated %d PRs %s after the restart began", prs, time.Since(restarted).Round(time.Millisecond))
}

func headSHA(t *testing.T, fake *fakegithub.Server, repo string, n int) string {
	t.Helper()
	pr, ok := fake.PullRequest(repo, n)
	if !ok {
		t.Fatalf("no PR %d", n)
	}
	return pr.HeadSHA
}
