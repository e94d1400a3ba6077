package rootfs

import (
	"io/fs"
	"path/filepath"
)

// IOFS returns f as an io/fs filesystem (slash paths relative to the root):
// the same containment, so fs.WalkDir, fs.Glob, doublestar and fs.Lstat
// over it never leave the root. It implements fs.ReadFileFS, fs.StatFS,
// fs.ReadDirFS and fs.ReadLinkFS.
func (f *FS) IOFS() fs.FS { return ioFS{f} }

type ioFS struct{ f *FS }

func (i ioFS) name(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return filepath.FromSlash(name), nil
}

// Open opens a file or directory (an *os.File, so also fs.ReadDirFile).
func (i ioFS) Open(name string) (fs.File, error) {
	n, err := i.name("open", name)
	if err != nil {
		return nil, err
	}
	file, err := i.f.Open(n)
	if err != nil {
		return nil, err
	}
	return file, nil
}

// ReadFile reads a file (the overlay's content when f has one).
func (i ioFS) ReadFile(name string) ([]byte, error) {
	n, err := i.name("readfile", name)
	if err != nil {
		return nil, err
	}
	return i.f.ReadFile(n)
}

// Stat follows symlinks inside the root.
func (i ioFS) Stat(name string) (fs.FileInfo, error) {
	n, err := i.name("stat", name)
	if err != nil {
		return nil, err
	}
	return i.f.Stat(n)
}

// ReadDir lists a directory, sorted by name.
func (i ioFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := i.name("readdir", name)
	if err != nil {
		return nil, err
	}
	return i.f.ReadDir(n)
}

// Lstat never follows the last element.
func (i ioFS) Lstat(name string) (fs.FileInfo, error) {
	n, err := i.name("lstat", name)
	if err != nil {
		return nil, err
	}
	return i.f.Lstat(n)
}

// ReadLink returns a symlink's target as stored.
func (i ioFS) ReadLink(name string) (string, error) {
	n, err := i.name("readlink", name)
	if err != nil {
		return "", err
	}
	rel, err := i.f.Rel(n)
	if err != nil {
		return "", err
	}
	t, err := i.f.root.Readlink(rel)
	return t, i.f.explain(rel, err)
}
