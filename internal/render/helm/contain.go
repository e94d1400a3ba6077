package helm

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/render-check/render-check/internal/rootfs"
)

// containment: every chart directory and local value file is read inside a
// known root (a repo checkout or the chart cache); a symlink in a chart
// that points outside its root is refused with an error naming the link,
// and so is a file:// dependency outside the root. Helm's own loader
// follows symlinks, so the check runs before it.

// addRoot registers a directory whose files may be read.
func (r *Renderer) addRoot(dir string) error {
	if dir == "" {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.roots == nil {
		r.roots = map[string]*rootfs.FS{}
	}
	if _, ok := r.roots[dir]; ok {
		return nil
	}
	f, err := rootfs.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // the chart cache before its first download
	}
	if err != nil {
		return err
	}
	if len(r.overlay) > 0 {
		for _, d := range r.overlayRoots {
			if d == dir || d == f.Dir() {
				f = f.WithOverlay(r.overlayRel())
				break
			}
		}
	}
	r.roots[dir] = f
	return nil
}

// fsFor returns the registered root containing p (the innermost).
func (r *Renderer) fsFor(p string) (*rootfs.FS, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var best *rootfs.FS
	bestLen := -1
	for dir, f := range r.roots {
		for _, d := range []string{dir, f.Dir()} {
			if (p == d || strings.HasPrefix(p, d+string(filepath.Separator))) && len(d) > bestLen {
				best, bestLen = f, len(d)
			}
		}
	}
	if best == nil {
		return nil, &rootfs.OutOfBoundsError{Name: p}
	}
	return best, nil
}

// contained refuses a chart directory outside every root, or holding a
// symlink that points outside its root.
func (r *Renderer) contained(dir string, display func(string) string) error {
	f, err := r.fsFor(filepath.Clean(dir))
	if err != nil {
		return &Error{File: display(dir), Err: fmt.Errorf("chart directory is outside the repository")}
	}
	if _, err := f.Resolve(dir); err != nil {
		if oob, ok := err.(*rootfs.OutOfBoundsError); ok {
			return &Error{File: display(filepath.Join(f.Dir(), filepath.FromSlash(oob.Link))), Err: fmt.Errorf("refused: symlink to %s points outside the repository", oob.Target)}
		}
	}
	bad, err := f.OutOfBounds(dir)
	if err != nil {
		return &Error{File: display(dir), Err: err}
	}
	if len(bad) > 0 {
		b := bad[0]
		return &Error{File: display(filepath.Join(f.Dir(), filepath.FromSlash(b.Link))), Err: fmt.Errorf("refused: symlink to %s points outside the repository (Argo CD refuses out-of-bounds symlinks)", b.Target)}
	}
	return nil
}

// readLocal reads a local value file inside its root.
func (r *Renderer) readLocal(p string) ([]byte, error) {
	f, err := r.fsFor(filepath.Clean(p))
	if err != nil {
		return nil, err
	}
	return f.ReadFile(p)
}

// addRoots registers a request's repo root, its refs' roots and the cache.
func (r *Renderer) addRoots(root string, refs map[string]string) error {
	for _, d := range append([]string{root, r.cacheDir}, mapValues(refs)...) {
		if d == "" {
			continue
		}
		if err := r.addRoot(d); err != nil {
			return err
		}
	}
	return nil
}

// overlayRel is the overlay with paths relative to the checkout root.
func (r *Renderer) overlayRel() map[string][]byte {
	out := map[string][]byte{}
	root := r.overlayRoots[0]
	for p, b := range r.overlay {
		if rel, err := filepath.Rel(root, p); err == nil && filepath.IsLocal(rel) {
			out[filepath.ToSlash(rel)] = b
		}
	}
	return out
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
