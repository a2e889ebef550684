package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/github"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/policies"
)

// recordingDeployer stands in for the orchestrator and records what the
// adapter asks of it, prow-fake style.
type recordingDeployer struct {
	mu       sync.Mutex
	releases []string // "repo@version:sha by login"
	commands []string // "/name args by login (dedupe)"
	// refuse, when set, is the orchestrator's refusal of every command.
	refuse string
}

func (d *recordingDeployer) Release(_ context.Context, host policies.Host, repo, version, sha string, by deploy.Actor) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.releases = append(d.releases, fmt.Sprintf("%s:%s@%s:%s by %s", host, repo, version, sha, by.Login))
	return nil
}

func (d *recordingDeployer) Command(_ context.Context, r deploy.CommandRequest) (bool, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.commands = append(d.commands, fmt.Sprintf("/%s %s by %s (%s)", r.Command.Name, r.Command.Args, r.Actor.Login, r.Dedupe))
	if d.refuse != "" {
		return false, d.refuse, nil
	}
	return true, "deploying v1.2.0 to " + r.Command.Args, nil
}

func TestAValidTagStartsItsReleaseDeployments(t *testing.T) {
	r := newReleaseRig(t)
	d := &recordingDeployer{}
	r.setDeployer(t, d)
	r.tag(t, "latest", "feat-d") // invalid: starts nothing
	r.tag(t, "v1.2.0", "feat-d")
	want := "github:" + testRepo + "@v1.2.0:" + r.sha["feat-d"] + " by alice"
	if len(d.releases) != 1 || d.releases[0] != want {
		t.Errorf("releases started = %q, want only %q", d.releases, want)
	}
}

func TestDeploymentCommandsReachTheOrchestrator(t *testing.T) {
	h := newHarness(t)
	d := &recordingDeployer{}
	h.setDeployer(d)
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\n")
	h.fake.SetPermission(testRepo, "mia", "maintain")
	h.fake.SetPermission(testRepo, "walt", "write")
	h.open(fakegithub.PR{Number: 3, Title: "feat: x", Author: "alice"}, "")
	h.drain()
	h.comment(3, "walt", "/deploy staging")
	h.comment(3, "mia", "/deploy staging")
	h.drain()
	if len(d.commands) != 1 || !strings.HasPrefix(d.commands[0], "/deploy staging by mia (") {
		t.Fatalf("commands = %q, want mia's /deploy only (walt lacks maintain)", d.commands)
	}
	replies := strings.Join(h.replies(3), "\n---\n")
	for _, want := range []string{"/deploy needs maintain access to the repository; @walt has write", "@mia:\n\n- `/deploy staging`: deploying v1.2.0 to staging"} {
		if !strings.Contains(replies, want) {
			t.Errorf("replies lack %q:\n%s", want, replies)
		}
	}
	// Another event on the PR asks nothing twice.
	n := len(d.commands)
	h.prEvent(3, "edited", "alice")
	h.drain()
	if len(d.commands) != n {
		t.Errorf("a drain repeated a command: %q", d.commands)
	}
}

func TestWorkflowRunsAndProtectionRulesAreQueuedForTheOrchestrator(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		event, action string
		queued        bool
	}{
		{"workflow_run", "completed", true},
		{"workflow_run", "requested", false},
		{"deployment_protection_rule", "requested", true},
	} {
		body := []byte(fmt.Sprintf(`{"action":%q,"repository":{"full_name":%q},"sender":{"login":"bob"}}`, tt.action, testRepo))
		rec := h.post(tt.event, "d-"+tt.event+"-"+tt.action, body, map[string]string{"X-Hub-Signature-256": sign(testSecret, body)})
		if rec.Code != http.StatusAccepted {
			t.Fatalf("%s %s: %d %s", tt.event, tt.action, rec.Code, rec.Body)
		}
		if got := strings.HasPrefix(rec.Body.String(), "queued"); got != tt.queued {
			t.Errorf("%s %s answered %q, want queued %v", tt.event, tt.action, rec.Body, tt.queued)
		}
	}
	st, err := h.store.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Ready != 2 {
		t.Errorf("ready jobs = %d, want the 2 deploy hooks", st.Ready)
	}
}

// TestARefusedDeploymentCommandGetsTheReasonAndNoThumbsUp: the orchestrator
// judges /approve-deploy before the comment is answered; a refusal is the
// reply, without the 👍 of an accepted command.
func TestARefusedDeploymentCommandGetsTheReasonAndNoThumbsUp(t *testing.T) {
	h := newHarness(t)
	d := &recordingDeployer{refuse: "mallory is not an approver of this gate; approvers: alice"}
	h.setDeployer(d)
	h.fake.SetFile(testRepo, "main", github.PolicyFile, "version: 1\n")
	h.fake.SetPermission(testRepo, "mallory", "write")
	h.open(fakegithub.PR{Number: 3, Title: "feat: x", Author: "alice"}, "")
	h.drain()
	h.comment(3, "mallory", "/approve-deploy production")
	h.drain()
	if len(d.commands) != 1 {
		t.Fatalf("commands = %q", d.commands)
	}
	if r := h.fake.Reactions(); len(r) != 0 {
		t.Errorf("reactions = %q, want none", r)
	}
	replies := strings.Join(h.replies(3), "\n---\n")
	if !strings.Contains(replies, "- `/approve-deploy production`: mallory is not an approver of this gate; approvers: alice.") || strings.Contains(replies, "recorded") {
		t.Errorf("replies:\n%s", replies)
	}
}
