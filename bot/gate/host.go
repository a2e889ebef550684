package gate

import (
	"context"
	"errors"
	"time"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// Host is one code host's adapter, as the gate drives it.
type Host interface {
	// Name is the host the adapter serves.
	Name() policies.Host
	// Identify returns the login Shipgate acts as (asked once, then
	// cached): its comments are never commands.
	Identify(ctx context.Context) (string, error)
	// Repo opens a session on one repository for one batch; scope is the
	// Event's (0: the host finds it).
	Repo(ctx context.Context, repo string, scope int64) (Repo, error)
	// Classify maps a host error onto the worker's retry policy: a
	// *bot.RetryError when the host said when to try again, a permanent
	// error when no retry can help, else err as it is. The gate calls it
	// once, on the batch's error.
	Classify(err error) error
	// CommentLimit is the longest comment body the host takes.
	CommentLimit() int
	// VerdictHoldsReport tells that the published verdict shows the whole
	// report (GitHub's check run), so that the sticky comment is only kept
	// when the policy asks for it (notify.comment: always).
	VerdictHoldsReport() bool
}

// Repo is a host's session on one repository, for one batch. Methods
// that call the host name the API operation in their implementation's
// comment; errors wrap what was being done.
type Repo interface {
	// Host is the repository's host; Name its path ("owner/name", GitLab:
	// with groups).
	Host() policies.Host
	Name() string
	// ReadChange reads a change as it is now.
	ReadChange(ctx context.Context, number int) (Snapshot, error)
	// ReadFile reads a file at a ref (a branch, a tag or a SHA; "" for the
	// default branch); found is false when there is none. revision
	// identifies the content (git's blob ID).
	ReadFile(ctx context.Context, path, ref string) (content []byte, revision string, found bool, err error)
	// Facts builds the Change of snap with the facts p needs that known
	// does not hold (the gate adds the roles of the people who decide, the
	// heads and the commands as written), and digests the change's content.
	Facts(ctx context.Context, snap Snapshot, p *policies.Policy, known Known) (Facts, error)
	// Role is a login's role on the repository (PermNone for a stranger).
	Role(ctx context.Context, login string) (policies.Permission, error)
	// SetLabels adds and removes labels (a label already gone is no
	// error).
	SetLabels(ctx context.Context, number int, add, remove []string) error
	// React acknowledges a comment's accepted commands (👍).
	React(ctx context.Context, number int, commentID int64) error
	// Comments lists the change's comments, oldest first.
	Comments(ctx context.Context, number int) ([]policies.Comment, error)
	// CreateComment posts a comment and returns its ID; EditComment
	// replaces one's body, ErrGone when it was deleted. Both cut the body
	// to the host's limit.
	CreateComment(ctx context.Context, number int, body string) (int64, error)
	EditComment(ctx context.Context, number int, id int64, body string) error
	// PublishVerdict publishes an outcome as the check run (GitHub) or
	// commit status (GitLab) named review.CheckName(t.Base) on t.SHA, and
	// returns what is published; prev is what the store says was
	// published for the change (so that an unchanged verdict is not
	// published again).
	PublishVerdict(ctx context.Context, t Target, o review.Outcome, prev Published) (Published, error)
	// OpenChanges lists the open changes into base ("" for every base),
	// most recently updated first.
	OpenChanges(ctx context.Context, base string) ([]Snapshot, error)
}

// CommentReader is a Repo whose comment events cannot be taken as sent:
// before it runs a comment's commands, the gate reads the comment's
// author, body and creation time from the host (GitLab: every project's
// webhook shares one secret token, so whoever configures one could forge
// another project's note hooks).
type CommentReader interface {
	// ReadComment reads comment id of change number; found is false when
	// there is no such comment on it. Edited tells that it changed since
	// it was created.
	ReadComment(ctx context.Context, number int, id int64) (c Comment, found bool, err error)
}

// ErrGone is returned by Repo.EditComment for a comment that was deleted.
var ErrGone = errors.New("the comment is gone")

// Known are facts the gate has already, so that the host does not read
// them again; nil slices are unknown.
type Known struct {
	Reviews  []policies.Review
	Comments []policies.Comment
	// PushedAt is when the head was pushed, zero when unknown (the host
	// may tell it from its data: a commit date, a push note).
	PushedAt time.Time
}

// Facts is what a host read of a change.
type Facts struct {
	// Change is the change with the facts the policy needs.
	Change *policies.Change
	// Content digests the change's files at its head ("" when unknown): two
	// heads with the same content carry the same approvals.
	Content string
}

// Target is what a verdict is published on.
type Target struct {
	Number int
	// SHA is the commit, Base the base branch (the verdict's name).
	SHA, Base string
	// URL links the verdict to the change (GitLab statuses).
	URL string
	// Fresh asks for a new check run rather than an edit of the change's
	// own: another change's withdrawn verdict on the commit may be newer.
	Fresh bool
	// Retried tells that an earlier try of the batch may have published a
	// verdict it could not record (its process died, or its lease was
	// taken over): a host that would create one looks for it first.
	Retried bool
}

// Published is what was published for a change's verdict, kept in its
// stored state.
type Published struct {
	// ID is the check run (GitHub; 0 for a GitLab status).
	ID int64
	// SHA and Base say what it was published on.
	SHA, Base string
	// Digest identifies what it says; Status is GitHub's run status
	// ("in_progress", "completed").
	Digest, Status string
}
