package deploy_test

// The deployment attacks Shipgate defends against, each a test named for
// the attack, against the fake GitHub and the fake Slack (DESIGN: "every
// gate has its attack written as a test").

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// runNames are run-names of the shapes workflows use; the README shows
// the same.
var runNames = []string{
	"deploy ${{ inputs.shipgate_id }}",
	"Deploy ${{ inputs.environment }} (${{ inputs.shipgate_id }})",
	"id=${{ inputs.shipgate_id }}",
	"${{ inputs.shipgate_id }}",
}

// TestRunsAreFollowedThroughWebhooksWhateverTheirRunName: wherever the
// run-name puts the shipgate_id, the run's workflow_run webhooks move the
// step, and the API is never asked about the run.
func TestRunsAreFollowedThroughWebhooksWhateverTheirRunName(t *testing.T) {
	for _, name := range runNames {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.gh.SetRunName(e2eRepo, "deploy.yml", name)
			w.release("dave")
			run := w.lastRun("deploy.yml")
			if len(deploy.IDsOf(deploy.WorkflowRun{DisplayTitle: run.DisplayTitle})) != 1 {
				t.Fatalf("display title %q", run.DisplayTitle)
			}
			w.gh.SetWorkflowRunStatus(e2eRepo, run.ID, "in_progress", "")
			w.deliver("workflow_run", "in_progress", w.gh.Payload(w.gh.WorkflowRunEvent(e2eRepo, run.ID, "in_progress")))
			w.finishRun("deploy.yml", "success")
			if w.healthHits.Load() == 0 {
				t.Fatalf("the health check did not follow the run's completed webhook; audit:\n%s", strings.Join(w.audit(), "\n"))
			}
			if n := w.runCalls(); n != 0 {
				t.Errorf("the API was asked %d times about runs; the webhooks alone must move the step", n)
			}
		})
	}
}

// TestSpoofedRunsAreIgnoredAndAudited: a run that carries the step's
// shipgate_id (copied from the real run's title, which is public) but was
// not Shipgate's dispatch fakes neither staging's success nor its failure,
// through the webhook or through the API fallback; it is audited once.
func TestSpoofedRunsAreIgnoredAndAudited(t *testing.T) {
	tests := []struct {
		name       string
		conclusion string
		spoof      func(real fakegithub.WorkflowRun, now time.Time) fakegithub.WorkflowRun
		want       string
	}{
		{"a run dispatched by another user with the right id is ignored and audited", "success",
			func(r fakegithub.WorkflowRun, _ time.Time) fakegithub.WorkflowRun { r.Actor = "mallory"; return r }, "dispatched by mallory, not by Shipgate"},
		{"a run from the attacker's own branch with the right run-name is ignored and audited", "success",
			func(r fakegithub.WorkflowRun, _ time.Time) fakegithub.WorkflowRun {
				r.Actor, r.HeadBranch = "mallory", "mallory/fake"
				return r
			}, "ran at mallory/fake, not at the dispatched ref v1.2.0"},
		{"a run at another ref is ignored and audited", "failure",
			func(r fakegithub.WorkflowRun, _ time.Time) fakegithub.WorkflowRun { r.HeadBranch = "main"; return r }, "ran at main"},
		{"a run of another workflow is ignored and audited", "success",
			func(r fakegithub.WorkflowRun, _ time.Time) fakegithub.WorkflowRun {
				r.Workflow, r.Path = "evil.yml", ""
				return r
			}, "runs .github/workflows/evil.yml, not the policy's workflow deploy.yml"},
		{"a push run is ignored and audited", "failure",
			func(r fakegithub.WorkflowRun, _ time.Time) fakegithub.WorkflowRun { r.Event = "push"; return r }, "its event is push"},
		{"a run created before the dispatch is ignored and audited", "success",
			func(r fakegithub.WorkflowRun, now time.Time) fakegithub.WorkflowRun {
				r.CreatedAt = now.Add(-time.Hour)
				return r
			}, "before Shipgate's dispatch"},
		{"a run without an actor is ignored and audited", "success",
			func(r fakegithub.WorkflowRun, _ time.Time) fakegithub.WorkflowRun { r.Actor = ""; return r }, "dispatched by nobody known"},
		{"a run with a guessed id is ignored and audited", "success",
			func(r fakegithub.WorkflowRun, _ time.Time) fakegithub.WorkflowRun {
				r.Actor, r.DisplayTitle = "mallory", "deploy sg-00000000000000000000000000000001"
				return r
			}, "no deployment step has the shipgate_id sg-00000000000000000000000000000001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.gh.SetRunName(e2eRepo, "deploy.yml", "Deploy ${{ inputs.environment }} (${{ inputs.shipgate_id }})")
			w.release("dave")
			real := w.lastRun("deploy.yml")
			fake := tc.spoof(real, w.clock.Now())
			fake.ID, fake.Status, fake.Conclusion, fake.Inputs = 0, "completed", tc.conclusion, nil
			id := w.gh.AddWorkflowRun(e2eRepo, fake)
			w.deliver("workflow_run", "completed", w.gh.Payload(w.gh.WorkflowRunEvent(e2eRepo, id, "completed")))
			w.after(time.Minute) // the API fallback lists the runs, the spoof among them
			w.after(time.Minute)
			w.wantStatuses("staging@v1.2.0:queued", "staging@v1.2.0:in_progress")
			if w.healthHits.Load() != 0 {
				t.Fatal("the spoofed run moved staging to its health check")
			}
			got := w.audit(deploy.AuditRunMismatch)
			if len(got) != 1 || !strings.Contains(got[0], tc.want) || !strings.HasPrefix(got[0], fake.Actor+" ") && fake.Actor != "" {
				t.Fatalf("mismatch audit: %q, want one naming %q", got, tc.want)
			}
			// The real run still moves staging.
			w.finishRun("deploy.yml", "success")
			if w.healthHits.Load() == 0 {
				t.Fatalf("the real run did not move staging; audit:\n%s", strings.Join(w.audit(), "\n"))
			}
		})
	}
}

