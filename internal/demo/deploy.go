package demo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/slack"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/fakeslack"
)

// deployWatch is what the demo has seen of the deployments so far, so
// that each thing is told once.
type deployWatch struct {
	runs       map[int64]bool
	statuses   int
	ephemerals int
	health     int
	slack      map[string]int      // message TS → how many of its texts were shown
	clicked    map[string][]string // approval request → Slack users who clicked
	// lastClick is when the last click was sent: the next waits for it to
	// be taken.
	lastClick time.Time
}

func (d *demo) actFirstEnvs() error {
	d.out.say("The validated tag starts %s.", strings.Join(d.plan.firstEnvs(), ", "))
	return d.drive(d.plan.firstEnvs())
}

func (d *demo) actLaterEnvs() error {
	envs := d.plan.laterEnvs()
	if err := d.drive(envs); err != nil {
		return err
	}
	d.out.ok("%s: %s deployed, deployment status success (the story took %s)", envs[len(envs)-1], d.tag,
		time.Since(d.start).Round(100*time.Millisecond))
	return nil
}

// drive plays GitHub Actions and the approvers until every environment
// of envs has succeeded: it finishes each workflow run Shipgate dispatches
// (with its workflow_run webhooks) and clicks Approve on each Slack
// request; it tells what happens on the way.
func (d *demo) drive(envs []string) error {
	if d.watch == nil {
		d.watch = &deployWatch{runs: map[int64]bool{}, slack: map[string]int{}, clicked: map[string][]string{}}
	}
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		if err := d.finishRuns(); err != nil {
			return err
		}
		d.tellStatuses()
		if err := d.tellSlack(); err != nil {
			return err
		}
		done, err := d.envsDone(envs)
		if err != nil {
			return err
		}
		if done {
			return d.settleSlack()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("timed out waiting for %s to deploy", strings.Join(envs, ", "))
}

// settleSlack tells the Slack message's last changes: it returns once
// the message has not changed for a moment (or after 5s).
func (d *demo) settleSlack() error {
	const quiet = 300 * time.Millisecond
	texts := func() (n int) {
		for _, m := range d.sb.Slack.Messages() {
			n += len(m.Texts)
		}
		return n
	}
	last, since, deadline := texts(), time.Now(), time.Now().Add(5*time.Second)
	for time.Since(since) < quiet && time.Now().Before(deadline) {
		if err := d.tellSlack(); err != nil {
			return err
		}
		if n := texts(); n != last {
			last, since = n, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return d.tellSlack()
}

// envsDone says whether every environment's deployment of the tag
// succeeded; an environment that failed is an error.
func (d *demo) envsDone(envs []string) (bool, error) {
	states := map[string]string{}
	for _, s := range d.sb.GitHub.DeploymentStatuses() {
		if strings.HasSuffix(s, " (auto)") {
			continue
		}
		envRef, state, _ := strings.Cut(strings.TrimPrefix(s, d.repo+":"), ":")
		env, ref, _ := strings.Cut(envRef, "@")
		if ref == d.tag {
			states[env] = state
		}
	}
	for _, e := range envs {
		switch states[e] {
		case "success":
		case "failure", "error":
			return false, fmt.Errorf("%s's deployment ended in %s", e, states[e])
		default:
			return false, nil
		}
	}
	return true, nil
}

// finishRuns completes each new workflow run with success, sending its
// in_progress and completed webhooks as GitHub does.
func (d *demo) finishRuns() error {
	g := d.sb.GitHub
	for _, r := range g.WorkflowRuns(d.repo) {
		if d.watch.runs[r.ID] {
			continue
		}
		d.watch.runs[r.ID] = true
		d.out.say("GitHub Actions runs %s%s, dispatched by Shipgate …", r.Workflow, runInputs(r.Inputs))
		g.SetWorkflowRunStatus(d.repo, r.ID, "in_progress", "")
		if err := d.send("workflow_run", g.WorkflowRunEvent(d.repo, r.ID, "in_progress")); err != nil {
			return err
		}
		g.SetWorkflowRunStatus(d.repo, r.ID, "completed", "success")
		if err := d.send("workflow_run", g.WorkflowRunEvent(d.repo, r.ID, "completed")); err != nil {
			return err
		}
		d.out.ok("… the run completes: success (its workflow_run webhook tells Shipgate)")
	}
	return nil
}

// runInputs shows a run's inputs but the shipgate_id Shipgate follows it
// by.
func runInputs(in map[string]any) string {
	var kv []string
	for k, v := range in {
		if k != "shipgate_id" {
			kv = append(kv, fmt.Sprintf("%s: %v", k, v))
		}
	}
	if len(kv) == 0 {
		return ""
	}
	slices.Sort(kv)
	return " (" + strings.Join(kv, ", ") + ")"
}

// tellStatuses tells the new deployment statuses and health checks.
func (d *demo) tellStatuses() {
	if h := d.sb.HealthHits(); h > d.watch.health {
		if d.watch.health == 0 {
			d.out.ok("the sandbox's service answers 200 (its health check, or its webhook)")
		}
		d.watch.health = h
	}
	all := d.sb.GitHub.DeploymentStatuses()
	for _, s := range all[d.watch.statuses:] {
		if !strings.HasSuffix(s, " (auto)") {
			d.out.say("deployment %s", strings.TrimPrefix(s, d.repo+":"))
		}
	}
	d.watch.statuses = len(all)
}

// tellSlack shows each new or changed Slack message and clicks Approve on
// the approval requests.
func (d *demo) tellSlack() error {
	eph := d.sb.Slack.Ephemerals()
	for _, e := range eph[d.watch.ephemerals:] {
		d.out.show("Slack, only to "+e.User, e.Text)
	}
	d.watch.ephemerals = len(eph)
	for _, m := range d.sb.Slack.Messages() {
		// Every version of the message, as Slack's users saw it change.
		for i := d.watch.slack[m.TS]; i < len(m.Texts); i++ {
			text := m.Texts[i]
			if i == len(m.Texts)-1 {
				text = slackText(m)
			}
			d.out.show("Slack "+m.Channel, text)
		}
		d.watch.slack[m.TS] = len(m.Texts)
		value := approveValue(m.Blocks)
		if value == "" {
			continue
		}
		if err := d.approve(m, value); err != nil {
			return err
		}
	}
	return nil
}

// slackText is a message's text with the buttons it offers.
func slackText(m fakeslack.Message) string {
	t := m.Text
	if strings.Contains(m.Blocks, `"action_id":"`+slack.ActionApprove+`"`) {
		t += "\n[ Approve ]  [ Reject ]"
	}
	return t
}

// approveValue returns the value of a message's Approve button, "" when
// it has none.
func approveValue(blocks string) string {
	var v any
	if json.Unmarshal([]byte(blocks), &v) != nil {
		return ""
	}
	var found string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if x["action_id"] == slack.ActionApprove {
				found, _ = x["value"].(string)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return found
}

// approve clicks Approve as the next approver of the environment the
// request is about who has not clicked it yet; one click at a time, each
// once the previous one was taken.
func (d *demo) approve(m fakeslack.Message, value string) error {
	clicked := d.watch.clicked[value]
	if len(clicked) > 0 && time.Since(d.watch.lastClick) < 2*time.Second {
		return nil
	}
	parts := strings.Split(value, ":")
	env := parts[len(parts)-2]
	for _, a := range d.deployApprovers(env) {
		if slices.Contains(clicked, a.slack) {
			continue
		}
		d.watch.clicked[value] = append(clicked, a.slack)
		d.watch.lastClick = time.Now()
		d.out.say("%s (Slack %s) clicks Approve.", a.login, a.slack)
		return d.click(a.slack, value)
	}
	if time.Since(d.watch.lastClick) > 5*time.Second {
		return fmt.Errorf("%s still waits for approval after every approver the demo could play clicked (Slack's replies above say why): "+
			"link the approvers' GitHub logins to Slack users in notify.slack.users", env)
	}
	return nil
}

// demoApprover is someone who may approve a deployment, as GitHub and
// Slack know them.
type demoApprover struct{ login, slack string }

// deployApprovers returns who may approve env's gates, linking each to a
// Slack user (notify.slack.users, else by e-mail address as Shipgate
// does).
func (d *demo) deployApprovers(env string) []demoApprover {
	var from []string
	for _, e := range d.plan.cfg.Deploy.Environments {
		if e.Name != env {
			continue
		}
		if e.Approval != nil {
			from = append(from, e.Approval.From...)
		}
		for _, s := range e.Steps {
			if s.Approval != nil {
				from = append(from, s.Approval.From...)
			}
		}
	}
	var out []demoApprover
	for _, f := range from {
		switch {
		case strings.HasPrefix(f, "slack:U"):
			out = append(out, demoApprover{login: f, slack: strings.TrimPrefix(f, "slack:")})
		case strings.HasPrefix(f, "slack:S"):
			d.sb.Slack.SetGroup(strings.TrimPrefix(f, "slack:"), "U0GROUPMEMBER")
			out = append(out, demoApprover{login: "a member of " + f, slack: "U0GROUPMEMBER"})
		case strings.HasPrefix(f, "@"):
			// Shipgate knows a team member in Slack through
			// notify.slack.users: the demo puts one there in the team.
			org, team, _ := strings.Cut(strings.TrimPrefix(f, "@"), "/")
			login, user := d.mappedUser(from, out)
			if login == "" {
				login, user = team+"-approver", d.slackUser(team+"-approver")
			}
			d.sb.GitHub.AddTeamMember(org, team, login)
			out = append(out, demoApprover{login: login, slack: user})
		default:
			out = append(out, demoApprover{login: f, slack: d.slackUser(f)})
		}
	}
	return out
}

// mappedUser returns a login of notify.slack.users (but the tagger, who
// starts the deployments) that is neither named in from nor in taken,
// and its Slack user.
func (d *demo) mappedUser(from []string, taken []demoApprover) (login, user string) {
	n := d.plan.cfg.Notify
	if n == nil || n.Slack == nil {
		return "", ""
	}
	var logins []string
	for l := range n.Slack.Users {
		logins = append(logins, l)
	}
	slices.Sort(logins)
	for _, l := range logins {
		if l != demoTagger && !slices.Contains(from, l) && !slices.ContainsFunc(taken, func(a demoApprover) bool { return a.login == l }) {
			return l, n.Slack.Users[l]
		}
	}
	return "", ""
}

// slackUser returns login's Slack user: from notify.slack.users, else a
// new one linked by a shared e-mail address.
func (d *demo) slackUser(login string) string {
	if n := d.plan.cfg.Notify; n != nil && n.Slack != nil && n.Slack.Users[login] != "" {
		return n.Slack.Users[login]
	}
	user := "U0" + strings.ToUpper(strings.NewReplacer("-", "", "_", "").Replace(login))
	email := login + "@example.com"
	d.sb.GitHub.SetUserEmail(login, email)
	d.sb.Slack.SetEmail(user, email)
	return user
}

// click posts a signed block_actions interaction to the server's Slack
// endpoint, as Slack does when user clicks Approve.
func (d *demo) click(user, value string) error {
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]string{"id": user}, "trigger_id": "demo",
		"actions": []map[string]string{{"block_id": "deploy_gate", "action_id": slack.ActionApprove, "value": value, "action_ts": "1.1"}},
	})
	body := "payload=" + url.QueryEscape(string(payload))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, "http://"+d.addr+slack.Route, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(d.sec.signingSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the server answered the Slack click %d", resp.StatusCode)
	}
	return nil
}

// Record is what the sandbox recorded, which tests read (Options.Record).
type Record struct {
	Acts               []Act                 `json:"acts"`
	CheckRuns          []fakegithub.CheckRun `json:"check_runs"`
	CheckRunWrites     []string              `json:"check_run_writes"` // "status/conclusion: title", in order
	Comments           []fakegithub.Comment  `json:"comments"`
	CommentsCreated    []string              `json:"comments_created"`
	CommentsEdited     []string              `json:"comments_edited"`
	LabelsAdded        []string              `json:"labels_added"`
	Statuses           []fakegithub.Status   `json:"tag_statuses"`
	Releases           []fakegithub.Release  `json:"releases"`
	Dispatches         []string              `json:"dispatches"`
	DeploymentStatuses []string              `json:"deployment_statuses"`
	Slack              []fakeslack.Message   `json:"slack_messages"`
	HealthHits         int                   `json:"health_hits"`
	Calls              map[string]int        `json:"calls_by_route"`
	Problems           []string              `json:"problems"`
}

// checkRunWrites lists the check runs Shipgate created or updated, as
// "name status/conclusion: title", in order.
func checkRunWrites(reqs []fakegithub.Request) []string {
	var out []string
	for _, r := range reqs {
		if !strings.Contains(r.Route, "/check-runs") || r.Method == http.MethodGet {
			continue
		}
		var cr struct {
			Name, Status, Conclusion string
			Output                   struct{ Title string }
		}
		if json.Unmarshal(r.Body, &cr) == nil {
			out = append(out, fmt.Sprintf("%s %s/%s: %s", cr.Name, cr.Status, cr.Conclusion, cr.Output.Title))
		}
	}
	return out
}

// writeRecord writes the sandbox's record as JSON to file.
func (d *demo) writeRecord(file string) error {
	var rec Record
	err := d.sb.Do(func() {
		g := d.sb.GitHub
		rec = Record{Acts: d.acts, LabelsAdded: g.LabelsAdded(), Releases: g.Releases(), Dispatches: g.Dispatches(),
			DeploymentStatuses: g.DeploymentStatuses(), Slack: d.sb.Slack.Messages(), HealthHits: d.sb.HealthHits(),
			Calls: g.CallsByRoute(), Problems: d.sb.Problems(), CheckRunWrites: checkRunWrites(g.Requests()),
			CommentsCreated: g.CommentsCreated(), CommentsEdited: g.CommentsEdited()}
		if d.headSHA != "" {
			rec.CheckRuns = g.CheckRuns(d.repo, d.headSHA)
			rec.Comments = g.Comments(d.repo, d.pr)
		}
		if d.mergeSHA != "" {
			rec.Statuses = g.Statuses(d.repo, d.mergeSHA)
		}
	})
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o600)
}
