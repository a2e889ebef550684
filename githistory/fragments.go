package githistory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/shipgate/shipgate/policies"
	"github.com/shipgate/shipgate/policies/release"
)

// Fragments reads the release-note fragments of the work tree: the regular
// files below its root that glob matches (release.FragmentsOf), parsed
// with release.ParseFragment, in path order. Only the glob's literal
// directory is walked, never .git.
func (r *Repo) Fragments(ctx context.Context, glob policies.Glob) ([]release.Fragment, error) {
	root, err := r.TopLevel(ctx)
	if err != nil {
		return nil, err
	}
	dir := glob.Pattern
	if i := strings.IndexAny(dir, "*?[{\\"); i >= 0 {
		dir = dir[:i]
	}
	dir = filepath.Dir(dir + "x") // ".changes/" → ".changes", "" → "."
	var out []release.Fragment
	err = filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist) && path == filepath.Join(root, dir):
			return filepath.SkipAll // no fragments directory: no fragments
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case !d.Type().IsRegular():
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || !glob.Match(filepath.ToSlash(rel)) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading the fragment %s: %w", rel, err)
		}
		f, err := release.ParseFragment(filepath.ToSlash(rel), data)
		if err != nil {
			return err
		}
		out = append(out, f)
		return nil
	})
	return out, err
}
