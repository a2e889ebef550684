package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shipgate/shipgate/bot/store"
)

// runAuditArchive writes the audit events before --prune-before to the
// --archive file and, once the file is durable and reads back whole,
// prunes exactly those events from the database.
func runAuditArchive(ctx context.Context, out io.Writer, o auditOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.archive == "" || o.pruneBefore == "" {
		return usageError(errors.New("--archive and --prune-before go together: the events before the date are archived to the file, then pruned"))
	}
	if o.repo != "" || len(o.kinds) > 0 || o.since != "" {
		return usageError(errors.New("--archive archives every event before --prune-before: --repo, --kind and --since do not apply (export those without --archive)"))
	}
	if o.format != "json" && o.format != "csv" {
		return usageError(fmt.Errorf("--format %q: want json or csv", o.format))
	}
	before, err := parseTimeFlag("prune-before", o.pruneBefore)
	if err != nil {
		return err
	}
	st, err := openDatabase(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	written, err := writeArchive(ctx, st, o.archive, o.format, before)
	if err != nil {
		return err
	}
	if len(written) == 0 {
		os.Remove(o.archive)
		fmt.Fprintf(out, "no audit events before %s: nothing archived or pruned\n", before.Format(time.RFC3339))
		return nil
	}
	read, digest, err := readArchive(o.archive, o.format)
	if err != nil {
		return fmt.Errorf("reading the archive %s back: %w; nothing was pruned", o.archive, err)
	}
	slices.Sort(written)
	slices.Sort(read)
	if !slices.Equal(written, read) {
		return fmt.Errorf("the archive %s reads back %d events, %d were written; nothing was pruned", o.archive, len(read), len(written))
	}
	fmt.Fprintf(out, "archived %d audit events before %s to %s (sha256 %s)\n", len(read), before.Format(time.RFC3339), o.archive, digest)
	name, err := filepath.Abs(o.archive)
	if err != nil {
		name = o.archive
	}
	pruned, err := st.PruneAudit(ctx, store.AuditArchive{Before: before, IDs: read, Name: name, SHA256: digest, Actor: actor()})
	if err != nil {
		return fmt.Errorf("pruned %d of the %d archived events: %w", pruned, len(read), err)
	}
	fmt.Fprintf(out, "pruned %d audit events from the database\n", pruned)
	return nil
}

// writeArchive writes the events before before to a new file at path,
// syncs and closes it, and returns the IDs written. On any error the file
// is removed: a partial archive must not pass for a whole one.
func writeArchive(ctx context.Context, st *store.Store, path, format string, before time.Time) (ids []int64, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, usageError(fmt.Errorf("creating the archive: %w (an archive is never overwritten: name a new file)", err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
			err = fmt.Errorf("writing the archive %s: %w; nothing was pruned", path, err)
		}
	}()
	buf := bufio.NewWriterSize(f, 256<<10)
	var w io.Writer = buf
	var gz *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		gz = gzip.NewWriter(buf)
		w = gz
	}
	emit, err := auditEmitter(w, format)
	if err != nil {
		return nil, err
	}
	err = st.ExportAudit(ctx, store.AuditFilter{Before: before}, func(e store.AuditEvent) error {
		ids = append(ids, e.ID)
		return emit(e)
	})
	if err != nil {
		return nil, err
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return nil, err
		}
	}
	if err := buf.Flush(); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return ids, syncDir(filepath.Dir(path))
}

// syncDir makes a new file's directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// readArchive reads an archive back and returns the IDs of its events and
// the SHA-256 of its bytes.
func readArchive(path, format string) (ids []int64, digest string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, "", err
		}
		defer gz.Close()
		r = gz
	}
	if format == "csv" {
		ids, err = csvIDs(r)
	} else {
		ids, err = jsonIDs(r)
	}
	if err != nil {
		return nil, "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, "", err
	}
	return ids, hex.EncodeToString(h.Sum(nil)), nil
}

func jsonIDs(r io.Reader) ([]int64, error) {
	dec := json.NewDecoder(r)
	var ids []int64
	for {
		var rec auditRecord
		err := dec.Decode(&rec)
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", len(ids)+1, err)
		}
		ids = append(ids, rec.ID)
	}
}

func csvIDs(r io.Reader) ([]int64, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(auditCSVHeader)
	header, err := cr.Read()
	if err != nil || !slices.Equal(header, auditCSVHeader) {
		return nil, fmt.Errorf("no CSV header (%v)", err)
	}
	var ids []int64
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return nil, err
		}
		id, err := strconv.ParseInt(row[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("event %d: id %q", len(ids)+1, row[0])
		}
		ids = append(ids, id)
	}
}
