package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/shipgate/shipgate/bot/store"
	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// MergedChange is a change (PR/MR) merged into the repository.
type MergedChange struct {
	Number int
	// Base is the branch it merged into; HeadSHA its head when it merged.
	Base, HeadSHA string
}

// ChangeTracer is a Releaser that can tell which changes brought a commit
// (tags.reviewed). A host adapter that cannot makes such a policy's tags
// refused: what is not known to have passed does not ship.
type ChangeTracer interface {
	// MergedChangesOf lists the merged changes that contain commit sha
	// (GitHub: the PRs associated with it; GitLab: the merge requests
	// that contain it).
	MergedChangesOf(ctx context.Context, sha string) ([]MergedChange, error)
}

// VerdictStore is the store's record of the verdicts it reached.
type VerdictStore interface {
	// VerdictAt is the last verdict of change number at head sha;
	// store.ErrNotFound when none was reached there.
	VerdictAt(ctx context.Context, host policies.Host, repo string, number int, sha string) ([]byte, error)
}

var _ VerdictStore = (*store.Store)(nil)

// maxTraced bounds the commits a release may add under tags.reviewed: each
// costs the host one request.
const maxTraced = 300

// releaseRefusal says why a valid version tag is nonetheless not a
// release, "" when it is: the main line's hotfixes are not all merged
// back, or (tags.reviewed) a commit since the previous version did not
// come through a change Shipgate passed.
func (g *Gate) releaseRefusal(ctx context.Context, r Releaser, p *policies.Policy, st policies.ReleaseSettings, repo string, check release.TagCheck) (string, error) {
	if refusal, err := g.mainLineRefusal(ctx, p, repo, check.OnBranches); err != nil || refusal != "" {
		return refusal, err
	}
	if !st.Reviewed {
		return "", nil
	}
	return g.unreviewed(ctx, r, repo, check.Since)
}

// unreviewed says which of commits came through no merged change whose
// verdict at its merged head passed, "" when each did. Fail closed: a host
// or store that cannot tell, or more commits than can be traced, refuse.
func (g *Gate) unreviewed(ctx context.Context, r Releaser, repo string, commits []policies.Commit) (string, error) {
	ct, okHost := r.(ChangeTracer)
	vs, okStore := g.cfg.Store.(VerdictStore)
	switch {
	case !okHost || !okStore:
		return "tags.reviewed asks that every commit came through a change Shipgate passed, and this host adapter cannot tell which changes brought a commit", nil
	case len(commits) > maxTraced:
		return fmt.Sprintf("tags.reviewed traces at most %d commits since the previous version, and this release adds more: release more often, or tag an earlier commit first", maxTraced), nil
	}
	traced, err := traceCommits(ctx, ct, commits)
	if err != nil {
		return "", err
	}
	v := vouching{g: g, vs: vs, r: r, repo: repo, passed: map[int]string{}}
	var bad []string
	for i, c := range commits {
		why, err := v.why(ctx, c, traced[i])
		if err != nil {
			return "", err
		}
		if why != "" {
			bad = append(bad, fmt.Sprintf("%.7s (%s)", c.SHA, why))
		}
	}
	if len(bad) == 0 {
		return "", nil
	}
	return fmt.Sprintf("%d %s since the previous version came through no %s Shipgate passed: %s (tags.reviewed): release only what passed the gate",
		len(bad), pluralNoun(len(bad), "commit"), g.host.ChangeAbbr(), strings.Join(bad, ", ")), nil
}

// traceCommits asks the host which merged changes hold each commit, a few
// at a time (a release may add hundreds).
func traceCommits(ctx context.Context, ct ChangeTracer, commits []policies.Commit) ([][]MergedChange, error) {
	out := make([][]MergedChange, len(commits))
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(8)
	for i, c := range commits {
		eg.Go(func() (err error) {
			out[i], err = ct.MergedChangesOf(ctx, c.SHA)
			return err
		})
	}
	return out, eg.Wait()
}

// vouching tells, commit by commit, whether a passing change brought it.
type vouching struct {
	g      *Gate
	vs     VerdictStore
	r      Releaser
	repo   string
	passed map[int]string // change → why it does not vouch ("" it does)
}

// why says why none of changes vouches for commit c, "" when one does. A
// commit whose Release-As footer sets the version counts only when the
// change carried that footer in a commit of its own: a squash message
// edited at the merge is a footer no check saw.
func (v *vouching) why(ctx context.Context, c policies.Commit, changes []MergedChange) (string, error) {
	why := "no merged " + v.g.host.ChangeAbbr()
	for _, m := range changes {
		w, seen := v.passed[m.Number]
		if !seen {
			var err error
			if w, err = v.g.changePassed(ctx, v.vs, v.repo, m); err != nil {
				return "", err
			}
			v.passed[m.Number] = w
		}
		if w != "" {
			why = w
			continue
		}
		return v.footerSeen(ctx, c, m.Number)
	}
	return why, nil
}

// footerSeen says why commit c's Release-As footer was not in change
// number's commits, "" when it was (or c has none).
func (v *vouching) footerSeen(ctx context.Context, c policies.Commit, number int) (string, error) {
	value, ok := policies.ReleaseAsFooter(c.Message)
	if !ok {
		return "", nil
	}
	ref := v.g.host.Ref(number)
	cr, ok := v.r.(CommitReader)
	if !ok {
		return fmt.Sprintf("its Release-As: %s cannot be traced to %s's commits", value, ref), nil
	}
	commits, err := cr.ChangeCommits(ctx, number)
	if err != nil {
		return "", err
	}
	for _, pc := range commits {
		if f, ok := policies.ReleaseAsFooter(pc.Message); pc.SHA == c.SHA || ok && f == value {
			return "", nil
		}
	}
	return fmt.Sprintf("Release-As: %s written at the merge: no commit of %s carried it", value, ref), nil
}

// changePassed says why merged change m does not vouch for its commits,
// "" when its last verdict at its merged head passed, on a gated base.
func (g *Gate) changePassed(ctx context.Context, vs VerdictStore, repo string, m MergedChange) (string, error) {
	ref := g.host.Ref(m.Number)
	raw, err := vs.VerdictAt(ctx, g.host, repo, m.Number, m.HeadSHA)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Sprintf("%s merged unjudged at %.7s", ref, m.HeadSHA), nil
	case err != nil:
		return "", err
	}
	var v policies.Verdict
	switch err := json.Unmarshal(raw, &v); {
	case err != nil:
		return ref + "'s verdict cannot be read", nil
	case !v.Gated:
		return fmt.Sprintf("%s into %s, a branch the policy does not gate", ref, m.Base), nil
	case v.Conclusion != policies.Success:
		return fmt.Sprintf("%s merged with its verdict %s", ref, v.Conclusion), nil
	}
	return "", nil
}
