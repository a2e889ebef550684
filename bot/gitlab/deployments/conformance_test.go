package deployments_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/internal/fixtures"
)

// TestPipelineHookFixture delivers GitLab's recorded Pipeline Hook: as it
// is (a CI pipeline with no SHIPGATE_ID) it is no deployment's and is
// answered without being stored; with a SHIPGATE_ID that no step has it
// is read again through the API and audited; for a pipeline GitLab does
// not show it changes nothing.
func TestPipelineHookFixture(t *testing.T) {
	body, err := os.ReadFile(fixtures.Glob(t, "gitlab/webhooks/pipeline.json")[0])
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	if code := w.hook("Pipeline Hook", hookSecret, body); code != http.StatusAccepted {
		t.Fatalf("the fixture answered %d", code)
	}
	w.drain()
	if got := w.fake.Requests(); len(got) != 0 {
		t.Fatalf("a pipeline without SHIPGATE_ID made %d API calls", len(got))
	}
	guessed := "sg-00000000000000000000000000000001"
	keyed := bytes.Replace(body, []byte(`"key": "NESTOR_PROD_ENVIRONMENT"`), []byte(`"key": "`+deploy.KeyVariable+`"`), 1)
	keyed = bytes.Replace(keyed, []byte(`"value": "us-west-1"`), []byte(`"value": "`+guessed+`"`), 1)
	w.deliver("Pipeline Hook", keyed) // project 1 is unknown to GitLab: nothing
	if got := w.audit(deploy.AuditRunMismatch); len(got) != 0 {
		t.Fatalf("audit: %q", got)
	}
	other := w.fake.AddProject(&fakegitlab.Project{ID: 1, Path: "gitlab-org/gitlab-test", DefaultBranch: "master"})
	w.fake.Do(func() {
		other.Pipelines = append(other.Pipelines, &fakegitlab.Pipeline{ID: 31, Ref: "master", Status: "success", Source: "merge_request_event",
			User: fakegitlab.User{ID: 42, Username: "user1"}, Variables: map[string]string{deploy.KeyVariable: guessed}})
	})
	w.deliver("Pipeline Hook", keyed)
	if got := w.audit(deploy.AuditRunMismatch); len(got) != 1 || !strings.Contains(got[0], "no deployment step has the shipgate_id "+guessed) ||
		!strings.HasPrefix(got[0], "user1 ") {
		t.Fatalf("audit: %q", got)
	}
}
