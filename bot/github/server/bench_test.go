package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/bot/store"
)

// nopAcceptor accepts everything at once, so that the benchmark measures
// the receiver alone.
type nopAcceptor struct{}

func (nopAcceptor) Accept(context.Context, store.Delivery, ...store.Job) (bool, error) {
	return false, nil
}

// BenchmarkReceiver measures verifying, translating and answering one
// pull_request delivery (the store's Accept left out).
func BenchmarkReceiver(b *testing.B) {
	body, err := os.ReadFile("../../../shared/fixtures/github/webhooks/pull_request.synchronize.22.json")
	if err != nil {
		b.Skip("fixtures not found:", err)
	}
	app, err := github.New(github.Config{Token: "t", Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	a, err := New(Config{App: app, WebhookSecret: testSecret, Store: nopStore{}, Acceptor: nopAcceptor{}, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	sig := sign(testSecret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, Route, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", "d")
		req.Header.Set("X-Hub-Signature-256", sig)
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("answered %d %s", rec.Code, rec.Body)
		}
	}
}

// nopStore is a Store the receiver never reads.
type nopStore struct{ Store }