// gatePolicy asks two approvals for production, from logins and a Slack
// user group.
const gatePolicy = `version: 1
deploy:
  environments:
    - name: production
      approval: {required: 2, from: [alice, erin, "slack:S0SRE"]}
      steps:
        - github_workflow: {workflow: deploy.yml, inputs: {environment: production}}
notify:
  slack: {channel: "#releases", users: {alice: U0ALICE}}
`

// gateWorld starts dave's deployment of v1.2.0 to production, waiting
// for its gate; mappings are added to notify.slack.users.
func gateWorld(t *testing.T, mappings ...string) (*world, string) {
	t.Helper()
	policy := gatePolicy
	for _, m := range mappings {
		policy = strings.Replace(policy, "users: {", "users: {"+m+", ", 1)
	}
	w := newWorldWith(t, policy)
	w.slack.SetGroup("S0SRE", "U0DAVE", "U0ERIN", "U0FRANK")
	return w, w.deployProduction()
}

// comment gives a decision as a PR comment would.
func (w *world) comment(id, login string, approve bool, dedupe string) {
	w.t.Helper()
	if err := w.o.Decide(w.ctx, id, deploy.Actor{Login: login}, approve, "", "comment", dedupe); err != nil {
		w.t.Fatal(err)
	}
	w.drain()
}

func (w *world) wantEphemeral(user, has string) {
	w.t.Helper()
	for _, e := range w.slack.Ephemerals() {
		if e.User == user && strings.Contains(e.Text, has) {
			return
		}
	}
	w.t.Fatalf("no ephemeral to %s saying %q: %+v", user, has, w.slack.Ephemerals())
}

// TestTheStarterCannotApproveFromAnUnmappedSlackAccount: dave started the
// deployment; a Slack account of the approvers' group that nothing links
// to a login may be his, so its click is refused with the way out.
func TestTheStarterCannotApproveFromAnUnmappedSlackAccount(t *testing.T) {
	w, id := gateWorld(t)
	w.click("U0DAVE", slack.ActionApprove, id, "1.1")
	w.drain()
	w.wantEphemeral("U0DAVE", "cannot tell slack:U0DAVE apart from dave, who started this deployment")
	w.wantEphemeral("U0DAVE", "notify.slack.users of .shipgate.yml (`dave: U…` with dave's Slack user, or `LOGIN: U0DAVE` with the GitHub login of slack:U0DAVE)")
	if got := w.audit("deploy.decision"); len(got) != 1 || !strings.Contains(got[0], "refused: Shipgate cannot tell") {
		t.Fatalf("decision audit: %q", got)
	}
	w.wantDispatches()
}

// TestOnePersonCannotCountTwiceThroughGitHubAndAnUnmappedSlackAccount:
// erin approves by comment; a Slack account known only to Slack may be
// hers, so it cannot fill the second approval.
func TestOnePersonCannotCountTwiceThroughGitHubAndAnUnmappedSlackAccount(t *testing.T) {
	w, id := gateWorld(t, "dave: U0DAVE")
	w.comment(id, "erin", true, "c-1")
	w.click("U0ERIN", slack.ActionApprove, id, "1.1")
	w.drain()
	w.wantEphemeral("U0ERIN", "cannot tell slack:U0ERIN apart from erin, who approved already")
	w.wantDispatches()
}

