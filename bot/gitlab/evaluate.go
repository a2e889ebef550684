package gitlab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	gl "gitlab.com/gitlab-org/api/client-go"
	"golang.org/x/sync/errgroup"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/templates"
)

// codeOwnersPaths are where GitLab looks for CODEOWNERS, in its order.
func codeOwnersPaths() []string {
	return []string{"CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"}
}

// report is the part of the report every outcome of the MR shares.
func (w *mrWork) report() templates.Report {
	return templates.Report{
		Host: policies.GitLab, Repo: w.repo, Number: w.iid, HeadSHA: w.mr.SHA, BaseBranch: w.mr.TargetBranch,
		PolicyFile: review.PolicyFile, PolicyRevision: w.policy.Revision,
	}
}

// evaluateAndPublish judges the MR and publishes the outcome: the commit
// status, the sticky note, then the records.
func (w *mrWork) evaluateAndPublish(ctx context.Context) error {
	var (
		o      review.Outcome
		v      policies.Verdict
		change *policies.Change
	)
	switch lp := w.policy; {
	case lp.Missing:
		o = review.NoPolicy(w.report())
	case lp.Invalid != nil:
		o = review.InvalidPolicy(w.report(), lp.Invalid)
	default:
		var err error
		if change, err = w.change(ctx); err != nil {
			return err
		}
		v = policies.Evaluate(lp.Policy, change, w.a.cfg.Now())
		o = review.Evaluated(w.report(), v)
	}
	if err := w.a.publishStatus(ctx, w.pid, w.repo, w.mr.SHA, review.CheckName(w.mr.TargetBranch), o.Conclusion, o.Title(maxDescription), w.mr.WebURL); err != nil {
		return err
	}
	w.state.CheckBase = w.mr.TargetBranch
	if err := w.publishNote(ctx, o); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Str("conclusion", string(o.Conclusion)).Str("policy_revision", w.policy.Revision).Msg("evaluated")
	return w.record(ctx, v, change, o.Conclusion)
}

