// Package rootfs is the one rooted filesystem every reader of the checkout
// goes through. It is built on os.Root: a name never leaves the root, not
// through "..", an absolute path or a symlink; a symlink whose target is
// outside the root is refused with an *OutOfBoundsError naming the link
// (the way Argo CD's repo-server refuses out-of-bounds symlinks).
//
// The API is small on purpose:
//
//	fs, err := rootfs.Open(dir)  // one per checkout (or extracted chart)
//	fs.ReadFile(name)            // name relative to the root, or absolute inside it
//	fs.Stat / Lstat / ReadDir / Open
//	fs.Resolve(name)             // the absolute path, symlinks inside the root resolved
//	fs.OutOfBounds(dir)          // every symlink under dir that points outside the root
//	rootfs.Kustomize(fs)         // a kustomize filesys.FileSystem over it (read-only)
package rootfs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FS is a read-only view of one directory tree. Safe for concurrent use.
type FS struct {
	dir  string // absolute, symlinks resolved
	root *os.Root
	// overlay maps clean relative paths to content read instead of the
	// file on disk (WithOverlay).
	overlay map[string][]byte
}

// Open opens dir as a root. The directory itself may be reached through a
// symlink (a checkout under a linked workspace); nothing below it may.
func Open(dir string) (*FS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	return &FS{dir: abs, root: r}, nil
}

// Close releases the root.
func (f *FS) Close() error { return f.root.Close() }

// Dir is the root's absolute path, symlinks resolved.
func (f *FS) Dir() string { return f.dir }

// OutOfBoundsError is a path that leaves the root: through "..", an
// absolute path outside it, or a symlink (Link) whose target is outside.
type OutOfBoundsError struct {
	// Name is the path asked for, relative to the root when inside it.
	Name string
	// Link is the symlink on the way that points outside, relative to the
	// root ("" when the path itself is outside).
	Link string
	// Target is the link's target as stored.
	Target string
}

// Error names the link and its target.
func (e *OutOfBoundsError) Error() string {
	if e.Link != "" {
		return fmt.Sprintf("%s: symlink %s -> %s points outside the repository", e.Name, e.Link, e.Target)
	}
	return fmt.Sprintf("%s: path is outside the repository", e.Name)
}

// Rel maps a name (absolute, or relative to the root) to a clean path
// relative to the root, refusing any that leaves it lexically.
func (f *FS) Rel(name string) (string, error) {
	var rel string
	if filepath.IsAbs(name) {
		r, err := filepath.Rel(f.dir, filepath.Clean(name))
		if err != nil {
			return "", &OutOfBoundsError{Name: name}
		}
		rel = r
		if !local(rel) {
			// the root reached through a symlinked parent: try the
			// unresolved spelling too
			if real, err := filepath.EvalSymlinks(filepath.Dir(name)); err == nil {
				if r2, err := filepath.Rel(f.dir, filepath.Join(real, filepath.Base(name))); err == nil && local(r2) {
					return r2, nil
				}
			}
			return "", &OutOfBoundsError{Name: name}
		}
	} else {
		rel = filepath.Clean(name)
		if !local(rel) {
			return "", &OutOfBoundsError{Name: name}
		}
	}
	return rel, nil
}

func local(rel string) bool {
	return rel == "." || filepath.IsLocal(rel)
}

// do runs op on rel. os.Root refuses every absolute symlink target, also
// one inside the root (a checkout may hold those); when no link on the way
// leaves the root, op runs again on the path with its links resolved.
func (f *FS) do(rel string, op func(string) error) error {
	err := op(rel)
	if err == nil || !isEscape(err) {
		return err
	}
	if _, _, ok := f.firstEscapingLink(rel); ok {
		return f.explain(rel, err)
	}
	real, rerr := filepath.EvalSymlinks(filepath.Join(f.dir, rel))
	if rerr != nil {
		return f.explain(rel, err)
	}
	r2, rerr := filepath.Rel(f.dir, real)
	if rerr != nil || !local(r2) {
		return f.explain(rel, err)
	}
	return f.explain(rel, op(r2))
}

// explain turns os.Root's "path escapes from parent" into an
// *OutOfBoundsError naming the symlink.
func (f *FS) explain(rel string, err error) error {
	if err == nil {
		return nil
	}
	if !isEscape(err) {
		return err
	}
	if link, target, ok := f.firstEscapingLink(rel); ok {
		return &OutOfBoundsError{Name: filepath.ToSlash(rel), Link: filepath.ToSlash(link), Target: target}
	}
	return &OutOfBoundsError{Name: filepath.ToSlash(rel)}
}

func isEscape(err error) bool {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil && strings.Contains(pe.Err.Error(), "escapes") {
		return true
	}
	return strings.Contains(err.Error(), "path escapes from parent")
}