// TestAMappedApproverCountsOnce: alice by comment and by her mapped Slack
// account is one person; frank, another, completes the gate.
func TestAMappedApproverCountsOnce(t *testing.T) {
	w, id := gateWorld(t, "dave: U0DAVE")
	w.comment(id, "alice", true, "c-1")
	w.click("U0ALICE", slack.ActionApprove, id, "1.1")
	w.drain()
	w.wantEphemeral("U0ALICE", "you decided already")
	w.wantDispatches()
	w.click("U0FRANK", slack.ActionApprove, id, "1.2")
	w.drain()
	w.wantDispatches("deploy.yml@v1.2.0 environment=production")
}

// TestASlackAccountLinkedByEmailIsItsLogin: dave's public e-mail is his
// Slack profile's: his click is the starter's, refused as such, and the
// link tells frank apart from him. The link is looked up once.
func TestASlackAccountLinkedByEmailIsItsLogin(t *testing.T) {
	w, id := gateWorld(t)
	w.gh.SetUserEmail("dave", "dave@acme.example")
	w.slack.SetEmail("U0DAVE", "Dave@Acme.example")
	w.click("U0DAVE", slack.ActionApprove, id, "1.1")
	w.drain()
	w.wantEphemeral("U0DAVE", "dave started this deployment and cannot approve it")
	w.click("U0FRANK", slack.ActionApprove, id, "1.2")
	w.click("U0ERIN", slack.ActionApprove, id, "1.3")
	w.drain()
	w.wantDispatches("deploy.yml@v1.2.0 environment=production")
	n := 0
	for _, r := range w.gh.Requests() {
		if r.Path == "/users/dave" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("dave's profile was read %d times, want once (cached)", n)
	}
}

// command runs a deployment command as login, with role, as a PR comment
// gives it, and returns the reply as the comment Shipgate would post.
func (w *world) command(login string, role policies.Permission, name, args string) (bool, string) {
	w.t.Helper()
	w.delivery++
	ok, reply, err := w.o.Command(w.ctx, deploy.CommandRequest{Repo: e2eRepo, Number: 7, Actor: policies.Actor{Login: login},
		Command: policies.Command{Name: name, Args: args, Known: true},
		Change:  &policies.Change{Permissions: map[string]policies.Permission{login: role}}, Dedupe: fmt.Sprint("c-", w.delivery)})
	if err != nil {
		w.t.Fatal(err)
	}
	r := templates.Reply{Actor: login}
	if ok {
		r.Done = []templates.Refusal{{Command: "/" + name + " " + args, Reason: reply}}
	} else {
		r.Refusals = []templates.Refusal{{Command: "/" + name + " " + args, Reason: reply}}
	}
	body, err := templates.String(templates.RenderReply, r)
	if err != nil {
		w.t.Fatal(err)
	}
	w.drain()
	return ok, body
}

// validate posts the shipgate/tag status of a tag as creator would.
func (w *world) validate(tag, creator string) {
	sha, _ := w.gh.Ref(e2eRepo, "refs/tags/"+tag)
	w.gh.AddStatus(e2eRepo, fakegithub.Status{SHA: sha, Context: "shipgate/tag", State: "success", Description: tag + " is a valid version tag", Creator: creator})
}

// TestDeployTakesOnlyReleasesShipgateValidated: /deploy takes a release tag
// whose shipgate/tag status Shipgate posted, or latest; not a tag whose
// status someone else forged, not a branch, not a path.
func TestDeployTakesOnlyReleasesShipgateValidated(t *testing.T) {
	w := newWorld(t)
	main, _ := w.gh.Ref(e2eRepo, "refs/heads/main")
	w.gh.AddTag(e2eRepo, "v6.6.6", main)
	w.validate("v1.2.0", "shipgate[bot]")
	w.validate("v6.6.6", "mallory")
	for _, tc := range []struct{ name, args, want string }{
		{"a tag whose shipgate/tag status another user forged is refused", "production v6.6.6", "v6.6.6 is not a release tag that Shipgate validated"},
		{"/deploy production main is refused", "production main", "main is not a release tag that Shipgate validated"},
		{"/deploy production ../x is refused", "production ../x", "../x is not a tag, a branch or a commit name"},
		{"/deploy production with no release yet is refused", "production", "the repository has no release yet"},
	} {
		if ok, body := w.command("mia", policies.PermMaintain, "deploy", tc.args); ok || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %v\n%s", tc.name, ok, body)
		}
	}
	w.wantStatuses()
	if ok, body := w.command("mia", policies.PermMaintain, "deploy", "production v1.2.0"); !ok || !strings.Contains(body, "deploying v1.2.0 to production") {
		t.Fatalf("a validated release: %v\n%s", ok, body)
	}
	w.wantStatuses("production@v1.2.0:queued")
}

