package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/internal/fakegithub"
)

// TestLoadServe measures a real `shipgate serve` (SQLite) under webhook load
// from cmd/loadgen, with the fake GitHub answering the work the deliveries
// cause. It runs only when asked: scripts/load-serve.sh sets SHIPGATE_LOAD
// and prints the figures the README quotes.
//
//	SHIPGATE_LOAD=1 SHIPGATE_LOAD_ARGS="-rate 500 -duration 60s" go test ./cmd/shipgate -run TestLoadServe -v
func TestLoadServe(t *testing.T) {
	if os.Getenv("SHIPGATE_LOAD") == "" {
		t.Skip("load measurement: set SHIPGATE_LOAD=1 (see scripts/load-serve.sh)")
	}
	const (
		repo   = "acme/widgets"
		secret = "load-secret"
		token  = "ghs_load"
	)
	fake := fakegithub.New(t, fakegithub.WithToken(token), fakegithub.WithClock(time.Now), fakegithub.WithoutConformance())
	fake.AddRepo(fakegithub.Repo{FullName: repo})
	fake.SetFile(repo, "main", ".shipgate.yml", "version: 1\napprovals:\n  - required: 1\nhold: {}\n")
	for n := 1; n <= 200; n++ {
		fake.AddPR(repo, fakegithub.PR{Number: n, Title: fmt.Sprintf("feat: change %d", n), Author: "alice", Base: "main"})
	}
	srv := startServe(t, []string{
		"SHIPGATE_DATABASE_URL=" + filepath.Join(t.TempDir(), "shipgate.db"),
		"SHIPGATE_GITHUB_API_URL=" + fake.URL(),
		"SHIPGATE_GITHUB_TOKEN=" + token,
		"SHIPGATE_GITHUB_WEBHOOK_SECRET=" + secret,
		"SHIPGATE_RECONCILE_INTERVAL=0",
		"SHIPGATE_LOG_LEVEL=error",
	})
	loadgen := filepath.Join(t.TempDir(), "loadgen")
	if out, err := exec.Command("go", "build", "-o", loadgen, "../loadgen").CombinedOutput(); err != nil {
		t.Fatalf("building loadgen: %v\n%s", err, out)
	}
	args := append([]string{"-url", "http://" + srv.addr + "/webhooks/github", "-secret", secret, "-prs", "200"},
		strings.Fields(os.Getenv("SHIPGATE_LOAD_ARGS"))...)
	cmd := exec.Command(loadgen, args...)
	done := make(chan struct{})
	peak := int64(0)
	go func() { // sample the server's resident memory while the load runs
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
				if rss := residentKB(srv.cmd.Process.Pid, "VmRSS"); rss > peak {
					peak = rss
				}
			}
		}
	}()
	out, err := cmd.CombinedOutput()
	close(done)
	fmt.Printf("loadgen %s\n%s", strings.Join(args[4:], " "), out)
	fmt.Printf("server resident memory: peak sampled %.1f MB, high-water mark %.1f MB\n",
		float64(peak)/1024, float64(residentKB(srv.cmd.Process.Pid, "VmHWM"))/1024)
	fmt.Printf("GitHub API calls while loaded: %d (304s excluded: %d)\n", fake.CountCalls(false), fake.CountCalls(true))
	if err != nil {
		t.Fatalf("loadgen: %v", err)
	}
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
