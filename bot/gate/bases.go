package gate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shipgate/shipgate/policies"
)

// BaseReader is a Repo that can read the policies a policy extends and
// knows its organisation's default policy. Every host adapter's Repo
// implements it; a Repo that does not reads no base (a policy with
// `extends` then fails closed) and has no default.
type BaseReader interface {
	// OpenRepo opens another repository of the host with this session's
	// credentials (GitHub: the same App installation), so that a base the
	// repository's own installation cannot read is an error, never read
	// with someone else's rights.
	OpenRepo(ctx context.Context, repo string) (Repo, error)
	// DefaultPolicy is the policy of a repository that has none: the
	// configured SHIPGATE_DEFAULT_POLICY, else the host's convention
	// (GitHub: OWNER/.github:shipgate.yml on its default branch);
	// explicit tells that it was configured (then a base that cannot be
	// read fails the check; a convention's absence means "none").
	DefaultPolicy() (src policies.Source, explicit, ok bool)
}

// errBaseMissing is a base the host says does not exist.
var errBaseMissing = errors.New("not found (or these credentials cannot read that repository: install Shipgate's App there, or give the Action or the CLI a token that can read it)")

// baseLoader reads bases for policies.LoadExtended through the host.
type baseLoader struct {
	ctx  context.Context
	repo Repo
	// revisions are the blob SHAs of the bases read, nearest first.
	revisions []string
	// hostErr is the first error of the host (not a missing file): the
	// load is retried rather than judged.
	hostErr error
}

// read reads src: in the repository at hand when src.Repo is its name,
// else through BaseReader.OpenRepo.
func (b *baseLoader) read(src policies.Source) ([]byte, error) {
	r := b.repo
	if src.Repo != "" && src.Repo != b.repo.Name() {
		br, ok := b.repo.(BaseReader)
		if !ok {
			return nil, fmt.Errorf("this host adapter reads no base in another repository")
		}
		var err error
		if r, err = br.OpenRepo(b.ctx, src.Repo); err != nil {
			b.hostErr = cmpErr(b.hostErr, err)
			return nil, err
		}
	}
	content, revision, found, err := r.ReadFile(b.ctx, src.Path, src.Ref)
	switch {
	case err != nil:
		b.hostErr = cmpErr(b.hostErr, err)
		return nil, err
	case !found:
		return nil, errBaseMissing
	}
	b.revisions = append(b.revisions, revision)
	return content, nil
}

// cmpErr is the first non-nil error.
func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// loadExtended loads content (the policy read at src, named file in
// messages) over its bases. A host error while reading a base is
// returned as the error (the job is retried, then fails closed); a
// missing base makes the policy invalid.
func loadExtended(ctx context.Context, repo Repo, file string, src policies.Source, content []byte, revision string) (Loaded, error) {
	b := &baseLoader{ctx: ctx, repo: repo}
	p, ext, err := policies.LoadExtended(file, src, content, b.read)
	out := Loaded{Revision: strings.Join(append([]string{revision}, b.revisions...), "+"), Bases: ext.Bases, Locked: ext.Locked}
	switch {
	case b.hostErr != nil:
		return out, fmt.Errorf("reading the base policies of %s: %w", repo.Name(), b.hostErr)
	case err != nil:
		out.Invalid = err
		return out, nil
	}
	p.Revision = out.Revision
	out.Policy = p
	return out, nil
}