// TestDeployingABranchNeedsAllowRefsAndIsAuditedAsSuch.
func TestDeployingABranchNeedsAllowRefsAndIsAuditedAsSuch(t *testing.T) {
	w := newWorldWith(t, strings.Replace(e2ePolicy, "deploy:\n", "deploy:\n  allow_refs: true\n", 1))
	if ok, body := w.command("mia", policies.PermMaintain, "deploy", "production main"); !ok {
		t.Fatalf("refused:\n%s", body)
	}
	if ok, body := w.command("mia", policies.PermMaintain, "deploy", "production ../x"); ok || !strings.Contains(body, "is not a tag, a branch or a commit name") {
		t.Errorf("../x with allow_refs: %v\n%s", ok, body)
	}
	w.wantStatuses("production@main:queued")
	if got := w.audit("deploy.start"); len(got) != 1 || !strings.Contains(got[0], "a ref and not a validated release (deploy.allow_refs)") {
		t.Fatalf("start audit: %q", got)
	}
}

// TestUserTextIsInertInSlackAndInComments: `<!channel>` in a rejection's
// reason notifies nobody in Slack; markup in a version cannot close the
// reply comment's markup or fake the summary marker.
func TestUserTextIsInertInSlackAndInComments(t *testing.T) {
	w := newWorld(t)
	w.deployProduction()
	const attack = "<!channel> ship it</code><!-- shipgate:summary -->"
	ok, body := w.command("alice", policies.PermRead, "reject-deploy", "production "+attack)
	if !ok {
		t.Fatalf("rejection refused:\n%s", body)
	}
	msg, thread := w.message()
	for _, text := range append([]string{msg.Text, msg.Blocks}, thread...) {
		if strings.Contains(text, "<!channel>") || strings.Contains(text, "<!--") {
			t.Errorf("Slack shows the reason live: %s", text)
		}
	}
	if !strings.Contains(msg.Text, "&lt;!channel&gt; ship it&lt;/code&gt;&lt;!-- shipgate:summary --&gt;") {
		t.Errorf("the reason is not shown as written: %s", msg.Text)
	}
	// The command is echoed in a code span, where HTML is text; the
	// reason, outside it, quotes the version inert.
	_, body = w.command("mia", policies.PermMaintain, "deploy", "production v1</code><!--x")
	_, reason, _ := strings.Cut(body, "`: ")
	if strings.Contains(reason, "<") || !strings.Contains(reason, "v1&lt;/code&gt;&lt;!--x is not a release tag") {
		t.Errorf("the reply comment lets the version out:\n%s", body)
	}
}

// freezePolicy is the e2e policy with a year-end freeze of production, and
// only production; there is no override.
var freezePolicy = strings.Replace(e2ePolicy, "version: 1\n", `version: 1
freeze:
  windows:
    - {name: year-end, start: 2026-11-01T00:00:00Z, end: 2027-01-04T00:00:00Z, environments: [production]}
`, 1)

// TestStagingDeploysDuringAProductionOnlyFreeze: a window that names
// production freezes production; staging moves.
func TestStagingDeploysDuringAProductionOnlyFreeze(t *testing.T) {
	w := newWorldWith(t, freezePolicy)
	w.release("dave")
	w.wantDispatches("deploy.yml@v1.2.0 environment=staging")
	w.finishRun("deploy.yml", "success")
	w.after(15 * time.Minute) // staging's soak
	w.after(time.Hour)
	w.wantStatuses("staging@v1.2.0:queued", "staging@v1.2.0:in_progress", "staging@v1.2.0:success", "production@v1.2.0:queued")
	if msg, _ := w.message(); strings.Contains(msg.Text, "Approval requested") {
		t.Fatalf("production asks for approval inside its freeze: %s", msg.Text)
	}
	// The window ends; production goes on to its gate.
	w.clock.AdvanceTo(time.Date(2027, 1, 4, 0, 0, 1, 0, time.UTC))
	w.drain()
	if msg, _ := w.message(); !strings.Contains(msg.Text, "Approval requested for production") {
		t.Fatalf("production after the freeze: %s", msg.Text)
	}
}
