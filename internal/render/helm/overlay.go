package helm

import (
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// WithOverlay makes the files named in files (slash paths relative to the
// checkout root) read as the given content, for chart directories and
// values files alike: a render of edits not yet written.
func WithOverlay(root string, files map[string][]byte) Option {
	return func(r *Renderer) {
		if len(files) == 0 {
			return
		}
		r.overlay = map[string][]byte{}
		roots := []string{filepath.Clean(root)}
		if real, err := filepath.EvalSymlinks(root); err == nil && real != roots[0] {
			roots = append(roots, real)
		}
		r.overlayRoots = roots
		for rel, b := range files {
			for _, d := range roots {
				r.overlay[filepath.Join(d, filepath.FromSlash(rel))] = b
			}
		}
	}
}

// overlaid returns the overlay's content for an absolute path.
func (r *Renderer) overlaid(p string) ([]byte, bool) {
	if len(r.overlay) == 0 {
		return nil, false
	}
	p = filepath.Clean(p)
	if b, ok := r.overlay[p]; ok {
		return b, true
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		b, ok := r.overlay[real]
		return b, ok
	}
	return nil, false
}

// overlayChart reloads a chart loaded from dir when a file of it is
// overlaid: the loader's raw files with the overlaid content replaced, so
// values.yaml, templates and subcharts all see the edit.
func (r *Renderer) overlayChart(c *chart.Chart, dir string) (*chart.Chart, error) {
	if len(r.overlay) == 0 || c == nil {
		return c, nil
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		real = dir
	}
	changed := false
	files := make([]*loader.BufferedFile, 0, len(c.Raw))
	for _, f := range c.Raw {
		data := f.Data
		for _, d := range []string{dir, real} {
			if b, ok := r.overlaid(filepath.Join(d, filepath.FromSlash(f.Name))); ok {
				data, changed = b, true
				break
			}
		}
		files = append(files, &loader.BufferedFile{Name: f.Name, Data: data})
	}
	if !changed {
		return c, nil
	}
	return loader.LoadFiles(files)
}

// overlayUnder reports whether an overlaid file lies under dir.
func (r *Renderer) overlayUnder(dir string) bool {
	dir = filepath.Clean(dir) + string(filepath.Separator)
	for p := range r.overlay {
		if strings.HasPrefix(p, dir) {
			return true
		}
	}
	return false
}
