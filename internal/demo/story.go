package demo

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/shipgate/shipgate/bot/gate"
	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/internal/fakegithub"
	"github.com/shipgate/shipgate/internal/sandbox"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// demo is one play of the story against the sandbox and the server.
type demo struct {
	out   printer
	sb    *sandbox.Sandbox
	plan  *plan
	sec   secrets
	addr  string // the server's
	repo  string
	pr    int
	pause func(next string)
	start time.Time

	deliveries                 int
	mainSHA, headSHA, mergeSHA string
	tag                        string
	reviewers                  []string
	acts                       []Act
	watch                      *deployWatch
}

// Act is an act as played: skipped says why it was not.
type Act struct {
	N       int    `json:"n"`
	Title   string `json:"title"`
	Skipped string `json:"skipped,omitempty"`
}

const (
	demoAuthor = "dave"  // opens the pull request
	demoTagger = "alice" // merges and tags (a maintainer)
)

// play plays the acts in order, skipping those the policy has nothing
// for; a failed act stops the story.
func (d *demo) play(start time.Time) error {
	d.start = start
	acts := []struct {
		title string
		fn    func() error
	}{
		{"A pull request missing everything", d.actOpen},
		{"The author fixes the body and the labels", d.actFix},
		{"A reviewer approves; the author cannot", d.actReview},
		{"The check turns green; the pull request merges", d.actMerge},
		{"A tag, validated and released", d.actTag},
		{d.plan.envsTitle(d.plan.firstEnvs(), "Staging deploys"), d.actFirstEnvs},
		{d.plan.envsTitle(d.plan.laterEnvs(), "Production, approved in Slack"), d.actLaterEnvs},
	}
	var err error
	if derr := d.sb.Do(func() {
		d.intro()
		for i, a := range acts {
			n := i + 1
			why := d.plan.skips[n]
			d.acts = append(d.acts, Act{N: n, Title: a.title, Skipped: why})
			if why == "" && n > 1 {
				d.pause(fmt.Sprintf("act %d", n))
			}
			d.out.act(n, a.title)
			if why != "" {
				d.out.say("skipped: %s", why)
				continue
			}
			if err = a.fn(); err != nil {
				err = fmt.Errorf("act %d (%s): %w", n, a.title, err)
				return
			}
		}
		if d.plan.skips[7] != "" {
			d.out.ok("the story is over (%s)", time.Since(d.start).Round(100*time.Millisecond))
		}
	}); derr != nil {
		return fmt.Errorf("the sandbox: %w", derr)
	}
	return err
}

// intro sets the repository up and says what plays where.
func (d *demo) intro() {
	d.out.say("shipgate demo: the real server (%s) on a temporary SQLite database,", "http://"+d.addr)
	d.out.say("against a sandbox GitHub (%s) and a sandbox Slack in this process.", d.repo)
	d.out.say("Policy: %s. People: %s opens a pull request, %s merges and tags.", d.plan.file, demoAuthor, demoTagger)
	for _, n := range d.plan.notes {
		d.out.say("rehearsal: %s", n)
	}
	for n := 1; n <= 7; n++ {
		if why := d.plan.skips[n]; why != "" {
			d.out.say("this policy skips act %d: %s", n, why)
		}
	}
	g := d.sb.GitHub
	g.AddRepo(fakegithub.Repo{FullName: d.repo})
	d.mainSHA = g.AddCommit(d.repo, fakegithub.Commit{Message: "chore: first release", Author: demoTagger, Date: time.Now()})
	g.SetBranch(d.repo, "main", d.mainSHA)
	g.AddTag(d.repo, d.plan.tagPrefix()+"1.0.0", d.mainSHA)
	g.SetFile(d.repo, "main", review.PolicyFile, d.plan.policy)
	g.SetPermission(d.repo, demoAuthor, "write")
	g.SetPermission(d.repo, demoTagger, "maintain")
	d.reviewers = d.chooseReviewers()
}

