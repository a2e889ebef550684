package fakegithub

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// TestDispatchedRunsCarryWhatGitHubReports: a dispatch makes a run with
// the workflow's run-name evaluated, the caller as actor, its path, the
// dispatched ref as head branch and the clock's time; list, get and the
// workflow_run payload all show them.
func TestDispatchedRunsCarryWhatGitHubReports(t *testing.T) {
	at := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	s := New(t, WithClock(func() time.Time { return at }), WithBotLogin("deployer[bot]"))
	sha := s.AddCommit(repo, Commit{Message: "release"})
	s.AddTag(repo, "v1.2.0", sha)
	s.SetRunName(repo, "deploy.yml", "Deploy ${{ inputs.environment }} (${{ inputs.shipgate_id }}) by ${{ github.actor }} at ${{ github.ref_name }}")
	s.SetRunName(repo, "plain.yml", "")
	gh := s.Client("")
	for _, wf := range []string{"deploy.yml", "plain.yml", "default.yml"} {
		if _, err := gh.Actions.CreateWorkflowDispatchEventByFileName(ctx(t), "acme", "widgets", wf, github.CreateWorkflowDispatchEventRequest{
			Ref: "refs/tags/v1.2.0", Inputs: map[string]any{"environment": "staging", "shipgate_id": "sg-1"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	runs := s.WorkflowRuns(repo)
	equal(t, "display titles", []string{runs[0].DisplayTitle, runs[1].DisplayTitle, runs[2].DisplayTitle},
		[]string{"Deploy staging (sg-1) by deployer[bot] at v1.2.0", "plain", "default.yml sg-1"})

	req, _ := gh.NewRequest("GET", "repos/acme/widgets/actions/runs/"+itoa(runs[0].ID), nil)
	var raw struct {
		Path       string       `json:"path"`
		Event      string       `json:"event"`
		HeadBranch string       `json:"head_branch"`
		Actor      *github.User `json:"actor"`
		CreatedAt  time.Time    `json:"created_at"`
	}
	if _, err := gh.Do(ctx(t), req, &raw); err != nil {
		t.Fatal(err)
	}
	equal(t, "run facts", []any{raw.Path, raw.Event, raw.HeadBranch, raw.Actor.GetLogin(), raw.CreatedAt},
		[]any{".github/workflows/deploy.yml", "workflow_dispatch", "v1.2.0", "deployer[bot]", at})

	payload := s.Payload(s.WorkflowRunEvent(repo, runs[0].ID, "completed"))
	var ev struct {
		Action string `json:"action"`
		Run    struct {
			Path         string `json:"path"`
			DisplayTitle string `json:"display_title"`
		} `json:"workflow_run"`
		Sender github.User `json:"sender"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	equal(t, "payload", []string{ev.Action, ev.Run.Path, ev.Run.DisplayTitle, ev.Sender.GetLogin()},
		[]string{"completed", ".github/workflows/deploy.yml", runs[0].DisplayTitle, "deployer[bot]"})

	// A run made outside Shipgate keeps what the test gives it.
	id := s.AddWorkflowRun(repo, WorkflowRun{Workflow: "deploy.yml", Event: "push", Actor: "mallory", DisplayTitle: "deploy sg-1"})
	other := got(gh.Actions.GetWorkflowRunByID(ctx(t), "acme", "widgets", id)).must(t)
	equal(t, "spoofed run", []string{other.GetEvent(), other.GetActor().GetLogin(), other.GetDisplayTitle(), other.GetName()},
		[]string{"push", "mallory", "deploy sg-1", "deploy"})
}

// TestUsersAndTheirEmails: GET /user names the caller; a profile shows its
// public e-mail; commits list with their verification.
func TestUsersAndTheirEmails(t *testing.T) {
	s := New(t)
	s.SetUserEmail("dave", "dave@example.com")
	s.AddCommit(repo, Commit{Message: "signed", Author: "dave", AuthorEmail: "dave@work.example", Verified: true, Date: DefaultTime()})
	s.AddCommit(repo, Commit{Message: "unsigned", Author: "dave", AuthorEmail: "someone@else.example", Date: DefaultTime().Add(-time.Hour)})
	s.AddCommit(repo, Commit{Message: "other", Author: "erin"})
	gh := s.Client("")
	me := got(gh.Users.Get(ctx(t), "")).must(t)
	equal(t, "authenticated user", me.GetLogin(), "shipgate[bot]")
	dave := got(gh.Users.Get(ctx(t), "dave")).must(t)
	equal(t, "public e-mail", dave.GetEmail(), "dave@example.com")
	erin := got(gh.Users.Get(ctx(t), "erin")).must(t)
	equal(t, "no public e-mail", erin.Email == nil, true)
	commits := got(gh.Repositories.ListCommits(ctx(t), "acme", "widgets", &github.CommitsListOptions{Author: "dave"})).must(t)
	if len(commits) != 2 {
		t.Fatalf("dave's commits: %d", len(commits))
	}
	equal(t, "newest first, with verification", []any{commits[0].GetCommit().GetAuthor().GetEmail(), commits[0].GetCommit().GetVerification().GetVerified(),
		commits[1].GetCommit().GetVerification().GetVerified()}, []any{"dave@work.example", true, false})
}
