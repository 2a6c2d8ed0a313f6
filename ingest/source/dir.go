package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DefaultMaxFileBytes is the file size limit when Dir.MaxFileBytes is 0.
const DefaultMaxFileBytes = 10 << 20

// Dir reads items from files: every file under a directory, or one file.
// Files are read in lexical order of their paths, so runs are repeatable.
// Symbolic links are followed only when they lead to a file inside the
// directory; links to directories are not walked.
type Dir struct {
	Path string // a directory or a single file
	// MaxFileBytes is the largest file read; a larger file yields an Item
	// whose Err wraps ErrTooLarge. 0 means DefaultMaxFileBytes.
	MaxFileBytes int64
	// OnSkip, when set, hears of every file or directory left out and why.
	OnSkip func(path, reason string)
	Logger *slog.Logger // nil discards
}

// kindOf maps a file name to the kind of item it holds, or "" when the
// extension is not one ingest reads.
func kindOf(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return KindContentItem
	case ".html", ".htm":
		return KindHTML
	case ".md", ".markdown":
		return KindMarkdown
	}
	return ""
}

// Items calls yield with one Item per file, in lexical order. It stops and
// returns yield's error unchanged when yield fails.
func (d Dir) Items(ctx context.Context, yield func(Item) error) error {
	if d.Path == "" {
		return errors.New("source: directory path is empty")
	}
	maxBytes := positive(d.MaxFileBytes, DefaultMaxFileBytes)
	log := orDiscard(d.Logger)
	skip := func(p, reason string) {
		log.Debug("source: skipping", "path", p, "reason", reason)
		if d.OnSkip != nil {
			d.OnSkip(p, reason)
		}
	}

	info, err := os.Stat(d.Path)
	if err != nil {
		return fmt.Errorf("source: reading %s: %w", d.Path, err)
	}
	if !info.IsDir() {
		if !info.Mode().IsRegular() {
			skip(d.Path, "not a regular file")
			return nil
		}
		return d.file(ctx, d.Path, maxBytes, skip, yield)
	}

	root, err := os.OpenRoot(d.Path)
	if err != nil {
		return fmt.Errorf("source: opening %s: %w", d.Path, err)
	}
	defer root.Close()

	return fs.WalkDir(root.FS(), ".", func(rel string, e fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("source: %w", ctxErr)
		}
		full := filepath.Join(d.Path, filepath.FromSlash(rel))
		if err != nil {
			if rel == "." {
				return fmt.Errorf("source: reading %s: %w", d.Path, err)
			}
			// WalkDir reports only directories it cannot read; one of
			// them is one failure, not the end of the run.
			if yerr := yield(Item{Ref: full, Origin: full, Err: fmt.Errorf("source: reading %s: %w", full, err)}); yerr != nil {
				return yerr
			}
			return fs.SkipDir
		}
		if e.IsDir() {
			if rel != "." && strings.HasPrefix(e.Name(), ".") {
				skip(full, "hidden directory")
				return fs.SkipDir
			}
			return nil
		}
		return d.entry(ctx, root, rel, full, e, maxBytes, skip, yield)
	})
}

// entry reads one walked file through root, which refuses to leave the directory.
func (d Dir) entry(ctx context.Context, root *os.Root, rel, full string, e fs.DirEntry, maxBytes int64, skip func(string, string), yield func(Item) error) error {
	kind := kindOf(e.Name())
	if kind == "" {
		skip(full, "unsupported file type")
		return nil
	}
	name := filepath.FromSlash(rel)
	if e.Type()&fs.ModeSymlink != 0 {
		target, err := root.Stat(name)
		if err != nil {
			skip(full, "symbolic link not followed: "+err.Error())
			return nil
		}
		if !target.Mode().IsRegular() {
			skip(full, "symbolic link to something other than a regular file")
			return nil
		}
	} else if !e.Type().IsRegular() {
		skip(full, "not a regular file")
		return nil
	}
	f, err := root.Open(name)
	if err != nil {
		return yield(Item{Ref: full, Origin: full, Rel: rel, Kind: kind, Err: fmt.Errorf("source: opening %s: %w", full, err)})
	}
	defer f.Close()
	it := readItem(f, full, kind, maxBytes)
	it.Rel = rel
	return yield(it)
}

// file reads the single regular file named by Dir.Path.
func (d Dir) file(ctx context.Context, full string, maxBytes int64, skip func(string, string), yield func(Item) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	kind := kindOf(full)
	if kind == "" {
		skip(full, "unsupported file type")
		return nil
	}
	f, err := os.Open(full)
	if err != nil {
		return yield(Item{Ref: full, Origin: full, Kind: kind, Err: fmt.Errorf("source: opening %s: %w", full, err)})
	}
	defer f.Close()
	it := readItem(f, full, kind, maxBytes)
	it.Rel = filepath.Base(full)
	return yield(it)
}

// readItem reads at most maxBytes of an open regular file into an Item.
func readItem(f fs.File, full, kind string, maxBytes int64) Item {
	it := Item{Ref: full, Origin: full, Kind: kind}
	info, err := f.Stat()
	if err != nil {
		it.Err = fmt.Errorf("source: reading %s: %w", full, err)
		return it
	}
	if !info.Mode().IsRegular() {
		it.Err = fmt.Errorf("source: reading %s: not a regular file", full)
		return it
	}
	if info.Size() > maxBytes {
		it.Err = fmt.Errorf("source: reading %s: file is %d bytes, over the %d byte limit: %w", full, info.Size(), maxBytes, ErrTooLarge)
		return it
	}
	// The file may grow after Stat, so the read is limited too.
	body, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		it.Err = fmt.Errorf("source: reading %s: %w", full, err)
		return it
	}
	if int64(len(body)) > maxBytes {
		it.Err = fmt.Errorf("source: reading %s: file is over the %d byte limit: %w", full, maxBytes, ErrTooLarge)
		return it
	}
	it.Body = body
	return it
}
