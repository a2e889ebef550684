package main

import (
	"bytes"
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
	cmd  *exec.Cmd
	out  *lockedBuffer
	addr string
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
	p := &serveProcess{out: &lockedBuffer{}, addr: freeAddr(t)}
	p.cmd = exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	p.cmd.Env = append(append(os.Environ(), "SHIPGATE_E2E_SERVE=1", "SHIPGATE_ADDR="+p.addr), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become ready:\n%s", p.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeSurvivesSIGKILLBetweenAckAndProcessing kills the server after
// it acknowledged deliveries it could not process yet (GitHub hangs), then
// restarts it: every acknowledged delivery is processed, exactly once.
func TestServeSurvivesSIGKILLBetweenAckAndProcessing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const (
		repo   = "acme/widgets"
		secret = "e2e-secret"
		token  = "ghs_e2e"
		prs    = 12
	)
	fake := fakegithub.New(t, fakegithub.WithToken(token), fakegithub.WithClock(time.Now))
	fake.AddRepo(fakegithub.Repo{FullName: repo})
	fake.SetFile(repo, "main", ".shipgate.yml", "version: 1\napprovals:\n  - required: 1\n")
	for n := 1; n <= prs; n++ {
		fake.AddPR(repo, fakegithub.PR{Number: n, Title: fmt.Sprintf("feat: change %d", n), Author: "alice", Base: "main"})
	}
	env := []string{
		"SHIPGATE_DATABASE_URL=" + filepath.Join(t.TempDir(), "shipgate.db"),
		"SHIPGATE_GITHUB_API_URL=" + fake.URL(),
		"SHIPGATE_GITHUB_TOKEN=" + token,
		"SHIPGATE_GITHUB_WEBHOOK_SECRET=" + secret,
		"SHIPGATE_JOB_LEASE=2s",
		"SHIPGATE_RECONCILE_INTERVAL=0",
		"SHIPGATE_LOG_LEVEL=warn",
	}

	// 1. GitHub hangs: the server acknowledges but cannot process.
	removeHang := fake.InjectFault(fakegithub.Fault{Kind: fakegithub.Hang})
	first := startServe(t, env)
	payloads := map[string][]byte{}
	for n := 1; n <= prs; n++ {
		id := fmt.Sprintf("delivery-%d", n)
		payloads[id] = fake.Payload(fake.PullRequestEvent(repo, n, "opened", "alice"))
		resp, err := fakegithub.SignedWebhook("http://"+first.addr+"/webhooks/github", "pull_request", id, payloads[id], secret)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("delivery %s answered %d", id, resp.StatusCode)
		}
	}
	time.Sleep(300 * time.Millisecond) // let workers claim and hang
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	for n := 1; n <= prs; n++ {
		if runs := fake.CheckRuns(repo, headSHA(t, fake, repo, n)); len(runs) != 0 {
			t.Fatalf("PR %d already has check runs before the restart", n)
		}
	}

	// 2. GitHub answers again; a new process finishes the work.
	removeHang()
	second := startServe(t, env)
	deadline := time.Now().Add(60 * time.Second)
	for n := 1; n <= prs; n++ {
		sha := headSHA(t, fake, repo, n)
		for len(fake.CheckRuns(repo, sha)) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("PR %d was never evaluated after the restart\n%s", n, second.out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// A redelivery after the restart is acknowledged and changes nothing.
	resp, err := fakegithub.SignedWebhook("http://"+second.addr+"/webhooks/github", "pull_request", "delivery-1", payloads["delivery-1"], secret)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("redelivery answered %d", resp.StatusCode)
	}
	time.Sleep(time.Second)
	for n := 1; n <= prs; n++ {
		runs := fake.CheckRuns(repo, headSHA(t, fake, repo, n))
		if len(runs) != 1 || runs[0].Name != "shipgate: main" {
			t.Errorf("PR %d has %d check runs, want exactly one named shipgate: %+v", n, len(runs), runs)
		}
	}

	// 3. SIGTERM drains and exits cleanly.
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("server exit after SIGTERM: %v\n%s", err, second.out)
	}
	if strings.Contains(second.out.String(), secret) || strings.Contains(second.out.String(), token) {
		t.Error("a secret reached the logs")
	}
}

func headSHA(t *testing.T, fake *fakegithub.Server, repo string, n int) string {
	t.Helper()
	pr, ok := fake.PullRequest(repo, n)
	if !ok {
		t.Fatalf("no PR %d", n)
	}
	return pr.HeadSHA
}