// loadDefault loads the organisation's default policy for a repository
// that has none; Missing when there is no default.
func loadDefault(ctx context.Context, repo Repo) (Loaded, error) {
	br, ok := repo.(BaseReader)
	if !ok {
		return Loaded{Missing: true}, nil
	}
	src, explicit, ok := br.DefaultPolicy()
	if !ok {
		return Loaded{Missing: true}, nil
	}
	b := &baseLoader{ctx: ctx, repo: repo}
	content, err := b.read(src)
	switch {
	case b.hostErr != nil:
		return Loaded{}, fmt.Errorf("reading the default policy %s for %s: %w", src, repo.Name(), b.hostErr)
	case errors.Is(err, errBaseMissing) && !explicit:
		// The convention's file is absent: the organisation has no default.
		return Loaded{Missing: true, Bases: []policies.Source{src}}, nil
	case err != nil:
		return Loaded{Default: true, File: src.String(), Bases: []policies.Source{src}, Invalid: &policies.FieldError{File: src.String(),
			Msg: fmt.Sprintf("the default policy SHIPGATE_DEFAULT_POLICY=%s cannot be read: %s; fix the setting or the file, or add a policy to this repository", src, err)}}, nil
	}
	lp, err := loadExtended(ctx, repo, src.String(), src, content, b.revisions[0])
	lp.Default, lp.File = true, src.String()
	lp.Bases = append([]policies.Source{src}, lp.Bases...)
	return lp, err
}

// bindToDefault holds a repository's own policy (lp, loaded from content
// at file) to the default policy SHIPGATE_DEFAULT_POLICY names when that
// default locks anything: the policy must extend it — directly or through
// its bases, at a ref whose file is the default's as it is now — or it is
// invalid. Otherwise a repository would walk around the organisation's
// locks by adding a policy of its own that extends nothing (or an old
// copy). A default by the host's convention (GitHub's OWNER/.github) binds
// only the policies that extend it: reading it for every policy would
// cost an API call per evaluation wherever the organisation has none.
func bindToDefault(ctx context.Context, repo Repo, file string, content []byte, lp Loaded) (Loaded, error) {
	if br, ok := repo.(BaseReader); !ok {
		return lp, nil
	} else if _, explicit, ok := br.DefaultPolicy(); !ok || !explicit {
		return lp, nil
	}
	def, err := loadDefault(ctx, repo)
	if err != nil || def.Missing {
		return lp, err // a host error: retried, never judged without the default
	}
	// The default is recorded among the policy's bases: its change (a
	// lock added, or its fix) re-evaluates this repository too.
	extends := lp.Bases
	lp.Bases = append(slices.Clip(lp.Bases), def.Bases...)
	if def.Policy != nil && !def.Locked {
		return lp, nil
	}
	src := def.Bases[0]
	if def.Invalid != nil {
		lp.Policy, lp.Invalid = nil, atExtends(file, content, fmt.Sprintf(
			"the organisation's default policy %s is invalid, so whether its locks bind this policy is not known (fail closed): fix the default (%v)", src, def.Invalid))
		return lp, nil
	}
	// Extending it means reading its file as it is now: the blob of the
	// policy or of one of its bases is the default's (the default's own
	// repository may name its policy file; a blob not known binds).
	own, want := strings.Split(lp.Revision, "+"), strings.Split(def.Revision, "+")[0]
	if want != "" && slices.Contains(own, want) {
		return lp, nil
	}
	msg := fmt.Sprintf("the organisation's default policy %s locks rules that bind every repository's policy: extend it (`extends: %s`, or a base that extends it) and keep its locked values; without it the policy is not checked (fail closed)", src, src)
	if len(extends) > 0 {
		msg = fmt.Sprintf("the organisation's default policy %s locks rules that bind every repository's policy, and this one extends %s, which is not it as it is now: extend %s (or a base that extends it; a ref pinned to an older version of it does not count); without it the policy is not checked (fail closed)",
			src, sourceList(extends), src)
	}
	lp.Policy, lp.Invalid = nil, atExtends(file, content, msg)
	return lp, nil
}

// atExtends is a policy error at the file's `extends` key, or at its
// first line when it has none.
func atExtends(file string, content []byte, msg string) error {
	fe := &policies.FieldError{File: file, Line: 1, Column: 1, Path: "extends", Msg: msg}
	if _, pos, err := policies.Decode(file, content); err == nil {
		if at := pos.Lookup("extends"); at.Line > 0 {
			fe.Line, fe.Column = at.Line, at.Column
		}
	}
	return fe
}

// sourceList names sources for messages.
func sourceList(srcs []policies.Source) string {
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.String()
	}
	return strings.Join(names, " → ")
}
