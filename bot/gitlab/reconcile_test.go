package gitlab

import (
	"context"
	"testing"

	"github.com/shipgate/shipgate/internal/fakegitlab"
)

// An MR whose every webhook was missed is found by listing the project's
// open MRs, judged, and not queued again while its status is fresh; a
// stale one the store knows is queued by Reconcile.
func TestReconcileFindsMergeRequestsWhoseHooksWereMissed(t *testing.T) {
	h := openedGiftCards(t)
	h.drain()
	ctx := context.Background()
	h.fake.Do(func() {
		h.project.MRs[2] = &fakegitlab.MR{IID: 2, Title: "Add vouchers", Author: h.user("dave"), SourceBranch: "vouchers", TargetBranch: "main",
			SHA: shaInit, State: "opened", CreatedAt: h.clock.Now()}
	})
	if n, err := h.app.ReconcileRepo(ctx, testProjectID, testRepo, 10); err != nil || n != 1 {
		t.Fatalf("ReconcileRepo queued %d (%v), want the unseen MR", n, err)
	}
	h.drain()
	if st := h.lastStatus(shaInit, "shipgate: main"); st.State != "failed" {
		t.Errorf("the unseen MR got %+v, want its verdict", st)
	}
	if n, err := h.app.ReconcileRepo(ctx, testProjectID, testRepo, 10); err != nil || n != 0 {
		t.Errorf("ReconcileRepo queued %d (%v) with every status fresh, want none", n, err)
	}
	if n, err := h.app.Reconcile(ctx, 10); err != nil || n != 0 {
		t.Errorf("Reconcile queued %d (%v) with nothing stale, want none", n, err)
	}
}
