package workspace

import (
	"context"
	"io/fs"
	"path"
	"strings"
)

// discoveryFiles walks the workspace file list the way cluster detection
// and config proposal look at a repo: the YAML files (at most
// maxDetectFileSize bytes) outside hidden directories, the directories
// skip names, and Helm charts; and the chart directories met on the way
// (the outermost ones, as a walk that does not descend into a chart meets
// them). Symlinks are not in the file list, so none is followed.
func (r *Workspace) discoveryFiles(skip func(name string) bool) (files, charts []string, err error) {
	// The list is listed once per workspace; the first caller's context
	// lists it (Open's callers list it before discovery).
	all, err := r.Files(context.Background())
	if err != nil {
		return nil, nil, err
	}
	chartDir := map[string]bool{}
	for _, f := range all {
		if path.Base(f) == "Chart.yaml" {
			chartDir[path.Dir(f)] = true
		}
	}
	seenChart := map[string]bool{}
	for _, f := range all {
		if chart, ok := outerChart(f, chartDir, skip); ok {
			if chart != "" && !seenChart[chart] {
				seenChart[chart] = true
				charts = append(charts, chart)
			}
			continue
		}
		if !isYAMLName(f) || !r.smallFile(f) {
			continue
		}
		files = append(files, f)
	}
	return files, charts, nil
}

// outerChart tells whether a walk from the root would not reach file f:
// a directory on its way is hidden or skipped (chart ""), or is a Helm
// chart (that chart's directory).
func outerChart(f string, chartDir map[string]bool, skip func(string) bool) (string, bool) {
	if chartDir["."] {
		return ".", true
	}
	dir := path.Dir(f)
	if dir == "." {
		return "", false
	}
	parts := strings.Split(dir, "/")
	for i, name := range parts {
		if strings.HasPrefix(name, ".") || skip(name) {
			return "", true
		}
		if d := strings.Join(parts[:i+1], "/"); chartDir[d] {
			return d, true
		}
	}
	return "", false
}

// smallFile reports whether rel is at most maxDetectFileSize bytes: the
// overlay's content, the bytes ReadFile kept, the size the file list was
// taken with (for the files the listing stat-ed), else a stat.
func (r *Workspace) smallFile(rel string) bool {
	if b, ok := r.overlay[rel]; ok {
		return len(b) <= maxDetectFileSize
	}
	r.mu.Lock()
	b, ok := r.raw[rel]
	r.mu.Unlock()
	if ok {
		return len(b) <= maxDetectFileSize
	}
	if r.files != nil {
		if n, ok := r.files.sizes[rel]; ok {
			return n <= maxDetectFileSize
		}
	}
	st, err := fs.Stat(r.fsys, rel)
	return err == nil && st.Size() <= maxDetectFileSize
}

// chartFilesHaveApplications reports whether the templates of the chart in
// dir define Argo CD Applications (a chart of Applications, app-of-apps).
func (r *Workspace) chartFilesHaveApplications(dir string) bool {
	all, err := r.Files(context.Background())
	if err != nil {
		return false
	}
	prefix := path.Join(dir, "templates") + "/"
	if dir == "." {
		prefix = "templates/"
	}
	for _, f := range all {
		if !strings.HasPrefix(f, prefix) || !r.smallFile(f) {
			continue
		}
		data, err := r.ReadFile(f)
		if err == nil && containsApplication(data) {
			return true
		}
	}
	return false
}