// firstEscapingLink walks rel component by component and returns the first
// symlink whose resolution leaves the root.
func (f *FS) firstEscapingLink(rel string) (string, string, bool) {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i := range parts {
		p := filepath.Join(parts[:i+1]...)
		st, err := f.root.Lstat(p)
		if err != nil {
			return "", "", false
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		target, err := f.root.Readlink(p)
		if err != nil {
			return "", "", false
		}
		if !f.inside(filepath.Join(f.dir, p)) {
			return p, target, true
		}
	}
	return "", "", false
}

// inside reports whether abs, every symlink resolved, is inside the root.
// A dangling link is judged by its lexical target.
func (f *FS) inside(abs string) bool {
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		real = abs
		if t, err := os.Readlink(abs); err == nil {
			if !filepath.IsAbs(t) {
				t = filepath.Join(filepath.Dir(abs), t)
			}
			real = filepath.Clean(t)
		}
	}
	r, err := filepath.Rel(f.dir, real)
	return err == nil && local(r)
}

// ReadFile reads a file inside the root.
func (f *FS) ReadFile(name string) ([]byte, error) {
	rel, err := f.Rel(name)
	if err != nil {
		return nil, err
	}
	if b, ok := f.overlaid(rel); ok {
		if _, err := f.Stat(rel); err != nil {
			return nil, err // containment first: an overlay never reads through a link out of the root
		}
		return bytes.Clone(b), nil
	}
	var b []byte
	err = f.do(rel, func(r string) error {
		var err error
		b, err = f.root.ReadFile(r)
		return err
	})
	return b, err
}

// ReadFiles reads the files names (paths relative to the root, sorted so
// that each directory's files are next to each other) and hands each one's
// content, or error, to fn, exactly as ReadFile would answer: the files of
// one directory are read through one handle on it (an openat per file, not
// one per path element). A file that handle refuses (a symlink leaving the
// directory, an absolute link) and every file of a view with an overlay
// are read by ReadFile.
func (f *FS) ReadFiles(names []string, fn func(name string, data []byte, err error)) {
	for i := 0; i < len(names); {
		dir := filepath.Dir(filepath.Clean(names[i]))
		j := i + 1
		for j < len(names) && filepath.Dir(filepath.Clean(names[j])) == dir {
			j++
		}
		f.readFilesIn(dir, names[i:j], fn)
		i = j
	}
}

// readFilesIn is ReadFiles for names all in the directory dir.
func (f *FS) readFilesIn(dir string, names []string, fn func(name string, data []byte, err error)) {
	var sub *os.Root
	if rel, err := f.Rel(dir); err == nil && len(f.overlay) == 0 {
		if rel == "." {
			sub = f.root
		} else if r, err := f.root.OpenRoot(rel); err == nil {
			defer r.Close()
			sub = r
		}
	}
	for _, name := range names {
		if sub != nil {
			if b, err := sub.ReadFile(filepath.Base(name)); err == nil {
				fn(name, b, nil)
				continue
			}
		}
		b, err := f.ReadFile(name)
		fn(name, b, err)
	}
}

// Open opens a file inside the root for reading.
func (f *FS) Open(name string) (*os.File, error) {
	rel, err := f.Rel(name)
	if err != nil {
		return nil, err
	}
	var file *os.File
	err = f.do(rel, func(r string) error {
		var err error
		file, err = f.root.Open(r)
		return err
	})
	return file, err
}

// Stat is os.Stat inside the root (symlinks inside it followed).
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	rel, err := f.Rel(name)
	if err != nil {
		return nil, err
	}
	var st fs.FileInfo
	err = f.do(rel, func(r string) error {
		var err error
		st, err = f.root.Stat(r)
		return err
	})
	if err == nil {
		if b, ok := f.overlaid(rel); ok {
			st = sizedInfo{FileInfo: st, size: int64(len(b))}
		}
	}
	return st, err
}

// Lstat is os.Lstat inside the root.
func (f *FS) Lstat(name string) (fs.FileInfo, error) {
	rel, err := f.Rel(name)
	if err != nil {
		return nil, err
	}
	st, err := f.root.Lstat(rel)
	return st, f.explain(rel, err)
}

// ReadDir lists a directory inside the root, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	es, err := file.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return es, nil
}

// Resolve returns the absolute path of name with the symlinks inside the
// root resolved; a path that leaves the root is an *OutOfBoundsError.
func (f *FS) Resolve(name string) (string, error) {
	rel, err := f.Rel(name)
	if err != nil {
		return "", err
	}
	if _, err := f.root.Lstat(rel); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// the same text as os.Lstat, which kustomize users know
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = &fs.PathError{Op: "lstat", Path: name, Err: pe.Err}
			}
			return filepath.Join(f.dir, rel), err
		}
	}
	if link, target, ok := f.firstEscapingLink(rel); ok {
		return "", &OutOfBoundsError{Name: filepath.ToSlash(rel), Link: filepath.ToSlash(link), Target: target}
	}
	abs := filepath.Join(f.dir, rel)
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return abs, err
	}
	return real, nil
}

