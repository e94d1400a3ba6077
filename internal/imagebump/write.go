package imagebump

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// fileWrite is one file of a bump: its current and new content.
type fileWrite struct {
	path     string // absolute path of the file (symlinks resolved)
	old, new []byte
	mode     fs.FileMode
}

// fsOps are the file system calls of a multi-file write; tests replace
// them to make a step fail.
type fsOps struct {
	createTemp func(dir, pattern string) (*os.File, error)
	rename     func(oldpath, newpath string) error
}

func realFS() fsOps { return fsOps{createTemp: os.CreateTemp, rename: os.Rename} }

// writeAll replaces every file's content atomically as a set: each new
// content is first written to a temporary file in the same directory,
// given the file's mode and synced; only when all of them are ready are
// they renamed over the originals. If a rename fails, the files already
// renamed get their old content back, so either every file changes or none.
func (o fsOps) writeAll(files []fileWrite) (err error) {
	temps := make([]string, len(files))
	defer func() {
		for _, t := range temps {
			if t != "" {
				_ = os.Remove(t)
			}
		}
	}()
	for i, f := range files {
		t, err := o.writeTemp(f.path, f.new, f.mode)
		if err != nil {
			return err
		}
		temps[i] = t
	}
	for i, f := range files {
		if err := o.rename(temps[i], f.path); err != nil {
			rerr := o.restore(files[:i])
			return errors.Join(fmt.Errorf("replacing %s: %w", f.path, err), rerr)
		}
		temps[i] = ""
	}
	syncDirs(files)
	return nil
}

// restore puts the old content back into files already replaced.
func (o fsOps) restore(files []fileWrite) error {
	var errs []error
	for _, f := range files {
		t, err := o.writeTemp(f.path, f.old, f.mode)
		if err == nil {
			if err = o.rename(t, f.path); err != nil {
				_ = os.Remove(t)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("restoring %s failed, restore it from version control: %w", f.path, err))
		}
	}
	return errors.Join(errs...)
}

// writeTemp writes data to a new temporary file next to path.
func (o fsOps) writeTemp(path string, data []byte, mode fs.FileMode) (string, error) {
	f, err := o.createTemp(filepath.Dir(path), "."+filepath.Base(path)+".render-check-*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		_ = f.Close()
		_ = os.Remove(name)
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return name, nil
}

// syncDirs flushes the directory entries of renamed files (best effort:
// not every file system supports syncing a directory).
func syncDirs(files []fileWrite) {
	seen := map[string]bool{}
	for _, f := range files {
		d := filepath.Dir(f.path)
		if seen[d] {
			continue
		}
		seen[d] = true
		if df, err := os.Open(d); err == nil {
			_ = df.Sync()
			_ = df.Close()
		}
	}
}

// FileEdit is one file to replace: its path (symlinks resolved), its current
// and new content, and its mode.
type FileEdit struct {
	Path     string
	Old, New []byte
	Mode     fs.FileMode
}

// WriteFiles replaces every file atomically as a set, the way a bump writes:
// either every file gets its new content or none changes.
func WriteFiles(edits []FileEdit) error {
	files := make([]fileWrite, len(edits))
	for i, e := range edits {
		files[i] = fileWrite{path: e.Path, old: e.Old, new: e.New, mode: e.Mode}
	}
	return realFS().writeAll(files)
}
