package store

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchBackends are SQLite, and PostgreSQL when SHIPGATE_TEST_DATABASE_URL
// is set.
func benchBackends(b *testing.B) []backend {
	bs := []backend{sqliteBackend}
	if os.Getenv(testDatabaseURLEnv) != "" {
		bs = append(bs, postgresBackend(b))
	}
	return bs
}

// webhookPayload is about the size of a GitHub pull_request delivery.
var webhookPayload = []byte(`{"action":"synchronize","pad":"` + strings.Repeat("x", 12<<10) + `"}`)

func benchDelivery(n int64) (Delivery, Job) {
	id := fmt.Sprintf("bench-%d", n)
	return Delivery{Host: "github", ID: id, Event: "pull_request", Action: "synchronize", Payload: webhookPayload},
		Job{Kind: "evaluate", Key: fmt.Sprintf("github:acme/widgets#%d", n%500), Payload: []byte(id)}
}

func reportRate(b *testing.B, s *Store) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	if n := s.acceptBatches.Load(); n > 0 {
		b.ReportMetric(float64(s.acceptRequests.Load())/float64(n), "deliveries/commit")
	}
}

// BenchmarkAccept measures acknowledged deliveries: one caller at a time
// (serial) and many concurrent webhook handlers (parallel, 32 goroutines
// per CPU), where group commit shares each commit and its fsync.
func BenchmarkAccept(b *testing.B) {
	for _, be := range benchBackends(b) {
		b.Run(be.name+"/serial", func(b *testing.B) {
			s := openStore(b, be.newURL(b), nil)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d, j := benchDelivery(int64(i))
				if _, err := s.Accept(ctx, d, j); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, s)
		})
		b.Run(be.name+"/parallel", func(b *testing.B) {
			s := openStore(b, be.newURL(b), nil)
			var n atomic.Int64
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					d, j := benchDelivery(n.Add(1))
					if _, err := s.Accept(ctx, d, j); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRate(b, s)
		})
	}
}

// BenchmarkAcceptLatency offers deliveries at a fixed rate, open loop
// (arrivals do not wait for earlier acks), and reports the ack latency
// percentiles. Use -benchtime=10000x for 10 s at 1,000/s.
func BenchmarkAcceptLatency(b *testing.B) {
	for _, be := range benchBackends(b) {
		for _, rate := range []int{500, 1000} {
			b.Run(fmt.Sprintf("%s/rate=%d", be.name, rate), func(b *testing.B) {
				s := openStore(b, be.newURL(b), nil)
				interval := time.Second / time.Duration(rate)
				lat := make([]time.Duration, b.N)
				var wg sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
					wg.Add(1)
					go func() {
						defer wg.Done()
						d, j := benchDelivery(int64(i))
						t0 := time.Now()
						if _, err := s.Accept(ctx, d, j); err != nil {
							b.Error(err)
						}
						lat[i] = time.Since(t0)
					}()
				}
				wg.Wait()
				b.StopTimer()
				slices.Sort(lat)
				pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
				b.ReportMetric(pct(0.50), "p50-ms")
				b.ReportMetric(pct(0.99), "p99-ms")
				b.ReportMetric(pct(1), "max-ms")
			})
		}
	}
}

// BenchmarkClaimComplete measures the worker side: claim maxKeys keys of
// one job each and complete them. ns/op is per job.
func BenchmarkClaimComplete(b *testing.B) {
	for _, be := range benchBackends(b) {
		for _, maxKeys := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/maxKeys=%d", be.name, maxKeys), func(b *testing.B) {
				s := openStore(b, be.newURL(b), nil)
				fill(b, s, b.N)
				b.ResetTimer()
				done := 0
				for done < b.N {
					batches, err := s.Claim(ctx, "bench", time.Minute, maxKeys)
					if err != nil {
						b.Fatal(err)
					}
					if len(batches) == 0 {
						b.Fatalf("queue empty after %d of %d jobs", done, b.N)
					}
					if err := completeAll(ctx, s, batches); err != nil {
						b.Fatal(err)
					}
					done += len(ids(batches...))
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
			})
		}
	}
}

// fill queues n jobs on n distinct keys, concurrently so group commit
// keeps it quick.
func fill(b *testing.B, s *Store, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				d := Delivery{Host: "github", ID: fmt.Sprint(i), Event: "push"}
				if _, err := s.Accept(ctx, d, Job{Kind: "evaluate", Key: fmt.Sprintf("key-%d", i)}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkExportAudit streams 5,000 audit events per op; B/op divided by
// the rows shows the per-row cost, and the pages keep the peak constant.
func BenchmarkExportAudit(b *testing.B) {
	for _, be := range benchBackends(b) {
		b.Run(be.name, func(b *testing.B) {
			s := openStore(b, be.newURL(b), nil)
			const rows = 5000
			tx, err := s.w.Begin()
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < rows; i++ {
				if _, err := tx.Exec(`INSERT INTO audit_events (at, host, repo, number, kind, actor, subject, outcome, detail, delivery_id)
VALUES ($1, 'github', 'acme/widgets', $2, 'evaluation', 'shipgate', 'abc', 'success', $3, 'd')`, int64(i), i, []byte(`{"rules":[]}`)); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n := 0
				if err := s.ExportAudit(ctx, AuditFilter{}, func(AuditEvent) error { n++; return nil }); err != nil || n != rows {
					b.Fatalf("exported %d rows, %v", n, err)
				}
			}
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
