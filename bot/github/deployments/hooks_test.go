package deployments

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegithub"
)

type brokenOrchestrator struct{}

func (brokenOrchestrator) WorkflowRunUpdated(context.Context, string, string, deploy.WorkflowRun) error {
	return nil
}

func (brokenOrchestrator) Start(context.Context, deploy.StartRequest) (string, bool, error) {
	return "", false, errors.New("the policy on main is invalid")
}

type recordedReviews struct{ reviews []string }

func (r *recordedReviews) ReviewProtectionRule(_ context.Context, repo string, runID int64, env, state, comment string) error {
	r.reviews = append(r.reviews, repo+"/"+env+":"+state+": "+comment)
	return nil
}

// TestAProtectionRuleIsAlwaysAnswered: when the orchestrator cannot check
// a waiting run, the job retries, and its last try rejects the run with the
// reason rather than leaving it waiting for GitHub's 30 days.
func TestAProtectionRuleIsAlwaysAnswered(t *testing.T) {
	fake := fakegithub.New(t)
	fake.AddRepo(fakegithub.Repo{FullName: testRepo})
	job, ok := DeployHookJob("deployment_protection_rule", "requested", "d1",
		fake.Payload(fake.DeploymentProtectionRuleEvent(testRepo, 77, "production", "alice")))
	if !ok {
		t.Fatal("no job for a deployment_protection_rule delivery")
	}
	job.MaxAttempts = 3
	rec := &recordedReviews{}
	h := DeployHooks{Orchestrator: brokenOrchestrator{}, Protection: rec}

	job.Attempts = 1 // a try that will be retried
	if err := h.Process(context.Background(), store.Batch{Jobs: []store.Job{job}}); err == nil || len(rec.reviews) != 0 {
		t.Fatalf("a try with tries left: err %v, reviews %q; want the error and no answer yet", err, rec.reviews)
	}
	job.Attempts = 2 // the last try
	if err := h.Process(context.Background(), store.Batch{Jobs: []store.Job{job}}); err != nil {
		t.Fatalf("the last try: %v", err)
	}
	if len(rec.reviews) != 1 || !strings.HasPrefix(rec.reviews[0], testRepo+"/production:rejected: Shipgate could not check this deployment (the policy on main is invalid)") {
		t.Errorf("reviews = %q", rec.reviews)
	}
}
