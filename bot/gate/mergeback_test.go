package gate

import (
	"context"
	"testing"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// verdictStore answers LatestVerdict with a stored text.
type verdictStore struct {
	MergeBackStore
	raw []byte
	err error
}

func (v verdictStore) LatestVerdict(context.Context, policies.Host, string, int) ([]byte, error) {
	return v.raw, v.err
}

// namedRepo is a Repo that only has a name.
type namedRepo struct{ Repo }

func (namedRepo) Name() string { return "acme/widgets" }

// TestAnUnreadableVerdictIsTakenForAHotfix: when the merged change's last
// verdict cannot be decoded, whether it was a hotfix is unknown, and the
// gate takes it for one (fail closed: its merge-back holds the main line's
// tags), rather than for none.
func TestAnUnreadableVerdictIsTakenForAHotfix(t *testing.T) {
	w := &work{g: &Gate{host: policies.GitHub}, repo: namedRepo{}, number: 41}
	for _, tt := range []struct {
		name string
		st   verdictStore
		want bool
	}{
		{"unreadable", verdictStore{raw: []byte(`{"results": "not a list"`)}, true},
		{"declared", verdictStore{raw: []byte(`{"results":[{"rule":"hotfix","status":"pass"}]}`)}, true},
		{"not declared", verdictStore{raw: []byte(`{"results":[{"rule":"hotfix","status":"skipped"}]}`)}, false},
		{"never judged", verdictStore{err: store.ErrNotFound}, false},
	} {
		got, err := w.declaredHotfix(context.Background(), tt.st)
		if err != nil || got != tt.want {
			t.Errorf("%s: declaredHotfix = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
