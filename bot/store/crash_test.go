package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashChildEnv carries the database URL to the child process of
// TestCrashLosesNothingAcknowledged; TestHelperProcess does nothing without
// it.
const crashChildEnv = "SHIPGATE_STORE_CRASH_CHILD_URL"

// TestHelperProcess is the child of the crash test: it accepts deliveries
// from many goroutines, as webhook handlers would, and prints "ack ID" for
// each Accept that returned nil — the moment a handler would answer 2xx —
// until it is killed.
func TestHelperProcess(t *testing.T) {
	url := os.Getenv(crashChildEnv)
	if url == "" {
		return
	}
	s, err := Open(ctx, url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: opening store:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	for g := 0; g < 32; g++ {
		go func() {
			for n := 0; ; n++ {
				id := fmt.Sprintf("g%d-%d", g, n)
				d := Delivery{Host: "crash", ID: id, Event: "push", Payload: []byte(`{}`)}
				dup, err := s.Accept(ctx, d, Job{Kind: "evaluate", Key: fmt.Sprintf("pr#%d", n%7), Payload: []byte(id)})
				if err != nil || dup {
					fmt.Fprintln(os.Stderr, "child: Accept:", dup, err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s\n", id)
				mu.Unlock()
			}
		}()
	}
	select {}
}

func TestCrashLosesNothingAcknowledged(t *testing.T) {
	t.Run(DialectSQLite, func(t *testing.T) { testCrash(t, sqliteBackend) })
	t.Run(DialectPostgres, func(t *testing.T) { testCrash(t, postgresBackend(t)) })
}

func testCrash(t *testing.T, b backend) {
	url := b.newURL(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+url)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	const killAfter = 500
	acked := map[string]bool{}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if id, ok := strings.CutPrefix(lines.Text(), "ack "); ok {
			acked[id] = true
		}
		if len(acked) == killAfter {
			// SIGKILL: no deferred function, no Close, batches in flight.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Acks written before the kill were read above, to EOF.
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child ended with %v, want killed", err)
	}
	if len(acked) < killAfter {
		t.Fatalf("child acknowledged %d deliveries before it ended, want %d", len(acked), killAfter)
	}

	s := openStore(t, url, nil)
	var committed int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM deliveries WHERE host = 'crash'`).Scan(&committed); err != nil {
		t.Fatal(err)
	}
	processed := map[string]int{}
	for {
		batches, err := s.Claim(ctx, "survivor", time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(batches) == 0 {
			break
		}
		for _, b := range batches {
			for _, j := range b.Jobs {
				processed[string(j.Payload)]++
			}
		}
		if err := completeAll(ctx, s, batches); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d acknowledged, %d committed, %d processed after the kill", len(acked), committed, len(processed))
	if len(processed) != committed {
		t.Errorf("%d jobs processed, want one per committed delivery (%d)", len(processed), committed)
	}
	for id := range acked {
		if processed[id] != 1 {
			t.Errorf("acknowledged delivery %s processed %d times, want once", id, processed[id])
		}
	}
	for id, n := range processed {
		if n != 1 {
			t.Errorf("delivery %s processed %d times", id, n)
		}
	}
}
