package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// ErrReadOnly is returned by every write through the kustomize adapter.
var ErrReadOnly = errors.New("rootfs: read-only")

// Kustomize returns a read-only kustomize filesys.FileSystem over f: every
// read stays inside the root; writes fail with ErrReadOnly. extra, when
// non-nil, names absolute directories outside the root that may be read
// from disk as they are (kustomize's own clones of allowed remote bases).
func Kustomize(f *FS, extra func(abs string) bool) filesys.FileSystem {
	return &kfs{f: f, extra: extra, disk: filesys.MakeFsOnDisk()}
}

type kfs struct {
	f     *FS
	extra func(string) bool
	disk  filesys.FileSystem
}

// outside reports whether abs is one of the extra directories.
func (k *kfs) outside(p string) bool {
	if k.extra == nil || !filepath.IsAbs(p) {
		return false
	}
	_, err := k.f.Rel(p)
	return err != nil && k.extra(filepath.Clean(p))
}

func (k *kfs) Create(string) (filesys.File, error) { return nil, ErrReadOnly }
func (k *kfs) Mkdir(string) error                  { return ErrReadOnly }
func (k *kfs) MkdirAll(string) error               { return ErrReadOnly }
func (k *kfs) RemoveAll(string) error              { return ErrReadOnly }
func (k *kfs) WriteFile(string, []byte) error      { return ErrReadOnly }

func (k *kfs) Open(p string) (filesys.File, error) {
	if k.outside(p) {
		return k.disk.Open(p)
	}
	return k.f.Open(p)
}

func (k *kfs) IsDir(p string) bool {
	if k.outside(p) {
		return k.disk.IsDir(p)
	}
	st, err := k.f.Stat(p)
	return err == nil && st.IsDir()
}

func (k *kfs) ReadDir(p string) ([]string, error) {
	if k.outside(p) {
		return k.disk.ReadDir(p)
	}
	es, err := k.f.ReadDir(p)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name()
	}
	return out, nil
}

// CleanedAbs resolves symlinks inside the root like kustomize's on-disk
// filesystem, and refuses a path that leaves it.
func (k *kfs) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if k.outside(p) {
		return k.disk.CleanedAbs(p)
	}
	abs := p
	if !filepath.IsAbs(abs) {
		a, err := filepath.Abs(p)
		if err != nil {
			return "", "", err
		}
		abs = a
	}
	real, err := k.f.Resolve(abs)
	if err != nil {
		return "", "", fmt.Errorf("evalsymlink failure on '%s' : %w", p, err)
	}
	if k.IsDir(real) {
		return filesys.ConfirmedDir(real), "", nil
	}
	return filesys.ConfirmedDir(filepath.Dir(real)), filepath.Base(real), nil
}

func (k *kfs) Exists(p string) bool {
	if k.outside(p) {
		return k.disk.Exists(p)
	}
	_, err := k.f.Stat(p)
	return err == nil
}

// Glob matches inside the root only, hidden files dropped unless the
// pattern names them (kustomize's on-disk behaviour).
func (k *kfs) Glob(pattern string) ([]string, error) {
	if k.outside(pattern) {
		return k.disk.Glob(pattern)
	}
	all, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var in []string
	for _, m := range all {
		if _, err := k.f.Stat(m); err == nil {
			in = append(in, m)
		}
	}
	if !filesys.IsHiddenFilePath(pattern) {
		in = filesys.RemoveHiddenFiles(in)
	}
	sort.Strings(in)
	return in, nil
}

func (k *kfs) ReadFile(p string) ([]byte, error) {
	if k.outside(p) {
		return k.disk.ReadFile(p)
	}
	return k.f.ReadFile(p)
}

// Walk walks inside the root without following symlinks out of it.
func (k *kfs) Walk(p string, fn filepath.WalkFunc) error {
	if k.outside(p) {
		return k.disk.Walk(p, fn)
	}
	rel, err := k.f.Rel(p)
	if err != nil {
		return fn(p, nil, err)
	}
	base := p
	return fs.WalkDir(k.f.root.FS(), filepath.ToSlash(rel), func(q string, d fs.DirEntry, err error) error {
		sub, rerr := filepath.Rel(filepath.ToSlash(rel), q)
		if rerr != nil {
			return rerr
		}
		full := filepath.Join(base, sub)
		if err != nil {
			return fn(full, nil, err)
		}
		info, ierr := d.Info()
		if ierr != nil {
			return fn(full, nil, ierr)
		}
		return fn(full, info, nil)
	})
}
