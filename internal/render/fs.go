package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/render-check/render-check/internal/rootfs"
)

// errReadOnly is returned by every write to the overlay filesystem outside
// its in-memory layer: rendering never modifies the checkout.
var errReadOnly = errors.New("render: the checkout is read-only while rendering")

// overlayFS is the filesystem kustomize builds from: the checkout on disk,
// read-only, under an in-memory layer holding edited kustomizations and
// generated files. It records which files were read (an app's inputs), and
// can rewrite kustomization files as they are read (helmCharts inflation).
type overlayFS struct {
	filesys.FileSystem
	rfs  *rootfs.FS
	root string

	mu      sync.Mutex
	mem     map[string][]byte
	read    map[string]bool
	last    string
	rewrite func(path string, data []byte) ([]byte, error)
	// rewriteErr is the first rewrite failure: kustomize reports a failed
	// read of a kustomization as "not found", so the cause is kept here.
	rewriteErr error
	// deprecated maps kustomization files read from disk to the deprecated
	// fields they use (kustomize prints those warnings to os.Stderr itself).
	deprecated map[string][]string
	// marks, when set, marks the objects of resource files as they are
	// read (a build without kustomize's origin tracking).
	marks *originMarks
}

// newOverlayFS layers memory over the rooted checkout: no read leaves the
// root (extra names the directories outside it that may be read, the
// clones kustomize makes of allowed remote bases). Reads of the checkout
// are answered from cache, shared by the builds of one run.
func newOverlayFS(rfs *rootfs.FS, root string, extra func(string) bool, cache *rootfs.KustomizeCache) *overlayFS {
	return &overlayFS{FileSystem: rootfs.KustomizeCached(rfs, extra, cache), rfs: rfs, root: root, mem: map[string][]byte{}, read: map[string]bool{}}
}

func (o *overlayFS) virtual(path string) ([]byte, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.mem[filepath.Clean(path)]
	return b, ok
}

// set puts a file in the in-memory layer.
func (o *overlayFS) set(path string, data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mem[filepath.Clean(path)] = data
}

func (o *overlayFS) noteRead(path string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := filepath.Clean(path)
	o.read[p] = true
	o.last = p
}

// lastRead is the last file read, the likely culprit of a build error.
func (o *overlayFS) lastRead() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

// inputs returns the repo-relative files read from disk, sorted.
func (o *overlayFS) inputs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for p := range o.read {
		if _, isMem := o.mem[p]; isMem && !o.onDisk(p) {
			continue
		}
		rel, err := filepath.Rel(o.root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		out = append(out, filepath.ToSlash(rel))
	}
	sort.Strings(out)
	return out
}

func (o *overlayFS) onDisk(p string) bool {
	_, err := o.rfs.Stat(p)
	return err == nil
}

// ReadFile reads from the in-memory layer, else from disk.
func (o *overlayFS) ReadFile(path string) ([]byte, error) {
	data, ok := o.virtual(path)
	if !ok {
		var err error
		data, err = o.FileSystem.ReadFile(path)
		if err != nil {
			return nil, err
		}
	}
	o.noteRead(path)
	if !ok && isKustomizationFile(path) {
		o.noteDeprecated(path, data)
	}
	if o.rewrite != nil && isKustomizationFile(path) {
		out, err := o.rewrite(filepath.Clean(path), data)
		if err != nil {
			o.mu.Lock()
			if o.rewriteErr == nil {
				o.rewriteErr = err
			}
			o.mu.Unlock()
		}
		return out, err
	}
	if o.marks != nil {
		return o.marks.serve(filepath.Clean(path), data), nil
	}
	return data, nil
}

// Open is not used by kustomize's loaders for content; it is served
// read-only from disk (virtual files are read through ReadFile).
func (o *overlayFS) Open(path string) (filesys.File, error) {
	if _, ok := o.virtual(path); ok {
		return nil, fmt.Errorf("open %s: %w", path, fs.ErrInvalid)
	}
	return o.FileSystem.Open(path)
}

// Exists reports files of both layers.
func (o *overlayFS) Exists(path string) bool {
	if _, ok := o.virtual(path); ok {
		return true
	}
	return o.FileSystem.Exists(path)
}

// CleanedAbs handles files of the in-memory layer, which have no inode.
func (o *overlayFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	if _, ok := o.virtual(path); ok {
		d, _, err := o.FileSystem.CleanedAbs(filepath.Dir(path))
		if err != nil {
			return "", "", err
		}
		if o.marks != nil && string(d) != filepath.Clean(filepath.Dir(path)) {
			o.marks.fallBack("symlink")
		}
		return d, filepath.Base(path), nil
	}
	d, f, err := o.FileSystem.CleanedAbs(path)
	if err == nil && o.marks != nil && d.Join(f) != filepath.Clean(path) {
		// kustomize's origin paths are the entries as written: a
		// symlink makes them differ from the paths read
		o.marks.fallBack("symlink")
	}
	return d, f, err
}

// WriteFile writes to the in-memory layer only.
func (o *overlayFS) WriteFile(path string, data []byte) error {
	o.set(path, bytes.Clone(data))
	return nil
}

// Create is refused: the checkout is read-only.
func (o *overlayFS) Create(string) (filesys.File, error) { return nil, errReadOnly }

// Mkdir is refused: the checkout is read-only.
func (o *overlayFS) Mkdir(string) error { return errReadOnly }

// MkdirAll is refused: the checkout is read-only.
func (o *overlayFS) MkdirAll(string) error { return errReadOnly }

// RemoveAll is refused: the checkout is read-only.
func (o *overlayFS) RemoveAll(string) error { return errReadOnly }

// kustomizationNames are the file names kustomize recognises, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

func isKustomizationFile(path string) bool {
	b := filepath.Base(path)
	for _, n := range kustomizationNames {
		if b == n {
			return true
		}
	}
	return false
}

// noteDeprecated records the deprecated fields a kustomization read from
// disk uses. kustomize itself only prints them on os.Stderr; they become
// findings on the file.
func (o *overlayFS) noteDeprecated(path string, data []byte) {
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return // kustomize reports it
	}
	msgs := k.CheckDeprecatedFields()
	if msgs == nil || len(*msgs) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.deprecated == nil {
		o.deprecated = map[string][]string{}
	}
	o.deprecated[filepath.Clean(path)] = *msgs
}

// deprecations returns the deprecated-field messages per repo-relative file,
// sorted by file.
func (o *overlayFS) deprecations(rel func(string) string) []fileMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []fileMessage
	for p, msgs := range o.deprecated {
		for _, m := range msgs {
			m = strings.TrimSpace(strings.TrimPrefix(m, "# Warning:"))
			out = append(out, fileMessage{file: rel(p), msg: m})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].file != out[j].file {
			return out[i].file < out[j].file
		}
		return out[i].msg < out[j].msg
	})
	return out
}

// fileMessage is a message about one file.
type fileMessage struct{ file, msg string }
