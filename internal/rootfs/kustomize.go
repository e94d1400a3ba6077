package rootfs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"sync"

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

// KustomizeCache keeps, for one run over an unchanging checkout, what the
// kustomize adapters sharing it read inside the root: each file's content,
// and the answers of CleanedAbs, IsDir and Exists. Every overlay of a
// shared base then reads the base once per run instead of once per build.
// Reads of the extra directories (clones) and failed reads are not kept.
// Safe for concurrent use.
type KustomizeCache struct {
	mu    sync.Mutex
	files map[string][]byte
	abs   map[string]cleanedAbs
	dirs  map[string]bool
	exist map[string]bool
}

type cleanedAbs struct {
	dir  filesys.ConfirmedDir
	file string
}

// NewKustomizeCache returns an empty cache for KustomizeCached.
func NewKustomizeCache() *KustomizeCache {
	return &KustomizeCache{files: map[string][]byte{}, abs: map[string]cleanedAbs{}, dirs: map[string]bool{}, exist: map[string]bool{}}
}

// KustomizeCached is Kustomize answering from c what an adapter sharing c
// already read. c must only be shared by adapters over the same f.
func KustomizeCached(f *FS, extra func(abs string) bool, c *KustomizeCache) filesys.FileSystem {
	return &kfs{f: f, extra: extra, disk: filesys.MakeFsOnDisk(), cache: c}
}

type kfs struct {
	f     *FS
	extra func(string) bool
	disk  filesys.FileSystem
	cache *KustomizeCache // nil: no cache
}

// cachedBool answers from m (under c.mu) or computes and keeps the answer.
func (c *KustomizeCache) cachedBool(m map[string]bool, p string, compute func() bool) bool {
	c.mu.Lock()
	v, ok := m[p]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = compute()
	c.mu.Lock()
	m[p] = v
	c.mu.Unlock()
	return v
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
	isDir := func() bool {
		st, err := k.f.Stat(p)
		return err == nil && st.IsDir()
	}
	if k.cache == nil {
		return isDir()
	}
	return k.cache.cachedBool(k.cache.dirs, p, isDir)
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
	if k.cache == nil {
		return k.cleanedAbs(p)
	}
	k.cache.mu.Lock()
	v, ok := k.cache.abs[p]
	k.cache.mu.Unlock()
	if ok {
		return v.dir, v.file, nil
	}
	d, f, err := k.cleanedAbs(p)
	if err == nil {
		k.cache.mu.Lock()
		k.cache.abs[p] = cleanedAbs{dir: d, file: f}
		k.cache.mu.Unlock()
	}
	return d, f, err
}

func (k *kfs) cleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
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
	exists := func() bool {
		_, err := k.f.Stat(p)
		return err == nil
	}
	if k.cache == nil {
		return exists()
	}
	return k.cache.cachedBool(k.cache.exist, p, exists)
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

// ReadFile reads a file; with a cache, each file once (callers get their
// own copy).
func (k *kfs) ReadFile(p string) ([]byte, error) {
	if k.outside(p) {
		return k.disk.ReadFile(p)
	}
	if k.cache == nil {
		return k.f.ReadFile(p)
	}
	k.cache.mu.Lock()
	b, ok := k.cache.files[p]
	k.cache.mu.Unlock()
	if ok {
		return bytes.Clone(b), nil
	}
	b, err := k.f.ReadFile(p)
	if err != nil {
		return nil, err
	}
	k.cache.mu.Lock()
	k.cache.files[p] = b
	k.cache.mu.Unlock()
	return bytes.Clone(b), nil
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
