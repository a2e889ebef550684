package gate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// fanoutHost opens the repositories of open, and fails for the others as
// a host does for a repository it no longer reaches.
type fanoutHost struct {
	Host
	open map[string][]Snapshot
}

func (h *fanoutHost) Name() policies.Host { return policies.GitHub }

func (h *fanoutHost) Repo(_ context.Context, repo string, _ int64) (Repo, error) {
	changes, ok := h.open[repo]
	if !ok {
		return nil, errors.New("the installation does not cover " + repo)
	}
	return &fanoutRepo{name: repo, open: changes}, nil
}

type fanoutRepo struct {
	Repo
	name string
	open []Snapshot
}

func (r *fanoutRepo) Name() string { return r.name }

func (r *fanoutRepo) OpenChanges(_ context.Context, base string) ([]Snapshot, error) {
	if base != "" {
		return nil, errors.New("want every base, got " + base)
	}
	return r.open, nil
}

// fanoutStore answers PolicyUsers with users, checking what it is asked.
type fanoutStore struct {
	t     *testing.T
	users []string
}

func (s *fanoutStore) AddPolicyBases(context.Context, policies.Host, string, []policies.Source) error {
	return nil
}

func (s *fanoutStore) PolicyUsers(_ context.Context, host policies.Host, baseRepo, branch string, isDefault bool, paths []string) ([]string, error) {
	if host != policies.GitHub || baseRepo != "acme/.github" || branch != "main" || !isDefault || !slices.Equal(paths, []string{"shipgate.yml"}) {
		s.t.Errorf("PolicyUsers(%s, %s, %s, %v, %q)", host, baseRepo, branch, isDefault, paths)
	}
	return s.users, nil
}

// fanoutQueue records the deliveries accepted, refusing a second one.
type fanoutQueue struct {
	deliveries map[string][]store.Job
}

func (q *fanoutQueue) Accept(_ context.Context, d store.Delivery, jobs ...store.Job) (bool, error) {
	if _, dup := q.deliveries[d.ID]; dup {
		return true, nil
	}
	q.deliveries[d.ID] = jobs
	return false, nil
}

// A repository the host cannot open does not keep the repositories after
// it from being re-evaluated when their base policy changes: otherwise
// their open changes keep the verdict of the old base, retry after retry.
// The error names the repository, and a retry queues nothing twice.
func TestFanOutBaseQueuesEveryReadableRepositoryPastOneThatFails(t *testing.T) {
	ctx := context.Background()
	host := &fanoutHost{open: map[string][]Snapshot{
		"acme/api": {{Number: 1, HeadSHA: "a1"}},
		"acme/web": {{Number: 7, HeadSHA: "b7"}, {Number: 8, HeadSHA: "b8"}},
	}}
	st := &fanoutStore{t: t, users: []string{"acme/api", "acme/gone", "acme/web"}}
	q := &fanoutQueue{deliveries: map[string][]store.Job{}}
	push := BasePush{Repo: "acme/.github", Branch: "main", IsDefault: true, Paths: []string{"shipgate.yml"}, DeliveryID: "d1", Sender: "mona"}
	now := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)

	n, err := FanOutBase(ctx, host, st, q, push, now)
	if err == nil || !strings.Contains(err.Error(), "acme/gone") || !strings.Contains(err.Error(), "installation does not cover") {
		t.Fatalf("FanOutBase error = %v, want one naming acme/gone", err)
	}
	if n != 3 {
		t.Errorf("queued %d, want 3 (acme/api's and acme/web's changes)", n)
	}
	for id, want := range map[string][]string{"base:d1:acme/api": {"acme/api"}, "base:d1:acme/web": {"acme/web", "acme/web"}} {
		jobs, ok := q.deliveries[id]
		if !ok || len(jobs) != len(want) {
			t.Errorf("delivery %s: jobs %+v, want %d", id, jobs, len(want))
			continue
		}
		for _, j := range jobs {
			e, _, err := decode(j.Payload)
			if err != nil || e.Repo != want[0] || e.Action != "policy_changed" || e.Sender != "mona" {
				t.Errorf("delivery %s: job %+v, %v", id, e, err)
			}
		}
	}

	// The retry (the failing repository still failing) queues nothing twice.
	if n, err := FanOutBase(ctx, host, st, q, push, now); err == nil || n != 0 {
		t.Errorf("retry: queued %d, error %v; want 0 and acme/gone's error", n, err)
	}
	if len(q.deliveries) != 2 {
		t.Errorf("deliveries = %d, want 2", len(q.deliveries))
	}
}