// chooseReviewers finds, for each approval rule, as many approvers as it
// requires: its logins, else members added to its teams, else alice.
func (d *demo) chooseReviewers() []string {
	var out []string
	for i, rule := range plainRules(d.plan.cfg.Approvals) {
		need := 1
		if rule.Required != nil {
			need = *rule.Required
		}
		picked := d.pick(rule.From, need, "reviewer")
		for n := len(picked); n < need; n++ {
			picked = append(picked, fmt.Sprintf("reviewer%d-%d", i+1, n+1))
		}
		if rule.CodeOwners && len(picked) > 0 {
			d.sb.GitHub.SetFile(d.repo, "main", ".github/CODEOWNERS", "* @"+picked[0]+"\n")
		}
		for _, p := range picked {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	for _, r := range out {
		if r != demoTagger {
			d.sb.GitHub.SetPermission(d.repo, r, "write")
		}
	}
	return out
}

// pick chooses up to need people of from other than the author: its
// logins, and for each team a member the sandbox adds to it
// ("TEAM-role").
func (d *demo) pick(from []string, need int, role string) []string {
	var picked []string
	for _, f := range from {
		if len(picked) == need {
			break
		}
		login := f
		if org, team, ok := strings.Cut(strings.TrimPrefix(f, "@"), "/"); ok && strings.HasPrefix(f, "@") {
			login = team + "-" + role
			d.sb.GitHub.AddTeamMember(org, team, login)
		}
		if login != demoAuthor && !strings.HasPrefix(login, "slack:") && !slices.Contains(picked, login) {
			picked = append(picked, login)
		}
	}
	return picked
}

// plainRules flattens the rules inside any_of and all_of: giving each its
// approvers satisfies every combination.
func plainRules(rules []policies.ApprovalConfig) []policies.ApprovalConfig {
	var out []policies.ApprovalConfig
	for _, r := range rules {
		if r.AnyOf != nil || r.AllOf != nil {
			out = append(out, plainRules(append(slices.Clone(r.AnyOf), r.AllOf...))...)
			continue
		}
		out = append(out, r)
	}
	return out
}

// deliver sends a signed webhook to the server, as GitHub does, and waits
// until the server has done what it does about it.
func (d *demo) deliver(event string, payload any) error {
	before := len(d.sb.GitHub.Requests())
	if err := d.send(event, payload); err != nil {
		return err
	}
	return d.settle(before)
}

// send sends a signed webhook to the server, as GitHub does.
func (d *demo) send(event string, payload any) error {
	d.deliveries++
	body := d.sb.GitHub.Payload(payload)
	resp, err := fakegithub.SignedWebhook("http://"+d.addr+"/webhooks/github", event, fmt.Sprintf("demo-%d", d.deliveries), body, d.sec.webhookSecret)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the server answered the %s webhook %d %s", event, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return nil
}

// settle waits until the server has called GitHub since before and then
// stayed quiet for a moment: its work on the last event is done.
func (d *demo) settle(before int) error {
	const quiet = 300 * time.Millisecond
	deadline := time.Now().Add(15 * time.Second)
	last, lastChange := before, time.Now()
	for time.Now().Before(deadline) {
		n := len(d.sb.GitHub.Requests())
		if n != last {
			last, lastChange = n, time.Now()
		}
		if n > before && time.Since(lastChange) >= quiet {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	if last > before {
		return nil // busy throughout: go on, the next wait says more
	}
	return fmt.Errorf("the server did nothing about the event within 15s")
}

// check returns the newest `shipgate: main` check run on the head.
func (d *demo) check(sha string) (fakegithub.CheckRun, bool) {
	var last *fakegithub.CheckRun
	runs := d.sb.GitHub.CheckRuns(d.repo, sha)
	for i := range runs {
		if runs[i].Name == review.CheckName("main") && (last == nil || runs[i].ID > last.ID) {
			last = &runs[i]
		}
	}
	if last == nil {
		return fakegithub.CheckRun{}, false
	}
	return *last, true
}

// showCheck prints the check run as GitHub's Checks tab shows it.
func (d *demo) showCheck() (fakegithub.CheckRun, error) {
	cr, ok := d.check(d.headSHA)
	if !ok {
		return cr, fmt.Errorf("no %q check run on the pull request's head", review.CheckName("main"))
	}
	state := cr.Conclusion
	if state == "" {
		state = cr.Status
	}
	line := fmt.Sprintf("check run %q: %s — %s", cr.Name, state, cr.Title)
	if cr.Conclusion == "success" {
		d.out.ok("%s", line)
	} else {
		d.out.bad("%s", line)
	}
	d.out.show("its summary", cr.Summary)
	return cr, nil
}

// stickyComment returns Shipgate's summary comment on the pull request.
func (d *demo) stickyComment() (fakegithub.Comment, bool) {
	for _, c := range d.sb.GitHub.Comments(d.repo, d.pr) {
		if strings.HasPrefix(c.Body, templates.CommentMarker) {
			return c, true
		}
	}
	return fakegithub.Comment{}, false
}

// actOpen opens a pull request that satisfies nothing.
func (d *demo) actOpen() error {
	g := d.sb.GitHub
	d.headSHA = g.AddCommit(d.repo, fakegithub.Commit{Message: "Add gift cards", Author: demoAuthor, Parents: []string{d.mainSHA}, Date: time.Now()})
	g.SetBranch(d.repo, "gift-cards", d.headSHA)
	g.AddPR(d.repo, fakegithub.PR{Number: d.pr, Title: "Add gift cards", Body: "Adds gift cards to checkout.", Author: demoAuthor,
		Base: "main", Head: "gift-cards", HeadSHA: d.headSHA})
	g.SetPRCommits(d.repo, d.pr, []fakegithub.Commit{{SHA: d.headSHA, Message: "Add gift cards", Author: demoAuthor, Date: time.Now()}})
	g.SetPRFiles(d.repo, d.pr, []fakegithub.File{{Filename: "checkout/giftcards.go", Status: "added", Additions: 120}})
	d.out.say("%s opens #%d %q into main, with a one-line description and nothing else.", demoAuthor, d.pr, "Add gift cards")
	if err := d.deliver("pull_request", g.PullRequestEvent(d.repo, d.pr, "opened", demoAuthor)); err != nil {
		return err
	}
	if _, err := d.showCheck(); err != nil {
		return err
	}
	d.showSticky()
	return nil
}

// showSticky prints the sticky comment, or says why there is none.
func (d *demo) showSticky() {
	if c, ok := d.stickyComment(); ok {
		d.out.show("the sticky comment on #"+fmt.Sprint(d.pr)+" (edited in place)", strings.TrimPrefix(c.Body, templates.CommentMarker))
		return
	}
	if !d.plan.stickyComment() {
		d.out.say("(no sticky comment: notify.comment is not always; the check run holds the report)")
	}
}

// actFix gives the pull request a conventional title, a change record,
// filled sections, a release note, its semver label and its required
// checks.
func (d *demo) actFix() error {
	g := d.sb.GitHub
	id, err := d.plan.changeRecordID()
	if err != nil {
		return err
	}
	title, body := d.fixedText(id)
	for _, rc := range d.requiredChecks() {
		g.AddCheckRun(d.repo, fakegithub.CheckRun{HeadSHA: d.headSHA, Name: rc.Name, App: rc.App, Status: "completed", Conclusion: "success"})
		d.out.say("CI reports %q: success.", rc.Name)
	}
	g.UpdatePR(d.repo, d.pr, func(pr *fakegithub.PR) { pr.Title, pr.Body = title, body })
	d.out.say("%s retitles it %q and fills the body:", demoAuthor, title)
	d.out.show("the new body", body)
	if err := d.deliver("pull_request", g.PullRequestEvent(d.repo, d.pr, "edited", demoAuthor)); err != nil {
		return err
	}
	if label := d.semverLabel(); label != "" {
		g.LabelBy(d.repo, d.pr, label, demoAuthor, true)
		d.out.say("%s adds the label %s.", demoAuthor, label)
		ev := g.PullRequestEvent(d.repo, d.pr, "labeled", demoAuthor)
		ev.Label = &gh.Label{Name: gh.String(label)}
		if err := d.deliver("pull_request", ev); err != nil {
			return err
		}
	}
	_, err = d.showCheck()
	return err
}

// fixedText returns the fixed title and body.
func (d *demo) fixedText(id string) (title, body string) {
	title = "feat: add gift cards"
	var b strings.Builder
	b.WriteString("Adds gift cards to checkout")
	if id != "" {
		title += " (" + id + ")"
		fmt.Fprintf(&b, " (%s)", id)
	}
	b.WriteString(".\n")
	if cr := d.plan.cfg.ChangeRecord; cr != nil {
		for _, s := range cr.Sections {
			fmt.Fprintf(&b, "\n## %s\n\nWhat the %s of gift cards is, in a sentence or two.\n", s, strings.ToLower(s))
		}
	}
	block := "release-note"
	if rn := d.plan.cfg.ReleaseNotes; rn != nil && rn.Block != "" {
		block = rn.Block
	}
	fmt.Fprintf(&b, "\n```%s\nCheckout accepts gift cards.\n```\n", block)
	return title, b.String()
}

// semverLabel is the policy's label of a minor change, "" without one.
func (d *demo) semverLabel() string {
	if s := d.plan.cfg.Semver; s != nil {
		return s.Labels["minor"]
	}
	return ""
}

// requiredChecks are the checks the policy requires besides Shipgate's.
func (d *demo) requiredChecks() []policies.RequiredCheckConfig {
	if c := d.plan.cfg.Checks; c != nil {
		return c.Required
	}
	return nil
}

// actReview has the author try to approve and the reviewers approve.
func (d *demo) actReview() error {
	g := d.sb.GitHub
	before := len(d.replies())
	id := g.AddComment(d.repo, d.pr, fakegithub.Comment{Author: demoAuthor, Body: "/approve"})
	d.out.say("%s comments /approve on their own pull request.", demoAuthor)
	if err := d.deliver("issue_comment", g.IssueCommentEvent(d.repo, id, "created")); err != nil {
		return err
	}
	if r := d.replies(); len(r) > before {
		d.out.show("Shipgate replies", r[len(r)-1])
	} else {
		d.out.say("(Shipgate did not reply to it)")
	}
	for _, r := range d.reviewers {
		rid := g.AddReview(d.repo, d.pr, fakegithub.Review{Author: r, State: "APPROVED", SubmittedAt: time.Now()})
		d.out.say("%s reviews the change and approves it.", r)
		if err := d.deliver("pull_request_review", g.PullRequestReviewEvent(d.repo, d.pr, rid, "submitted")); err != nil {
			return err
		}
	}
	return nil
}

// replies returns Shipgate's comments other than the sticky one.
func (d *demo) replies() []string {
	var out []string
	for _, c := range d.sb.GitHub.Comments(d.repo, d.pr) {
		if strings.HasSuffix(c.Author, "[bot]") && !strings.HasPrefix(c.Body, templates.CommentMarker) {
			out = append(out, c.Body)
		}
	}
	return out
}

// actMerge shows the green check and merges the pull request.
func (d *demo) actMerge() error {
	if err := d.overrideFreeze(); err != nil {
		return err
	}
	cr, err := d.showCheck()
	if err != nil {
		return err
	}
	if cr.Conclusion != "success" {
		return fmt.Errorf("the check is %s/%s, not green: the policy asks for something the demo does not play (see its summary above)", cr.Status, cr.Conclusion)
	}
	d.showSticky()
	g := d.sb.GitHub
	title := "feat: add gift cards"
	if pr, ok := g.PullRequest(d.repo, d.pr); ok {
		title = pr.Title
	}
	now := time.Now()
	d.mergeSHA = g.AddCommit(d.repo, fakegithub.Commit{Message: fmt.Sprintf("%s (#%d)", title, d.pr), Author: demoAuthor,
		Committer: demoTagger, Parents: []string{d.mainSHA}, Date: now})
	g.SetBranch(d.repo, "main", d.mergeSHA)
	g.UpdatePR(d.repo, d.pr, func(pr *fakegithub.PR) {
		pr.State, pr.Merged, pr.MergeCommitSHA, pr.MergedBy, pr.MergedAt, pr.ClosedAt = "closed", true, d.mergeSHA, demoTagger, now, now
	})
	d.out.ok("%s squash-merges #%d into main as %.7s.", demoTagger, d.pr, d.mergeSHA)
	// Neither event asks anything of Shipgate here: GitHub sends them, so
	// the demo does.
	if err := d.send("pull_request", g.PullRequestEvent(d.repo, d.pr, "closed", demoTagger)); err != nil {
		return err
	}
	err = d.send("push", g.PushEvent(d.repo, "refs/heads/main", d.mainSHA, d.mergeSHA, demoTagger))
	d.mainSHA = d.mergeSHA
	return err
}

// actTag pushes the next version's tag and shows its validation and
// release.
func (d *demo) actTag() error {
	g := d.sb.GitHub
	d.tag = d.plan.tagPrefix() + "1.1.0"
	g.AddTag(d.repo, d.tag, d.mergeSHA)
	d.out.say("%s pushes the tag %s on main (a feature since %s1.0.0: the next minor).", demoTagger, d.tag, d.plan.tagPrefix())
	if err := d.deliver("push", g.PushEvent(d.repo, "refs/tags/"+d.tag, "", d.mergeSHA, demoTagger)); err != nil {
		return err
	}
	if err := d.waitFor("the tag's status", func() bool { return len(g.Statuses(d.repo, d.mergeSHA)) > 0 }); err != nil {
		return err
	}
	var st fakegithub.Status
	for _, s := range g.Statuses(d.repo, d.mergeSHA) {
		if s.Context == gate.TagStatus {
			st = s
		}
	}
	if st.State != "success" {
		d.out.bad("commit status %s: %s — %s", gate.TagStatus, st.State, st.Description)
		return fmt.Errorf("the tag %s was not accepted", d.tag)
	}
	d.out.ok("commit status %s: %s — %s", gate.TagStatus, st.State, st.Description)
	if d.plan.cfg.Tags == nil || !d.plan.cfg.Tags.Release {
		d.out.say("(no release: the policy's tags.release is off)")
		return nil
	}
	if err := d.waitFor("the release", func() bool { return len(g.Releases()) > 0 }); err != nil {
		return err
	}
	rel := g.Releases()[0]
	d.out.ok("release %q created", rel.Name)
	d.out.show("its notes", rel.Body)
	return nil
}

// waitFor polls cond for up to 20s.
func (d *demo) waitFor(what string, cond func() bool) error {
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// overrideFreeze plays freeze.override when a window freezes main now:
// the rehearsal runs at the real time, and inside a freeze the policy
// asks for an override before anything merges.
func (d *demo) overrideFreeze() error {
	windows := d.plan.frozen(time.Now(), func(w policies.Window) bool { return w.AppliesToBranch("main") })
	if len(windows) == 0 {
		return nil
	}
	var o *policies.OverrideConfig
	if f := d.plan.cfg.Freeze; f != nil {
		o = f.Override
	}
	if o == nil {
		return fmt.Errorf("the freeze %s is active now and the policy gives no override: nothing merges into main until it ends; run the rehearsal outside the window", windows)
	}
	need := max(o.Approvals, 1)
	people := d.pick(o.From, need, "lead")
	if len(people) < need {
		return fmt.Errorf("the freeze %s is active now and the demo cannot play %d people of freeze.override.from %q (GitHub logins or teams)", windows, need, o.From)
	}
	d.out.say("The freeze %s is active now: the check fails on it until freeze.override.from lets the change through.", windows)
	before := len(d.replies())
	for _, who := range people {
		d.sb.GitHub.SetPermission(d.repo, who, "write")
		id := d.sb.GitHub.AddComment(d.repo, d.pr, fakegithub.Comment{Author: who, Body: "/override-freeze the demo rehearses a release inside the freeze"})
		d.out.say("%s comments /override-freeze the demo rehearses a release inside the freeze.", who)
		if err := d.deliver("issue_comment", d.sb.GitHub.IssueCommentEvent(d.repo, id, "created")); err != nil {
			return err
		}
	}
	if r := d.replies(); len(r) > before {
		d.out.show("Shipgate replies", r[len(r)-1])
	}
	return nil
}
