package gitlab

import (
	"context"
	"slices"
	"testing"
)

func TestPipelines(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.app.CreatePipeline(ctx, testRepo, "v1.2.0", map[string]string{"ENVIRONMENT": "staging", "SHIPGATE_ID": "d-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.fake.PipelinesCreated(), []string{testRepo + "@v1.2.0:ENVIRONMENT=staging,SHIPGATE_ID=d-1"}; !slices.Equal(got, want) {
		t.Errorf("PipelinesCreated = %q, want %q", got, want)
	}
	if done, _ := p.Done(); done {
		t.Errorf("a new pipeline is done: %+v", p)
	}
	h.fake.Do(func() { h.project.Pipelines[0].Status = "success" })
	got, err := h.app.GetPipeline(ctx, testRepo, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done, passed := got.Done(); !done || !passed || got.WebURL == "" {
		t.Errorf("pipeline %+v", got)
	}
}
