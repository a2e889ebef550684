package gitlab

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/shipgate/shipgate/bot/gate"
)

// A release branch someone with write access created ahead, at a commit
// of their own, is neither moved nor taken for the train's cut.
func TestCreateBranchLeavesABranchCreatedAheadElsewhereAlone(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	head, planted := "1111111111111111111111111111111111111111", "6666666666666666666666666666666666666666"
	h.project.Branches = map[string]string{"main": head, "release/1.5.0": planted}
	repo, err := h.app.Repo(ctx, testRepo, testProjectID)
	if err != nil {
		t.Fatal(err)
	}
	bc, ok := repo.(gate.BranchCutter)
	if !ok {
		t.Fatal("the GitLab repo cannot cut branches")
	}
	if err := bc.CreateBranch(ctx, "release/1.5.0", head); !errors.Is(err, gate.ErrBranchExists) {
		t.Errorf("a branch planted at another commit: err = %v, want ErrBranchExists", err)
	}
	if got := h.project.Branches["release/1.5.0"]; got != planted {
		t.Errorf("the planted branch moved to %s", got)
	}
	if err := bc.CreateBranch(ctx, "release/1.6.0", head); err != nil {
		t.Fatal(err)
	}
	// A retried cut finds its own branch: no error, nothing created twice.
	if err := bc.CreateBranch(ctx, "release/1.6.0", head); err != nil {
		t.Errorf("a retried cut: %v", err)
	}
	if want := []string{"release/1.6.0@" + head}; !slices.Equal(h.project.BranchesCreated, want) {
		t.Errorf("branches created: %v, want %v", h.project.BranchesCreated, want)
	}
}
