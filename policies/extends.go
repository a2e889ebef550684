package policies

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// maxExtendsDepth bounds the chain of bases one policy pulls in.
const maxExtendsDepth = 5

// Source names a policy file: in a repository at a ref, or a local file.
type Source struct {
	// Repo is "owner/name" (GitLab: the project path, with its groups);
	// "" for a path of the repository or work tree at hand.
	Repo string
	// Path is the file's path in the repository (or the local path).
	Path string
	// Ref is a branch, a tag or a SHA; "" for the default branch.
	Ref string
}

// String is the form `extends:` takes: "owner/repo:path@ref", or the path.
func (s Source) String() string {
	if s.Repo == "" {
		return s.Path
	}
	out := s.Repo + ":" + s.Path
	if s.Ref != "" {
		out += "@" + s.Ref
	}
	return out
}

// sourceRepo matches a repository path: owner/name, GitLab groups between.
var sourceRepo = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$`)

// ParseSource reads the value of `extends:` (or SHIPGATE_DEFAULT_POLICY):
// "owner/repo:path@ref", "owner/repo:path" (default branch) or a bare
// path (Repo ""). The path must stay inside its repository.
func ParseSource(s string) (Source, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Source{}, fmt.Errorf("empty; write owner/repo:path@ref, e.g. acme/.github:shipgate.yml@main")
	}
	var src Source
	repo, rest, remote := strings.Cut(s, ":")
	if remote {
		if !sourceRepo.MatchString(repo) {
			return Source{}, fmt.Errorf("%s is not a repository path (owner/repo, GitLab: group/project); write owner/repo:path@ref", quoteValue(repo))
		}
		src.Repo = repo
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			rest, src.Ref = rest[:i], rest[i+1:]
			if src.Ref == "" || strings.ContainsAny(src.Ref, " \t~^:?*[\\") || strings.Contains(src.Ref, "..") {
				return Source{}, fmt.Errorf("%s is not a branch, tag or SHA", quoteValue(src.Ref))
			}
		}
	} else {
		rest = s
	}
	p := strings.TrimPrefix(rest, "./")
	// A bare path is one of the repository too: a leading / would let a
	// policy read any file of the machine that checks it (the CLI in CI).
	if p == "" || p != path.Clean(p) || strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") {
		return Source{}, fmt.Errorf("%s is not a clean path inside the repository (no .., no leading /)", quoteValue(rest))
	}
	src.Path = p
	return src, nil
}

// from makes ref, as written in the policy read from includer, absolute:
// a bare path is in includer's repository at includer's ref (a local file
// is relative to includer's directory).
func (ref Source) from(includer Source) Source {
	if ref.Repo != "" {
		return ref
	}
	if includer.Repo != "" {
		return Source{Repo: includer.Repo, Path: ref.Path, Ref: includer.Ref}
	}
	return Source{Path: path.Join(path.Dir(includer.Path), ref.Path)}
}

// Resolver reads the base policy src for LoadExtended. It does the I/O
// (the host's API, a file): policies stays pure. An error says why the
// file cannot be read, missing included.
type Resolver func(src Source) ([]byte, error)

// Extended is what LoadExtended read besides the policy.
type Extended struct {
	// Bases are the bases the policy extends, nearest first, as far as
	// they were named (also when one could not be read, so that a fix
	// of the base re-evaluates the policy's users).
	Bases []Source
	// Locked tells that the policy or one of its bases locks something
	// (a `locked` key or rule): an organisation's default that does binds
	// every repository's own policy to extend it.
	Locked bool
}

// LoadExtended loads the policy data read from src (file names it in
// messages) merged over the bases it extends, which resolve reads: the
// merge rules per key are those of mergeConfigs, and a base's locked
// rules and keys cannot be weakened. Errors are *FieldErrors as Load's,
// each naming the file it is about: a base's own problems name the base,
// a weakened lock names this file and the base's lock. A base that
// cannot be read, a cycle and a chain longer than maxExtendsDepth are
// errors at `extends` (fail closed: no policy is returned).
func LoadExtended(file string, src Source, data []byte, resolve Resolver) (*Policy, Extended, error) {
	cfg, pos, bad, locks, errs := decodeConfig(file, data)
	if cfg == nil || cfg.Extends == "" {
		// One file: Load's path, which compiles what decoded well.
		p, err := compileDecoded(file, cfg, pos, bad, errs)
		return p, Extended{Locked: len(locks) > 0 || (cfg != nil && len(cfg.Locked) > 0)}, err
	}
	l := &extLoader{resolve: resolve}
	top, errs := l.extend(file, src, cfg, pos, locks, errs, []string{src.String()})
	if len(errs) > 0 {
		return nil, l.out, joinFieldErrors(errs)
	}
	l.out.Locked = len(top.locks) > 0
	pos, files := top.pos.split()
	c := &policyCompiler{file: file, pos: pos, files: files, bad: map[string]bool{}}
	p := c.compile(top.cfg)
	if len(c.errs) > 0 {
		return nil, l.out, joinFieldErrors(c.errs)
	}
	return p, l.out, nil
}

// extLoader reads a chain of bases.
type extLoader struct {
	resolve Resolver
	out     Extended
}

// layer is one policy file decoded, or several merged: positions carry
// the file of each value.
type layer struct {
	cfg   *Config
	pos   filePositions
	locks map[string]lockMark
}

// filePos is a Position in a named file.
type filePos struct {
	Position
	File string
}

// filePositions are the Positions of a policy merged from several files.
type filePositions map[string]filePos

// lookup is Positions.Lookup.
func (p filePositions) lookup(path string) filePos {
	for {
		if at, ok := p[path]; ok || path == "" {
			return at
		}
		path = pathParent(path)
	}
}

// split returns the positions and the file of each path.
func (p filePositions) split() (Positions, map[string]string) {
	pos, files := make(Positions, len(p)), make(map[string]string, len(p))
	for k, at := range p {
		pos[k], files[k] = at.Position, at.File
	}
	return pos, files
}

// fileOf is the file of path's value: the nearest path placed in files,
// else the file being compiled.
func (c *policyCompiler) fileOf(path string) string {
	if c.files == nil {
		return c.file
	}
	for {
		if f, ok := c.files[path]; ok {
			return f
		}
		if path == "" {
			return c.file
		}
		path = pathParent(path)
	}
}

// load decodes data (named file, read from src) and merges it over its
// bases; chain holds the files that include it, to refuse a cycle.
func (l *extLoader) load(file string, src Source, data []byte, chain []string) (*layer, []*FieldError) {
	cfg, pos, _, locks, errs := decodeConfig(file, data)
	return l.extend(file, src, cfg, pos, locks, errs, chain)
}

// extend merges a decoded file over its bases.
func (l *extLoader) extend(file string, src Source, cfg *Config, pos, locks Positions, errs []*FieldError, chain []string) (*layer, []*FieldError) {
	if len(errs) > 0 || cfg == nil {
		return nil, errs
	}
	top := &layer{cfg: cfg, pos: filePositions{}, locks: map[string]lockMark{}}
	for k, at := range pos {
		top.pos[k] = filePos{at, file}
	}
	for p, at := range locks {
		top.locks[p] = lockMark{At: filePos{at, file}}
	}
	if errs := top.rootLocks(file); len(errs) > 0 {
		return nil, errs
	}
	if cfg.Extends == "" {
		return top, nil
	}
	atExtends := top.pos.lookup("extends")
	fail := func(format string, args ...any) []*FieldError {
		return []*FieldError{{File: file, Line: atExtends.Line, Column: atExtends.Column, Path: "extends", Msg: oneLine(fmt.Sprintf(format, args...))}}
	}
	ref, err := ParseSource(cfg.Extends)
	if err != nil {
		return nil, fail("%s", err)
	}
	if ref.Repo == "" && src.Repo == "" && src.Path == "" {
		return nil, fail("a bare path needs a repository or a file to be relative to; write owner/repo:%s@ref", ref.Path)
	}
	base := ref.from(src)
	name := base.String()
	switch {
	case slices.Contains(chain, name):
		return nil, fail("extends %s, which is already in the chain %s: a cycle; remove one of these extends", name, strings.Join(append(chain, name), " → "))
	case len(chain) > maxExtendsDepth:
		return nil, fail("extends %s beyond the limit of %d bases in a chain (%s); extend a base nearer the root", name, maxExtendsDepth, strings.Join(chain, " → "))
	}
	l.out.Bases = append(l.out.Bases, base)
	if l.resolve == nil {
		return nil, fail("cannot read the base policy %s here: nothing reads bases (give the CLI a token for owner/repo bases)", name)
	}
	baseData, err := l.resolve(base)
	if err != nil {
		return nil, fail("cannot read the base policy %s: %s; fix the reference or give Shipgate access to it: without its base the policy is not checked (fail closed)", name, err)
	}
	under, errs := l.load(name, base, baseData, append(chain, name))
	if len(errs) > 0 {
		return nil, errs
	}
	return mergeLayers(under, top)
}