// change reads the facts the policy needs, concurrently, and builds the
// Change.
func (w *mrWork) change(ctx context.Context) (*policies.Change, error) {
	a, p := w.a, w.policy.Policy
	needs := p.Needs()
	in := ChangeInput{MR: w.mr, Repo: w.repo, IsBot: a.isBot}
	in.MR.Labels = gl.Labels(w.labels)
	g, gctx := errgroup.WithContext(ctx)
	if needs.Has(policies.NeedReviews) {
		g.Go(func() (err error) {
			// GET /projects/:id/merge_requests/:iid/approvals
			in.Approvals, _, err = a.gl.MergeRequests.GetMergeRequestApprovals(w.pid, int64(w.iid), gl.WithContext(gctx))
			if err != nil {
				return fmt.Errorf("reading the approvals of %s: %w", w.ref(), err)
			}
			return nil
		})
	}
	if needs.Has(policies.NeedComments) {
		g.Go(func() (err error) {
			in.Notes, err = w.readNotes(gctx)
			return err
		})
	}
	if needs.Has(policies.NeedLabelEvents) && p.Hotfix != nil && review.HasLabel(w.labels, p.Hotfix.Label) {
		g.Go(func() (err error) {
			// GET /projects/:id/merge_requests/:iid/resource_label_events
			in.LabelEvents, err = w.labelEvents(gctx)
			return err
		})
	}
	if needs.Has(policies.NeedFiles) || needs.Has(policies.NeedHeads) {
		g.Go(func() error {
			opt := &gl.ListMergeRequestDiffsOptions{ListOptions: gl.ListOptions{PerPage: 100}}
			in.Diffs = []*gl.MergeRequestDiff{}
			for {
				diffs, resp, err := a.gl.MergeRequests.ListMergeRequestDiffs(w.pid, int64(w.iid), opt, gl.WithContext(gctx))
				if err != nil {
					return fmt.Errorf("reading the changed files of %s: %w", w.ref(), err)
				}
				in.Diffs = append(in.Diffs, diffs...)
				if resp.NextPage == 0 {
					return nil
				}
				opt.Page = resp.NextPage
			}
		})
	}
	if needs.Has(policies.NeedCommits) {
		g.Go(func() error {
			opt := &gl.GetMergeRequestCommitsOptions{ListOptions: gl.ListOptions{PerPage: 100}}
			in.Commits = []*gl.Commit{}
			for {
				commits, resp, err := a.gl.MergeRequests.GetMergeRequestCommits(w.pid, int64(w.iid), opt, gl.WithContext(gctx))
				if err != nil {
					return fmt.Errorf("reading the commits of %s: %w", w.ref(), err)
				}
				in.Commits = append(in.Commits, commits...)
				if resp.NextPage == 0 {
					return nil
				}
				opt.Page = resp.NextPage
			}
		})
	}
	if needs.Has(policies.NeedChecks) {
		g.Go(func() (err error) {
			// GET /projects/:id/repository/commits/:sha/statuses
			in.Statuses, _, err = a.gl.Commits.GetCommitStatuses(w.pid, w.mr.SHA, &gl.GetCommitStatusesOptions{All: gl.Ptr(true)}, gl.WithContext(gctx))
			if err != nil {
				return fmt.Errorf("reading the statuses of %s on %s: %w", w.mr.SHA, w.ref(), err)
			}
			return nil
		})
	}
	if needs.Has(policies.NeedPermissions) {
		g.Go(func() (err error) {
			in.Permissions, err = w.permissions(gctx)
			return err
		})
	}
	if needs.Has(policies.NeedTeams) {
		g.Go(func() (err error) {
			in.Teams, err = w.a.groups(gctx, p.Teams())
			return err
		})
	}
	if needs.Has(policies.NeedCodeOwners) {
		g.Go(func() (err error) {
			in.CodeOwners, err = w.codeOwners(gctx)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if needs.Has(policies.NeedHeads) {
		heads, err := w.heads(ctx, in)
		if err != nil {
			return nil, err
		}
		in.Heads = heads
	}
	c := BuildChange(in)
	records, err := a.cfg.Store.CommandsOf(ctx, policies.GitLab, w.repo, w.iid)
	if err != nil {
		return nil, err
	}
	c.Comments = review.AsWritten(c.Comments, records)
	return c, nil
}

// labelEvents lists the MR's resource label events, page by page.
func (w *mrWork) labelEvents(ctx context.Context) ([]*gl.LabelEvent, error) {
	opt := &gl.ListLabelEventsOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	var out []*gl.LabelEvent
	for {
		page, resp, err := w.a.gl.ResourceLabelEvents.ListMergeRequestsLabelEvents(w.pid, int64(w.iid), opt, gl.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading the label events of %s: %w", w.ref(), err)
		}
		out = append(out, page...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// heads records the MR's current head with the digest of its diffs, then
// reads every head it had.
func (w *mrWork) heads(ctx context.Context, in ChangeInput) ([]policies.Head, error) {
	h := store.Head{SHA: w.mr.SHA, Content: diffDigest(in.Diffs), Since: pushedAt(in, w.a.cfg.Now())}
	return review.Heads(ctx, w.a.cfg.Store, policies.GitLab, w.repo, w.iid, h)
}

// diffDigest digests what an MR changes: each file's paths, flags and diff.
// Two heads with the same digest change the same files the same way. ""
// when nothing was listed: such a head matches no other.
func diffDigest(diffs []*gl.MergeRequestDiff) string {
	if len(diffs) == 0 {
		return ""
	}
	lines := make([]string, 0, len(diffs))
	for _, d := range diffs {
		sum := sha256.Sum256([]byte(d.Diff))
		lines = append(lines, fmt.Sprintf("%s\x00%s\x00%t%t%t\x00%x", d.OldPath, d.NewPath, d.NewFile, d.RenamedFile, d.DeletedFile, sum[:8]))
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:16])
}

// groups reads the members of the groups a policy names as `@group/sub`
// entries, inherited ones included: GET /groups/:id/members/all. A group
// that does not exist (or the token cannot see) has no members.
func (a *App) groups(ctx context.Context, paths []string) (policies.TeamMap, error) {
	teams := policies.TeamMap{}
	for _, path := range paths {
		opt := &gl.ListGroupMembersOptions{ListOptions: gl.ListOptions{PerPage: 100}}
		for {
			members, resp, err := a.gl.Groups.ListAllGroupMembers(path, opt, gl.WithContext(ctx))
			if isNotFound(resp, err) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("reading the members of the group %s: %w", path, err)
			}
			for _, m := range members {
				teams[path] = append(teams[path], m.Username)
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
	}
	return teams, nil
}

// readNotes reads the MR's notes, oldest first:
// GET /projects/:id/merge_requests/:iid/notes.
func (w *mrWork) readNotes(ctx context.Context) ([]*gl.Note, error) {
	if w.notes != nil {
		return w.notes, nil
	}
	opt := &gl.ListMergeRequestNotesOptions{ListOptions: gl.ListOptions{PerPage: 100}, OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc")}
	notes := []*gl.Note{}
	for {
		page, resp, err := w.a.gl.Notes.ListMergeRequestNotes(w.pid, int64(w.iid), opt, gl.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading the notes of %s: %w", w.ref(), err)
		}
		notes = append(notes, page...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	w.notes = notes
	return notes, nil
}

// codeOwners reads the target branch's CODEOWNERS, nil when there is none.
func (w *mrWork) codeOwners(ctx context.Context) (*policies.CodeOwners, error) {
	for _, path := range codeOwnersPaths() {
		data, resp, err := w.a.gl.RepositoryFiles.GetRawFile(w.pid, path, &gl.GetRawFileOptions{Ref: gl.Ptr(w.mr.TargetBranch)}, gl.WithContext(ctx))
		switch {
		case isNotFound(resp, err):
			continue
		case err != nil:
			return nil, fmt.Errorf("reading %s of %s: %w", path, w.repo, err)
		}
		co, err := policies.ParseCodeOwners(data)
		if err != nil {
			return nil, fmt.Errorf("parsing %s of %s: %w", path, w.repo, err)
		}
		return co, nil
	}
	return nil, nil
}

// statusState maps a conclusion onto a commit status state.
func statusState(c review.Conclusion) gl.BuildStateValue {
	switch c {
	case review.Success:
		return gl.Success
	case review.Pending:
		return gl.Pending
	case review.Neutral:
		return gl.Skipped
	}
	return gl.Failed
}

// publishStatus sets the commit status name on sha unless what it would
// say is what it said last: POST /projects/:id/statuses/:sha.
func (a *App) publishStatus(ctx context.Context, pid any, repo, sha, name string, c review.Conclusion, description, targetURL string) error {
	state := statusState(c)
	key := repo + "@" + sha + ":" + name
	digest := review.Digest(state, description, targetURL)
	a.mu.Lock()
	same := a.statuses[key] == digest
	a.mu.Unlock()
	if same {
		return nil
	}
	opt := &gl.SetCommitStatusOptions{State: state, Name: gl.Ptr(name), Description: gl.Ptr(review.Truncate(description, maxDescription))}
	if targetURL != "" {
		opt.TargetURL = gl.Ptr(targetURL)
	}
	if _, _, err := a.gl.Commits.SetCommitStatus(pid, sha, opt, gl.WithContext(ctx)); err != nil {
		return fmt.Errorf("setting the status %s of %s on %s: %w", name, sha, repo, err)
	}
	a.mu.Lock()
	if len(a.statuses) > 10_000 {
		clear(a.statuses) // a cache only: at worst a status is set again
	}
	a.statuses[key] = digest
	a.mu.Unlock()
	return nil
}

// publishNote keeps the one sticky note in step: it edits it only when
// its text changes, finds it by its marker when the state lost it, and
// creates it when o asks for it and there is none:
// PUT /projects/:id/merge_requests/:iid/notes/:note_id or
// POST /projects/:id/merge_requests/:iid/notes.
func (w *mrWork) publishNote(ctx context.Context, o review.Outcome) error {
	a := w.a
	body, err := o.CommentBody(maxNoteBody)
	if err != nil {
		return err
	}
	digest := review.Digest(body)
	if w.state.CommentID == 0 {
		if err := w.findNote(ctx); err != nil {
			return err
		}
	}
	if id := w.state.CommentID; id != 0 {
		if w.state.CommentDigest == digest {
			return nil
		}
		_, resp, err := a.gl.Notes.UpdateMergeRequestNote(w.pid, int64(w.iid), id, &gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
		switch {
		case err == nil:
			w.state.CommentDigest = digest
			return nil
		case !isNotFound(resp, err):
			return fmt.Errorf("editing the summary note of %s: %w", w.ref(), err)
		}
		w.state.CommentID, w.state.CommentDigest = 0, "" // deleted by someone
	}
	if !o.Comment {
		return nil
	}
	n, _, err := a.gl.Notes.CreateMergeRequestNote(w.pid, int64(w.iid), &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("creating the summary note of %s: %w", w.ref(), err)
	}
	w.state.CommentID, w.state.CommentDigest = n.ID, digest
	return nil
}

// findNote looks for Shipgate's sticky note among the MR's notes: one that
// starts with the marker, written by Shipgate's own user.
func (w *mrWork) findNote(ctx context.Context) error {
	notes, err := w.readNotes(ctx)
	if err != nil {
		return err
	}
	self, err := w.a.selfName(ctx)
	if err != nil {
		return err
	}
	for _, n := range notes {
		if strings.EqualFold(n.Author.Username, self) && strings.HasPrefix(n.Body, templates.CommentMarker) {
			w.state.CommentID, w.state.CommentDigest = n.ID, review.Digest(n.Body)
			return nil
		}
	}
	return nil
}

// record saves the evaluation, its audit entry and the MR's state.
func (w *mrWork) record(ctx context.Context, v policies.Verdict, c *policies.Change, conclusion review.Conclusion) error {
	a := w.a
	now := a.cfg.Now()
	last := w.events[len(w.events)-1]
	if err := (review.Evaluation{
		Host: policies.GitLab, Repo: w.repo, Number: w.iid, HeadSHA: w.mr.SHA, PolicyRevision: w.policy.Revision,
		Change: c, Verdict: v, Conclusion: conclusion, Actor: last.Sender, DeliveryID: last.DeliveryID,
		Events: len(w.events), At: now,
	}).Record(ctx, a.cfg.Store, &w.state); err != nil {
		return err
	}
	return review.ScheduleFreezeChange(ctx, a.cfg.Acceptor, policies.GitLab, w.repo, w.mr.TargetBranch, w.policy.Policy, now)
}

// ChangeJob is the review.ChangeJob of GitLab: the evaluation of an MR
// again, for reason (the job's kind and action).
func ChangeJob(repo string, iid int, reason, cause string) (store.Job, error) {
	payload, err := json.Marshal(Event{Kind: reason, Action: reason, Repo: repo, IID: iid, DeliveryID: cause})
	if err != nil {
		return store.Job{}, err
	}
	return store.Job{Kind: KindMR, Key: KeyMR(repo, iid), Payload: payload}, nil
}

// publishFailure tells the MR that Shipgate could not evaluate it, after
// the last try failed: a failed status that says why. Its own failure is
// only logged.
func (w *mrWork) publishFailure(ctx context.Context, cause error) {
	log := zerolog.Ctx(ctx)
	sha, url, base := "", "", w.state.BaseBranch
	for _, e := range w.events {
		if e.HeadSHA != "" {
			sha = e.HeadSHA
		}
	}
	if w.mr != nil {
		sha, url, base = w.mr.SHA, w.mr.WebURL, w.mr.TargetBranch
	}
	if sha == "" {
		log.Error().Err(cause).Msg("evaluation failed for good, and the head SHA is unknown: no status published")
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	rep := templates.Report{Host: policies.GitLab, Repo: w.repo, Number: w.iid, HeadSHA: sha, BaseBranch: base, PolicyFile: review.PolicyFile}
	o := review.Failed(rep, cause)
	if err := w.a.publishStatus(ctx, w.pid, w.repo, sha, review.CheckName(base), o.Conclusion, o.Title(maxDescription), url); err != nil {
		log.Error().Err(err).AnErr("cause", cause).Msg("publishing the failure status")
		return
	}
	log.Error().Err(cause).Msg("evaluation failed for good: failure status published")
}

// policyChanged queues an evaluation of every open MR into the branch
// whose policy a push may have changed: GET /projects/:id/merge_requests
// ?state=opened&target_branch=.
func (a *App) policyChanged(ctx context.Context, e Event) error {
	if a.cfg.Acceptor == nil {
		return fmt.Errorf("no Acceptor to queue the MRs into %s of %s", e.Branch, e.Repo)
	}
	opt := &gl.ListProjectMergeRequestsOptions{ListOptions: gl.ListOptions{PerPage: 100}, State: gl.Ptr("opened"), TargetBranch: gl.Ptr(e.Branch)}
	var jobs []store.Job
	for {
		mrs, resp, err := a.gl.MergeRequests.ListProjectMergeRequests(e.ProjectID, opt, gl.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("listing the open MRs into %s of %s: %w", e.Branch, e.Repo, err)
		}
		for _, mr := range mrs {
			je := Event{Kind: "policy_changed", Action: "policy_changed", ProjectID: e.ProjectID, Repo: e.Repo, DefaultBranch: e.DefaultBranch,
				IID: int(mr.IID), HeadSHA: mr.SHA, Sender: e.Sender, DeliveryID: e.DeliveryID, At: e.At}
			payload, err := json.Marshal(je)
			if err != nil {
				return fmt.Errorf("encoding a job: %w", err)
			}
			jobs = append(jobs, store.Job{Kind: KindMR, Key: KeyMR(e.Repo, je.IID), Payload: payload})
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if len(jobs) == 0 {
		return nil
	}
	// A delivery of its own, so that a retried fan-out queues nothing twice.
	_, err := a.cfg.Acceptor.Accept(ctx, store.Delivery{Host: string(policies.GitLab), ID: e.DeliveryID + "/policy_changed/" + e.Branch,
		Event: "push", Action: "policy_changed", Payload: []byte("{}")}, jobs...)
	if err != nil {
		return fmt.Errorf("queueing %d MRs into %s of %s: %w", len(jobs), e.Branch, e.Repo, err)
	}
	zerolog.Ctx(ctx).Info().Int("mrs", len(jobs)).Str("branch", e.Branch).Msg("policy changed: MRs queued")
	return nil
}

// withdraw replaces the verdict the MR last published, for the target it
// had then, with a failed status that says why (it was retargeted, or
// closed unmerged): a status belongs to a commit, and that verdict must
// not let another MR of the same head into that branch merge unjudged.
// The other open MRs on the commit are then queued to publish their own.
func (w *mrWork) withdraw(ctx context.Context, why string) error {
	st := &w.state
	sha, base := st.LastEvaluatedSHA, st.CheckBase
	if sha == "" || base == "" {
		return nil
	}
	rep := templates.Report{Host: policies.GitLab, Repo: w.repo, Number: w.iid, HeadSHA: sha, BaseBranch: base, PolicyFile: review.PolicyFile}
	o := review.Withdrawn(rep, why)
	if err := w.a.publishStatus(ctx, w.pid, w.repo, sha, review.CheckName(base), o.Conclusion, o.Title(maxDescription), w.mr.WebURL); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Str("base", base).Str("why", why).Msg("verdict withdrawn")
	st.CheckBase = ""
	if err := w.a.cfg.Store.PutPR(ctx, *st); err != nil {
		return err
	}
	return review.RequeueOthers(ctx, w.a.cfg.Store, w.a.cfg.Acceptor, ChangeJob, policies.GitLab, w.repo, w.iid, sha, w.a.cfg.Now())
}
