package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/policies"
)

// pipelineHook is a Pipeline Hook payload of pipeline id of the test
// project, with variables.
func (h *harness) pipelineHook(id int64, status string, variables map[string]string) []byte {
	vars := []map[string]string{}
	for k, v := range variables {
		vars = append(vars, map[string]string{"key": k, "value": v})
	}
	return mustJSON(h.t, map[string]any{"object_kind": "pipeline", "project": h.projectJSON(), "user": map[string]any{"username": "dave"},
		"object_attributes": map[string]any{"id": id, "ref": "v1.2.0", "tag": true, "source": "api", "status": status, "variables": vars}})
}

// TestPipelineHooksOfDeploymentsAreQueued: a Pipeline Hook is queued for
// the deployment integration only when its pipeline carries a
// SHIPGATE_ID; any other pipeline is answered and stored nowhere, and a
// hook without the webhook's token is refused.
func TestPipelineHooksOfDeploymentsAreQueued(t *testing.T) {
	h := newHarness(t)
	key := "sg-0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, token string
		vars        map[string]string
		code        int
		queued      bool
	}{
		{"a CI pipeline is no deployment's", testSecret, map[string]string{"DEPLOY_ENV": "x"}, http.StatusAccepted, false},
		{"a pipeline with a SHIPGATE_ID is queued", testSecret, map[string]string{deploy.KeyVariable: key, "TARGET": "staging"}, http.StatusAccepted, true},
		{"a hook without the token is refused", "", map[string]string{deploy.KeyVariable: key}, http.StatusUnauthorized, false},
		{"a hook with a wrong token is refused", "not-the-secret", map[string]string{deploy.KeyVariable: key}, http.StatusUnauthorized, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.acceptor.calls.Load()
			w := h.post("Pipeline Hook", fmt.Sprint("uuid-pipeline-", i), tc.token, h.pipelineHook(int64(100+i), "success", tc.vars))
			if w.Code != tc.code {
				t.Fatalf("answered %d %s, want %d", w.Code, w.Body, tc.code)
			}
			if queued := h.acceptor.calls.Load() > before; queued != tc.queued {
				t.Fatalf("queued %v, want %v", queued, tc.queued)
			}
			if !tc.queued {
				return
			}
			batches, err := h.store.Claim(context.Background(), "test", time.Minute, 8)
			if err != nil || len(batches) != 1 || batches[0].Jobs[0].Kind != KindPipeline {
				t.Fatalf("batches %+v, %v", batches, err)
			}
			var got PipelineHook
			if err := json.Unmarshal(batches[0].Jobs[0].Payload, &got); err != nil {
				t.Fatal(err)
			}
			if got.Repo != testRepo || got.Pipeline != int64(100+i) || !slices.Equal(got.Keys, []string{key}) || got.Action != "success" ||
				batches[0].Key != fmt.Sprintf("gitlab:%s:pipeline:%d", testRepo, 100+i) {
				t.Fatalf("job %s: %+v", batches[0].Key, got)
			}
		})
	}
}

// releases records the releases the adapter asks the orchestrator for.
type releases struct {
	mu   sync.Mutex
	seen []string
}

// Command is no deployment command's: these tests give none.
func (r *releases) Command(context.Context, deploy.CommandRequest) (bool, string, error) {
	return false, "", errors.New("no deployment command in this test")
}

func (r *releases) Release(_ context.Context, host policies.Host, repo, version, sha string, actor deploy.Actor) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, fmt.Sprintf("%s:%s@%s:%.7s by %s", host, repo, version, sha, actor))
	return nil
}

// TestAValidatedTagStartsItsReleasesDeployments: a Maintainer's valid tag
// starts its release's deployments, started by the pusher; an invalid tag
// and a Developer's valid one start none.
func TestAValidatedTagStartsItsReleasesDeployments(t *testing.T) {
	h := newHarness(t)
	rec := &releases{}
	h.setDeployer(rec)
	h.people()
	h.setPolicy(tagPolicy)
	sha := strings.Repeat("c", 40)
	h.fake.Do(func() {
		h.project.History = []fakegitlab.Commit{{SHA: sha, Message: "feat: gift cards", AuthorName: "dave", At: h.clock.Now()}}
		h.project.Branches["main"] = sha
	})
	h.tagPush("nightly", sha, "bob") // not a version
	h.tagPush("v0.2.0", sha, "dave") // valid; dave may not release
	h.drain()
	h.fake.Do(func() { delete(h.project.Tags, "v0.2.0") })
	h.tagPush("v0.2.0", sha, "bob")
	h.drain()
	if want := []string{"gitlab:" + testRepo + "@v0.2.0:ccccccc by bob"}; !slices.Equal(rec.seen, want) {
		t.Fatalf("releases started: %q, want %q", rec.seen, want)
	}
}

// TestATagPushHookCannotNameAnotherPusher: the webhook token is the same
// for every project's webhook, so a Tag Push Hook's user is a claim. A
// hook naming bob for the tag dave pushed is judged as dave's (no
// release); one for a push GitLab shows no event of releases nothing; the
// audit names who GitLab says pushed.
func TestATagPushHookCannotNameAnotherPusher(t *testing.T) {
	h := newHarness(t)
	rec := &releases{}
	h.setDeployer(rec)
	h.people()
	h.setPolicy(tagPolicy)
	sha := strings.Repeat("c", 40)
	h.fake.Do(func() {
		h.project.History = []fakegitlab.Commit{{SHA: sha, Message: "feat: gift cards", AuthorName: "dave", At: h.clock.Now()}}
		h.project.Branches["main"] = sha
	})
	h.fake.PushTag(h.project, "v0.2.0", sha, "dave")
	h.forgedTagPush("v0.2.0", sha, "bob")
	h.drain()
	if st := h.lastStatus(sha, TagStatusName); st.State != "failed" || !strings.Contains(st.Description, "pushed by dave") {
		t.Fatalf("status %q %q, want dave's tag refused", st.State, st.Description)
	}
	h.fake.Do(func() { h.project.Tags["v0.3.0"] = sha }) // no push event: made some other way, or never
	h.forgedTagPush("v0.3.0", sha, "bob")
	h.drain()
	if st := h.lastStatus(sha, TagStatusName); st.State != "failed" || !strings.Contains(st.Description, "cannot be confirmed") {
		t.Fatalf("status %q %q, want an unconfirmed push refused", st.State, st.Description)
	}
	if len(rec.seen) != 0 || len(h.fake.ReleasesCreated()) != 0 {
		t.Fatalf("releases %q, deployments %q", h.fake.ReleasesCreated(), rec.seen)
	}
	var audit []string
	if err := h.store.ExportAudit(context.Background(), store.AuditFilter{Kinds: []string{"release"}}, func(a store.AuditEvent) error {
		audit = append(audit, a.Actor+" "+a.Subject)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0] != "dave v0.2.0" {
		t.Fatalf("audit: %q", audit)
	}
}
