package gitlab

import (
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/internal/fakegitlab"
	"github.com/shipgate/shipgate/policies"
)

// basePush is the Push Hook of a commit to the default branch of the
// project at path (id) that modifies files.
func basePush(id int64, path string, files ...string) map[string]any {
	return map[string]any{"object_kind": "push", "event_name": "push", "ref": "refs/heads/main",
		"before": strings.Repeat("1", 40), "after": strings.Repeat("3", 40), "user_username": "bob",
		"project_id": id, "project": map[string]any{"id": id, "path_with_namespace": path, "default_branch": "main"},
		"total_commits_count": 1, "commits": []map[string]any{{"id": strings.Repeat("3", 40), "message": "x", "modified": files}}}
}

func TestABasePolicyInAnotherProjectAndItsChange(t *testing.T) {
	h := newHarness(t)
	h.people()
	base := h.fake.AddProject(&fakegitlab.Project{ID: 43, Path: "acme/policies", DefaultBranch: "main"})
	h.fake.Do(func() { base.Files["main"] = map[string]string{"base.yml": glPolicy} })
	h.setPolicy("version: 1\nextends: acme/policies:base.yml\n")
	h.open(1, "Add gift cards", "dave", "", shaA)
	h.drain()
	h.wantStatus(shaA, "failed")

	h.fake.Do(func() { base.Files["main"] = map[string]string{"base.yml": "version: 1\n"} })
	h.deliver("Push Hook", basePush(43, "acme/policies", "base.yml"))
	h.drain()
	h.wantStatus(shaA, "success")
}

// withDefaultPolicy is a harness whose app names acme/policies:default.yml
// as the default policy (SHIPGATE_DEFAULT_POLICY).
func withDefaultPolicy(t *testing.T) *harness {
	h := newHarness(t)
	h.people()
	var err error
	h.app, err = New(Config{URL: h.fake.URL, Token: testToken, WebhookSecret: testSecret, Now: h.clock.Now, Tries: 1,
		Logger: zerolog.Nop(), Store: h.store, Acceptor: h.acceptor, DefaultPolicy: policies.Source{Repo: "acme/policies", Path: "default.yml"}})
	if err != nil {
		t.Fatal(err)
	}
	h.setDeployer(nil)
	return h
}

func TestTheDefaultPolicyOfAProjectWithoutOne(t *testing.T) {
	h := withDefaultPolicy(t)
	h.fake.Do(func() { h.project.Files["main"] = map[string]string{} })
	h.open(1, "Add gift cards", "dave", "", shaA)
	h.drain()
	h.wantStatus(shaA, "failed", "acme/policies:default.yml")

	base := h.fake.AddProject(&fakegitlab.Project{ID: 43, Path: "acme/policies", DefaultBranch: "main"})
	h.fake.Do(func() { base.Files["main"] = map[string]string{"default.yml": glPolicy} })
	h.deliver("Push Hook", basePush(43, "acme/policies", "default.yml"))
	h.drain()
	h.wantStatus(shaA, "failed", "change")
}

// Attack: a project adds a policy of its own that extends nothing, so
// that the locked default (SHIPGATE_DEFAULT_POLICY) would not bind it.
func TestAttackAProjectPolicyThatExtendsNothingDoesNotEscapeTheDefaultsLocks(t *testing.T) {
	h := withDefaultPolicy(t)
	base := h.fake.AddProject(&fakegitlab.Project{ID: 43, Path: "acme/policies", DefaultBranch: "main"})
	h.fake.Do(func() {
		base.Files["main"] = map[string]string{"default.yml": "version: 1\nlocked: [change_record]\n" + strings.TrimPrefix(glPolicy, "version: 1\n")}
	})
	h.setPolicy("version: 1\n")
	h.open(1, "Add gift cards", "dave", "", shaA)
	h.drain()
	h.wantStatus(shaA, "failed", "policy")
	if notes := h.sticky(1); len(notes) == 0 || !strings.Contains(notes[len(notes)-1], "acme/policies:default.yml locks rules that bind every repository's policy") {
		t.Fatalf("the sticky note does not say why: %q", notes)
	}

	h.setPolicy("version: 1\nextends: acme/policies:default.yml\n")
	h.deliver("Push Hook", basePush(43, "acme/policies", "default.yml"))
	h.drain()
	h.wantStatus(shaA, "failed", "change")
}

var _ gate.BaseReader = (*project)(nil)
