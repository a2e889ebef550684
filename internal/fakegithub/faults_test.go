package fakegithub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

const pullRoute = "GET /repos/{owner}/{repo}/pulls/{pull_number}"

func TestFaultOnOneRouteForSomeTimes(t *testing.T) {
	s := New(t)
	s.AddPR(repo, PR{Number: 1, Author: "alice"})
	s.InjectFault(Fault{Kind: BadGateway, Route: pullRoute, Times: 2})
	gh := s.Client("")
	var statuses []int
	for i := 0; i < 3; i++ {
		_, resp, _ := gh.PullRequests.Get(ctx(t), "acme", "widgets", 1)
		statuses = append(statuses, resp.StatusCode)
	}
	_, resp, _ := gh.PullRequests.ListReviews(ctx(t), "acme", "widgets", 1, nil)
	statuses = append(statuses, resp.StatusCode)
	equal(t, "statuses", statuses, []int{502, 502, 200, 200})
	equal(t, "recorded fault", s.Requests()[0].Fault, "502")
}

// TestFaultSharesAreHonouredAndDeterministic sends many distinct requests
// and checks the share that fails, and that the same seed fails the same
// ones while another seed does not.
func TestFaultSharesAreHonouredAndDeterministic(t *testing.T) {
	const n, share = 600, 0.25
	failed := func(seed uint64) map[int]bool {
		s := New(t, WithSeed(seed), WithoutConformance())
		s.InjectFault(Fault{Kind: BadGateway, Share: share})
		gh := s.Client("")
		out := map[int]bool{}
		for i := 1; i <= n; i++ {
			_, resp, _ := gh.PullRequests.Get(ctx(t), "acme", "widgets", i) // 404 unless hit
			if resp.StatusCode == http.StatusBadGateway {
				out[i] = true
			}
		}
		return out
	}
	a, b, c := failed(1), failed(1), failed(2)
	// Binomial(600, 0.25): mean 150, standard deviation about 10.6.
	if len(a) < 110 || len(a) > 190 {
		t.Errorf("%d of %d failed, want about %v", len(a), n, share*n)
	}
	equal(t, "same seed, same failures", a, b)
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Error("another seed failed the same requests")
	}
}

func TestRateLimitFaultsDecodeAsGoGitHubErrors(t *testing.T) {
	s := New(t)
	s.AddPR(repo, PR{Number: 1, Author: "alice"})

	remove := s.InjectFault(Fault{Kind: SecondaryRateLimit, Route: pullRoute, RetryAfter: 2 * time.Second})
	_, _, err := s.Client("").PullRequests.Get(ctx(t), "acme", "widgets", 1)
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.GetRetryAfter() != 2*time.Second {
		t.Fatalf("secondary limit: %v, want an AbuseRateLimitError with Retry-After 2s", err)
	}
	remove()

	s.InjectFault(Fault{Kind: PrimaryRateLimit, ResetAfter: 30 * time.Minute})
	_, resp, err := s.Client("").PullRequests.Get(ctx(t), "acme", "widgets", 1)
	var limit *github.RateLimitError
	if !errors.As(err, &limit) || limit.Rate.Remaining != 0 {
		t.Fatalf("primary limit: %v, want a RateLimitError", err)
	}
	equal(t, "reset", resp.Header.Get("X-RateLimit-Reset"), strconv.FormatInt(DefaultTime().Add(30*time.Minute).Unix(), 10))

	s.ClearFaults()
	if _, _, err := s.Client("").PullRequests.Get(ctx(t), "acme", "widgets", 1); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
}

func TestHangHoldsUntilTheClientGivesUp(t *testing.T) {
	s := New(t)
	s.AddPR(repo, PR{Number: 1, Author: "alice"})
	s.InjectFault(Fault{Kind: Hang, Route: pullRoute})
	c, cancel := context.WithTimeout(ctx(t), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := s.Client("").PullRequests.Get(c, "acme", "widgets", 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung call: %v, want the client's deadline", err)
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Error("answered before the deadline")
	}
	// The handler records the request once it notices the client left.
	waitFor(t, func() bool { return len(s.Requests()) > 0 })
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Fault != "hang" || reqs[0].Status != 0 {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestHangIsReleasedWhenTheServerCloses(t *testing.T) {
	s := New(t, WithoutConformance())
	s.InjectFault(Fault{Kind: Hang})
	done := make(chan error, 1)
	go func() {
		_, _, err := s.Client("").Repositories.Get(context.Background(), "acme", "widgets")
		done <- err
	}()
	waitFor(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.seen) > 0
	})
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a hung request got an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hung request")
	}
}

// TestFaultsChangeSafelyUnderLoad injects and removes faults while
// requests run; run it with -race.
func TestFaultsChangeSafelyUnderLoad(t *testing.T) {
	s := New(t)
	s.AddPR(repo, PR{Number: 1, Author: "alice"})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gh := s.Client("")
			for i := 0; i < 25; i++ {
				_, resp, _ := gh.PullRequests.Get(context.Background(), "acme", "widgets", 1)
				if resp == nil || (resp.StatusCode != 200 && resp.StatusCode != 502) {
					t.Errorf("answered %v", resp)
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		remove := s.InjectFault(Fault{Kind: BadGateway, Share: 0.5})
		time.Sleep(time.Millisecond)
		remove()
	}
	wg.Wait()
	equal(t, "requests", s.CountCalls(false), 200)
}

func TestInjectFaultRefusesUnknownRoutes(t *testing.T) {
	s, rec := newRecorded(t)
	rec.expectFatal(func() { s.InjectFault(Fault{Kind: BadGateway, Route: "GET /repos/{owner}/{repo}/pull/{number}"}) })
	if errs := rec.Errors(); len(errs) != 1 || !contains(errs, "no route") {
		t.Errorf("errors = %q", errs)
	}
	for _, name := range s.Routes() {
		if s.names[name] == nil {
			t.Errorf("route %q is not known", name)
		}
	}
}
