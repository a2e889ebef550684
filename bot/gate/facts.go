package gate

import (
	"context"
	"slices"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/errgroup"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
)

// maxParallel bounds the concurrent role reads of one evaluation.
const maxParallel = 8

// seenFor is how long what an evaluation saw is reused: a missed webhook
// cannot keep it wrong for longer.
const seenFor = time.Hour

// seen is a change as the last evaluation in this process saw it.
// evaluatedAt is the PRState.LastEvaluatedAt that evaluation stored: it is
// only reused while no other replica has evaluated the change since.
type seen struct {
	evaluatedAt time.Time
	snap        Snapshot
	// reviews and comments are nil when the evaluation did not read them;
	// comments are as the host lists them (not AsWritten).
	reviews  []policies.Review
	comments []policies.Comment
	pushedAt time.Time
}

func newSeen() *lru.Cache[string, seen] {
	c, _ := lru.New[string, seen](1024) // only a non-positive size fails
	return c
}

// seen returns what the last evaluation of the change saw, if this process
// made it, no other replica evaluated since, it is recent, and no event of
// the batch asks to read everything again.
func (w *work) seen() (seen, bool) {
	g := w.g
	sn, ok := g.seen.Get(Key(g.host, w.repo.Name(), w.number))
	if !ok || w.state.State != store.PROpen || w.state.LastEvaluatedAt.IsZero() || !sn.evaluatedAt.Equal(w.state.LastEvaluatedAt) ||
		g.cfg.Now().Sub(sn.evaluatedAt) > seenFor {
		return seen{}, false
	}
	for _, e := range w.events {
		if e.Kind == KindRecheck && e.Action == ActionReconcile {
			return seen{}, false
		}
	}
	return sn, true
}

// known are the facts the batch need not read. A change just opened has
// no reviews and no comments but those whose events the batch holds; and
// the reviews and comments the last evaluation read still hold, with the
// batch's review and comment events applied, when the host sends an event
// for every review and comment created, edited or deleted (Host.Complete).
func (w *work) known() Known {
	var k Known
	var reviews []policies.Review
	var comments []policies.Comment
	if first := w.events[0]; first.Kind == KindChange && first.Action == ActionOpened {
		reviews, comments = []policies.Review{}, []policies.Comment{}
	} else if sn, ok := w.seen(); ok {
		reviews, comments = sn.reviews, sn.comments
	}
	if reviews != nil {
		k.Reviews = applyReviewEvents(reviews, w.events, w.self)
	}
	if comments != nil {
		k.Comments = applyCommentEvents(comments, w.events, w.self)
	}
	k.PushedAt = w.headPushedAt()
	return k
}

// headPushedAt is when the head was pushed: the time of the batch's newest
// push event of that head; for a change just opened, its creation (no
// command can be older); else what the last evaluation knew. Zero when
// unknown: the host's own sign (a commit date, a push note) stands in.
func (w *work) headPushedAt() time.Time {
	head := w.snap.HeadSHA
	for i := len(w.events) - 1; i >= 0; i-- {
		if e := w.events[i]; e.Pushed && e.HeadSHA == head {
			return e.At
		}
	}
	if first := w.events[0]; first.Kind == KindChange && first.Action == ActionOpened && first.HeadSHA == head {
		return w.snap.CreatedAt
	}
	if sn, ok := w.seen(); ok && sn.snap.HeadSHA == head {
		return sn.pushedAt
	}
	if w.state.LastEvaluatedSHA == head && !w.state.HeadPushedAt.IsZero() {
		return w.state.HeadPushedAt // remembered across restarts and replicas
	}
	return time.Time{}
}

// applyReviewEvents returns reviews with the batch's review events applied,
// leaving reviews unchanged.
func applyReviewEvents(reviews []policies.Review, events []Event, self string) []policies.Review {
	out := slices.Clone(reviews)
	for _, e := range events {
		r := e.Review
		if r == nil {
			continue
		}
		pr := policies.Review{ID: r.ID, Author: markSelf(r.Author, self), State: r.State, CommitSHA: r.CommitSHA, SubmittedAt: r.SubmittedAt}
		if i := slices.IndexFunc(out, func(have policies.Review) bool { return have.ID == r.ID }); i >= 0 {
			out[i] = pr
		} else {
			out = append(out, pr)
		}
	}
	return out
}

// applyCommentEvents returns comments with the batch's comment events
// applied, leaving comments unchanged.
func applyCommentEvents(comments []policies.Comment, events []Event, self string) []policies.Comment {
	out := slices.Clone(comments)
	for _, e := range events {
		c := e.Comment
		if c == nil {
			continue
		}
		i := slices.IndexFunc(out, func(have policies.Comment) bool { return have.ID == c.ID })
		pc := policies.Comment{ID: c.ID, Author: markSelf(policies.Actor{Login: c.Author, Bot: c.Bot}, self), Body: c.Body,
			CreatedAt: c.CreatedAt, Edited: c.Edited || c.UpdatedAt.After(c.CreatedAt)}
		switch {
		case c.Deleted && i >= 0:
			out = slices.Delete(out, i, i+1)
		case c.Deleted:
		case i >= 0:
			out[i] = pc
		default:
			out = append(out, pc)
		}
	}
	return out
}

