package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/shipgate/shipgate/policies/changelog"
	"github.com/shipgate/shipgate/policies/release"
)

// updateChangelog inserts version's notes in o.changelog and says what it
// did on errOut.
func updateChangelog(errOut io.Writer, o notesOptions, version string, date time.Time, notes string) error {
	existing, err := os.ReadFile(o.changelog)
	if errors.Is(err, fs.ErrNotExist) {
		existing, err = nil, nil
	}
	if err != nil {
		return usageError(fmt.Errorf("reading the changelog: %w", err))
	}
	out, changed, err := changelog.Insert(existing, version, changelog.Section(version, date, notes), o.force)
	if errors.Is(err, changelog.ErrConflict) {
		return usageError(fmt.Errorf("%s: %w", o.changelog, err))
	}
	if err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(errOut, "%s: %s is there with the same notes; unchanged\n", o.changelog, version)
		return nil
	}
	if err := writeFileAtomic(o.changelog, out); err != nil {
		return err
	}
	fmt.Fprintf(errOut, "%s: added %s\n", o.changelog, version)
	return nil
}

// writeFileAtomic replaces file with data through a temporary file in the
// same directory, so that a failure leaves the old file whole.
func writeFileAtomic(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing is there
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

// readFragments reads the work tree's release-note fragments; a
// fragment that cannot be read is a usage error naming it.
func (rc *releaseRepo) readFragments(ctx context.Context) ([]release.Fragment, error) {
	fragments, err := rc.repo.Fragments(ctx, rc.fragments)
	if err != nil {
		return nil, usageError(err)
	}
	return fragments, nil
}

// consumeFragments deletes the fragments the notes used and names each.
func (rc *releaseRepo) consumeFragments(ctx context.Context, errOut io.Writer, fragments []release.Fragment) error {
	root, err := rc.repo.TopLevel(ctx)
	if err != nil {
		return usageError(err)
	}
	for _, f := range fragments {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(f.Path))); err != nil {
			return fmt.Errorf("removing the fragment %s: %w", f.Path, err)
		}
		fmt.Fprintf(errOut, "removed %s\n", f.Path)
	}
	return nil
}