// OutOfBounds walks dir (relative to the root, or absolute inside it)
// without following symlinks and returns every symlink under it whose
// target is outside the root, sorted by link.
func (f *FS) OutOfBounds(dir string) ([]*OutOfBoundsError, error) {
	rel, err := f.Rel(dir)
	if err != nil {
		return nil, err
	}
	var out []*OutOfBoundsError
	err = fs.WalkDir(f.root.FS(), filepath.ToSlash(rel), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == filepath.ToSlash(rel) {
				return err
			}
			return nil // unreadable entries are reported by whoever reads them
		}
		if d.IsDir() && d.Name() == ".git" {
			return fs.SkipDir
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if o := f.LinkOutOfBounds(p); o != nil {
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, f.explain(rel, err)
	}
	return out, nil
}

// LinkOutOfBounds judges one symlink, a slash path relative to the root
// (one OutOfBounds or a walk of the checkout met): an *OutOfBoundsError
// when its target is outside the root, nil when it stays inside.
func (f *FS) LinkOutOfBounds(link string) *OutOfBoundsError {
	if f.inside(filepath.Join(f.dir, filepath.FromSlash(link))) {
		return nil
	}
	target, _ := f.root.Readlink(filepath.FromSlash(link))
	return &OutOfBoundsError{Name: link, Link: link, Target: target}
}

// WithOverlay returns a view of f in which the files named in files
// (slash paths relative to the root, of files that exist) read as the given
// content: ReadFile and Stat see it, through a symlink inside the root too;
// nothing on disk changes. Open still serves the file on disk: read content
// with ReadFile. The view shares f's root: close f, not the view.
func (f *FS) WithOverlay(files map[string][]byte) *FS {
	ov := make(map[string][]byte, len(files))
	for k, v := range files {
		ov[filepath.Clean(filepath.FromSlash(k))] = v
	}
	return &FS{dir: f.dir, root: f.root, overlay: ov}
}

// overlaid returns the overlay's content for rel (relative to the root),
// also when rel reaches an overlaid file through a symlink.
func (f *FS) overlaid(rel string) ([]byte, bool) {
	if len(f.overlay) == 0 {
		return nil, false
	}
	if b, ok := f.overlay[rel]; ok {
		return b, true
	}
	real, err := filepath.EvalSymlinks(filepath.Join(f.dir, rel))
	if err != nil {
		return nil, false
	}
	r2, err := filepath.Rel(f.dir, real)
	if err != nil || !local(r2) {
		return nil, false
	}
	b, ok := f.overlay[r2]
	return b, ok
}

// sizedInfo is a file's info with the size of its overlaid content.
type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (s sizedInfo) Size() int64 { return s.size }

// OverlayFS returns fsys (slash paths relative to a root) with the files
// named in files reading as the given content (Open, ReadFile, Stat); other
// names go to fsys. Directory listings are fsys's.
func OverlayFS(fsys fs.FS, files map[string][]byte) fs.FS {
	return &overlayDirFS{base: fsys, files: files}
}

type overlayDirFS struct {
	base  fs.FS
	files map[string][]byte
}

func (o *overlayDirFS) Open(name string) (fs.File, error) {
	b, ok := o.files[name]
	if !ok {
		return o.base.Open(name)
	}
	st, err := fs.Stat(o.base, name)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(b), info: sizedInfo{FileInfo: st, size: int64(len(b))}}, nil
}

func (o *overlayDirFS) ReadFile(name string) ([]byte, error) {
	if b, ok := o.files[name]; ok {
		return bytes.Clone(b), nil
	}
	return fs.ReadFile(o.base, name)
}

func (o *overlayDirFS) Stat(name string) (fs.FileInfo, error) {
	st, err := fs.Stat(o.base, name)
	if err != nil {
		return nil, err
	}
	if b, ok := o.files[name]; ok {
		return sizedInfo{FileInfo: st, size: int64(len(b))}, nil
	}
	return st, nil
}

func (o *overlayDirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(o.base, name)
}

// Lstat is fsys's (fs.Lstat: Stat when fsys cannot tell links), with the
// overlaid size.
func (o *overlayDirFS) Lstat(name string) (fs.FileInfo, error) {
	st, err := fs.Lstat(o.base, name)
	if err != nil {
		return nil, err
	}
	if b, ok := o.files[name]; ok && st.Mode().IsRegular() {
		return sizedInfo{FileInfo: st, size: int64(len(b))}, nil
	}
	return st, nil
}

// ReadLink is fsys's.
func (o *overlayDirFS) ReadLink(name string) (string, error) {
	return fs.ReadLink(o.base, name)
}

// memFile is an overlaid file opened for reading.
type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (m *memFile) Stat() (fs.FileInfo, error) { return m.info, nil }
func (m *memFile) Close() error               { return nil }
