package fakegithub

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-github/v62/github"
)

// delivery is what a receiving server saw.
type delivery struct {
	event, id, sig256, sig1 string
	body                    []byte
}

func receiver(t *testing.T) (*httptest.Server, <-chan delivery) {
	got := make(chan delivery, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery"),
			r.Header.Get("X-Hub-Signature-256"), r.Header.Get("X-Hub-Signature"), body}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestSignedWebhook(t *testing.T) {
	for _, tc := range []struct {
		name           string
		opts           []WebhookOption
		want256, want1 bool
	}{
		{"SHA-256 only by default", nil, true, false},
		{"both signatures, as GitHub sends", []WebhookOption{WithSHA1Signature()}, true, true},
		{"SHA-1 only, which Shipgate must refuse", []WebhookOption{WithOnlySHA1Signature()}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := receiver(t)
			payload := []byte(`{"zen":"Keep it logically awesome."}`)
			resp, err := SignedWebhook(srv.URL, "ping", "d-1", payload, "secret", tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			equal(t, "status", resp.StatusCode, http.StatusAccepted)
			d := <-got
			equal(t, "event and delivery", []string{d.event, d.id}, []string{"ping", "d-1"})
			equal(t, "signatures present", []bool{d.sig256 != "", d.sig1 != ""}, []bool{tc.want256, tc.want1})
			if d.sig256 != "" {
				if err := github.ValidateSignature(d.sig256, d.body, []byte("secret")); err != nil {
					t.Errorf("SHA-256 signature: %v", err)
				}
			}
			if d.sig1 != "" {
				if err := github.ValidateSignature(d.sig1, d.body, []byte("secret")); err != nil {
					t.Errorf("SHA-1 signature: %v", err)
				}
			}
		})
	}
}

func TestPayloadBuildersParseAsGitHubEvents(t *testing.T) {
	s := New(t, WithApp(App{ID: 42}))
	s.AddRepo(Repo{FullName: repo, InstallationID: 9})
	base := s.AddCommit(repo, Commit{Message: "base"})
	s.SetBranch(repo, "main", base)
	s.AddPR(repo, PR{Number: 42, Title: "feat: x", Author: "alice", Labels: []string{"semver:minor"}})
	s.SetPRCommits(repo, 42, []Commit{{Message: "feat: x"}})
	comment := s.AddComment(repo, 42, Comment{Author: "bob", Body: "/approve"})
	review := s.AddReview(repo, 42, Review{Author: "carol", State: "APPROVED"})
	tagged := s.AddCommit(repo, Commit{Message: "release", Parents: []string{base}})
	run := s.AddWorkflowRun(repo, WorkflowRun{Workflow: "deploy.yml", Event: "workflow_dispatch"})

	parse := func(event string, v any) any {
		t.Helper()
		ev, err := github.ParseWebHook(event, s.Payload(v))
		if err != nil {
			t.Fatalf("%s: %v", event, err)
		}
		return ev
	}

	pr := parse("pull_request", s.PullRequestEvent(repo, 42, "opened", "alice")).(*github.PullRequestEvent)
	equal(t, "pull_request", []any{pr.GetAction(), pr.GetPullRequest().GetTitle(), pr.GetRepo().GetFullName(), pr.GetInstallation().GetID()},
		[]any{"opened", "feat: x", repo, 9})

	ic := parse("issue_comment", s.IssueCommentEvent(repo, comment, "created")).(*github.IssueCommentEvent)
	equal(t, "issue_comment", []any{ic.GetComment().GetBody(), ic.GetSender().GetLogin(), ic.GetIssue().GetNumber(), ic.GetIssue().IsPullRequest()},
		[]any{"/approve", "bob", 42, true})

	rv := parse("pull_request_review", s.PullRequestReviewEvent(repo, 42, review, "submitted")).(*github.PullRequestReviewEvent)
	equal(t, "pull_request_review", []any{rv.GetReview().GetState(), rv.GetSender().GetLogin(), rv.GetPullRequest().GetNumber()},
		[]any{"APPROVED", "carol", 42})

	push := parse("push", s.PushEvent(repo, "refs/tags/v1.2.0", "", tagged, "alice")).(*github.PushEvent)
	equal(t, "push", []any{push.GetRef(), push.GetCreated(), push.GetAfter(), len(push.Commits), push.GetHeadCommit().GetMessage()},
		[]any{"refs/tags/v1.2.0", true, tagged, 1, "release"})

	create := parse("create", s.CreateEvent(repo, "tag", "v1.2.0", "alice")).(*github.CreateEvent)
	equal(t, "create", []string{create.GetRefType(), create.GetRef()}, []string{"tag", "v1.2.0"})

	dpr := parse("deployment_protection_rule", s.DeploymentProtectionRuleEvent(repo, run, "production", "alice")).(*github.DeploymentProtectionRuleEvent)
	equal(t, "callback", dpr.GetDeploymentCallbackURL(), s.URL()+"repos/acme/widgets/actions/runs/"+itoa(run)+"/deployment_protection_rule")
}
