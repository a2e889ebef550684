package gate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shipgate/shipgate/bot/review"
	"github.com/shipgate/shipgate/policies"
)

// ErrNoPolicy is Check's error when the base branch has no policy file.
var ErrNoPolicy = errors.New("no policy file on the base branch")

// Loaded is the policy of a base branch, as far as it could be read.
type Loaded struct {
	// Policy is nil when the file is missing or invalid.
	Policy *policies.Policy
	// Revision is the file's blob SHA ("" when missing).
	Revision string
	// Missing is true when the branch has no policy file.
	Missing bool
	// Invalid is policies.Load's error for a file with errors.
	Invalid error
	// Bases are the policies it extends, nearest first (also when one
	// could not be read); Default tells that it is the organisation's
	// default policy (the repository has none).
	Bases   []policies.Source
	Default bool
	// Locked tells that the policy or a base locks something.
	Locked bool
	// File names the policy read in reports: "" for the repository's own
	// file, the default policy's source for a default.
	File string
}

// LoadPolicy reads the policy file at path on ref (a branch, never a
// change's head, so that a change cannot weaken the policy it is judged
// by; a tag or a SHA; "" for the default branch) and loads it over the
// bases it extends (read through the host: BaseReader); a repository
// without the file gets its organisation's default policy, if any.
func LoadPolicy(ctx context.Context, repo Repo, path, ref string) (Loaded, error) {
	content, revision, found, err := repo.ReadFile(ctx, path, ref)
	switch {
	case err != nil:
		return Loaded{}, fmt.Errorf("reading the policy of %s: %w", repo.Name(), err)
	case !found:
		return loadDefault(ctx, repo)
	}
	lp, err := loadExtended(ctx, repo, path, policies.Source{Repo: repo.Name(), Path: path, Ref: ref}, content, revision)
	if err != nil || lp.Policy == nil {
		return lp, err
	}
	return bindToDefault(ctx, repo, path, content, lp)
}

// CheckOptions say where Check reads the policy.
type CheckOptions struct {
	// PolicyFile is the policy's path (default review.PolicyFile).
	PolicyFile string
	// AtBaseSHA reads the policy at the change's base commit rather than at
	// the tip of its base branch: the Action judges the commit its run was
	// started for.
	AtBaseSHA bool
	// Self is Shipgate's own login, "" when unknown: its comments are a
	// bot's.
	Self string
	// Records verifies the change records the change cites when the
	// policy asks (nil: verification is not done, and the rule waits).
	Records RecordVerifier
}

// Checked is what Check read and decided.
type Checked struct {
	Verdict policies.Verdict
	// Change is set whenever the change could be read (without facts when
	// there is no valid policy).
	Change *policies.Change
	// PolicyRevision is the policy file's blob SHA ("" when missing).
	PolicyRevision string
}

// Check judges a live change the way the bot does and publishes nothing:
// the change, the policy from its base, the facts the policy needs, at
// now. It is what `shipgate check`, the Action and merge queues run, on
// every host. The error wraps ErrNoPolicy when the base has no policy, and
// the policy's *policies.FieldError list (policies.FieldErrors) when it is
// invalid.
func Check(ctx context.Context, repo Repo, number int, now func() time.Time, o CheckOptions) (Checked, error) {
	snap, err := repo.ReadChange(ctx, number)
	if err != nil {
		return Checked{}, err
	}
	file, ref := o.PolicyFile, snap.Base
	if file == "" {
		file = review.PolicyFile
	}
	if o.AtBaseSHA && snap.BaseSHA != "" {
		ref = snap.BaseSHA
	}
	out := Checked{Change: snap.Change(repo.Host(), repo.Name())}
	lp, err := LoadPolicy(ctx, repo, file, ref)
	out.PolicyRevision = lp.Revision
	switch {
	case err != nil:
		return out, err
	case lp.Missing:
		return out, fmt.Errorf("%s#%d: %w %s", repo.Name(), number, ErrNoPolicy, snap.Base)
	case lp.Invalid != nil:
		return out, fmt.Errorf("the policy of %s on %s is invalid: %w", repo.Name(), snap.Base, lp.Invalid)
	}
	j := judge{repo: repo, host: repo.Host(), self: o.Self, records: o.Records, fresh: true}
	if out.Change, _, err = j.change(ctx, snap, lp.Policy, Known{}); err != nil {
		return out, err
	}
	out.Verdict = policies.Evaluate(lp.Policy, out.Change, now())
	return out, nil
}