// markSelf marks Shipgate's own account as a bot, whatever type the host
// gives it (a token's user).
func markSelf(a policies.Actor, self string) policies.Actor {
	a.Bot = a.Bot || self != "" && policies.SameLogin(a.Login, self)
	return a
}

// judge builds changes the way the bot judges them, for one repository.
type judge struct {
	repo Repo
	host policies.Host
	// self is Shipgate's own login, "" when unknown (the Action).
	self string
	// st, when set, gives the commands as written and the heads a change
	// had; now is the clock for a head first seen.
	st  Store
	now time.Time
	// records verifies cited change records (nil: not done); fresh asks
	// for answers read now.
	records RecordVerifier
	fresh   bool
}

// change builds the Change of snap with the facts p needs beyond k:
// Shipgate's own account marked as a bot, the roles of the people who
// decide, and with a store the commands as their comments were written
// (review.AsWritten) and the heads the change had, the current one
// recorded first. listed are the comments as the host lists them (nil when
// not read).
func (j judge) change(ctx context.Context, snap Snapshot, p *policies.Policy, k Known) (c *policies.Change, listed []policies.Comment, err error) {
	f, err := j.repo.Facts(ctx, snap, p, k)
	if err != nil {
		return nil, nil, err
	}
	c = f.Change
	j.markBots(c)
	listed = c.Comments
	if !k.PushedAt.IsZero() {
		c.HeadPushedAt = k.PushedAt
	}
	if j.st != nil {
		if err := j.history(ctx, c, p, f.Content); err != nil {
			return nil, nil, err
		}
	}
	if p.Needs().Has(policies.NeedPermissions) {
		if c.Permissions, err = j.roles(ctx, deciders(c, p)); err != nil {
			return nil, nil, err
		}
	}
	// After the roles: a `/change ID` cites a record only when authorised.
	j.addRecords(ctx, c, p)
	return c, listed, nil
}

// history adds what the store knows of c: its heads (the current one
// recorded first, seen since its push) and its commands as written.
func (j judge) history(ctx context.Context, c *policies.Change, p *policies.Policy, content string) error {
	if p.Needs().Has(policies.NeedHeads) {
		since := c.HeadPushedAt
		if since.IsZero() {
			since = j.now
		}
		heads, err := review.Heads(ctx, j.st, j.host, j.repo.Name(), c.Number, store.Head{SHA: c.HeadSHA, Content: content, Since: since})
		if err != nil {
			return err
		}
		c.Heads = heads
	}
	records, err := j.st.CommandsOf(ctx, j.host, j.repo.Name(), c.Number)
	if err != nil {
		return err
	}
	c.Comments = review.AsWritten(c.Comments, records)
	return nil
}

// markBots marks Shipgate's own account as a bot wherever it appears.
func (j judge) markBots(c *policies.Change) {
	if j.self == "" {
		return
	}
	c.Author = markSelf(c.Author, j.self)
	for i := range c.Reviews {
		c.Reviews[i].Author = markSelf(c.Reviews[i].Author, j.self)
	}
	for i := range c.Comments {
		c.Comments[i].Author = markSelf(c.Comments[i].Author, j.self)
	}
	for i := range c.LabelEvents {
		c.LabelEvents[i].Actor = markSelf(c.LabelEvents[i].Actor, j.self)
	}
}

// deciders are the people whose role can matter to the verdict: authors of
// comments with commands, reviewers who approved or requested changes (a
// rule that takes anyone who may push counts both by their role), and who
// added the hotfix label.
func deciders(c *policies.Change, p *policies.Policy) []string {
	seen := map[string]bool{}
	var out []string
	add := func(a policies.Actor) {
		l := strings.ToLower(a.Login)
		if l != "" && !a.Bot && !seen[l] {
			seen[l] = true
			out = append(out, a.Login)
		}
	}
	for _, cm := range c.Comments {
		if len(cm.Commands) > 0 || len(policies.ParseCommands(cm.Body)) > 0 {
			add(cm.Author)
		}
	}
	for _, r := range c.Reviews {
		if r.State == policies.ReviewApproved || r.State == policies.ReviewChangesRequested {
			add(r.Author)
		}
	}
	if p.Hotfix != nil {
		for _, e := range c.LabelEvents {
			if e.Added && strings.EqualFold(e.Label, p.Hotfix.Label) {
				add(e.Actor)
			}
		}
	}
	return out
}

// roles reads the repository role of each login, concurrently.
func (j judge) roles(ctx context.Context, logins []string) (map[string]policies.Permission, error) {
	out := make(map[string]policies.Permission, len(logins))
	perms := make([]policies.Permission, len(logins))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i, l := range logins {
		g.Go(func() (err error) {
			perms[i], err = j.repo.Role(gctx, l)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, l := range logins {
		out[strings.ToLower(l)] = perms[i]
	}
	return out, nil
}
