package store

import (
	"context"
	"errors"
	"testing"
)

// testDeployments runs in the store suite, on SQLite and PostgreSQL.
func testDeployments(t *testing.T, x *suite) {
	ctx := context.Background()
	s := x.s
	d := Deployment{ID: "github:acme/widgets:staging:v1.2.0", Host: "github", Repo: "acme/widgets", Environment: "staging", Version: "v1.2.0", State: "running", Data: []byte(`{}`)}
	for i, want := range []bool{true, false} {
		if created, err := s.CreateDeployment(ctx, d); err != nil || created != want {
			t.Fatalf("CreateDeployment #%d = %v, %v; want %v", i+1, created, err, want)
		}
	}
	got, err := s.GetDeployment(ctx, d.ID)
	if err != nil || got.Revision != 1 {
		t.Fatalf("GetDeployment = %+v, %v", got, err)
	}
	got.State = "succeeded"
	if rev, err := s.UpdateDeployment(ctx, got); err != nil || rev != 2 {
		t.Fatalf("UpdateDeployment = %d, %v", rev, err)
	}
	if _, err := s.UpdateDeployment(ctx, got); !errors.Is(err, ErrStale) {
		t.Fatalf("a second update from revision 1: %v, want ErrStale", err)
	}
	if l, err := s.LatestDeployment(ctx, "github", "acme/widgets", "staging", "succeeded"); err != nil || l.Version != "v1.2.0" {
		t.Fatalf("LatestDeployment = %+v, %v", l, err)
	}
	if _, err := s.LatestDeployment(ctx, "github", "acme/widgets", "production"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestDeployment of production: %v, want ErrNotFound", err)
	}
	for i, want := range []bool{true, false} {
		if first, err := s.ClaimStepKey(ctx, "k1", d.ID); err != nil || first != want {
			t.Fatalf("ClaimStepKey #%d = %v, %v", i+1, first, err)
		}
	}
}
