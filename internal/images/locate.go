package images

import (
	"path"
	"slices"
	"strings"

	"github.com/render-check/render-check/internal/imagebump"
	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/yamlpos"
)

// Locator finds where a person sets an image: which file, in Argo CD's
// order of precedence, and in it the line `bump` edits (imagebump.Locator,
// the one engine for image references in source files). It is safe for
// concurrent use.
type Locator struct {
	root  string
	index *yamlpos.Index
	refs  *imagebump.Locator
}

// NewLocator returns a Locator for files under root.
func NewLocator(root string) *Locator {
	return &Locator{root: root, index: yamlpos.NewIndex(), refs: imagebump.NewLocator(root)}
}

// Location is a repo-relative file and 1-based line.
type Location struct {
	File string
	Line int
}

// Locate returns where the image of use in res is set. First, for a Helm
// source, the values layer whose tag wins (imagebump.Locator.HelmTag: the
// chart's values.yaml, the value files, values/valuesObject, also a layer
// that sets the tag alone); then, in order of precedence: the
// Application's inline settings (kustomize images, Helm
// parameters, values, valuesObject), the Helm values files (last first),
// the kustomizations the app read (its own path first), then the
// manifest's image line, then the Application. A file that sets the
// rendered tag or digest wins over one that names only the repository.
func (l *Locator) Locate(app *resource.App, res *resource.Resource, use Use, ref registry.Ref) Location {
	type candidate struct {
		file  string
		docAt int // only the document starting at this line (0: all)
	}
	var files []candidate
	if app != nil && app.Application != nil && app.Application.File != "" {
		files = append(files, candidate{app.Application.File, app.Application.Line})
	}
	for i := len(res.ValuesFiles) - 1; i >= 0; i-- {
		files = append(files, candidate{file: res.ValuesFiles[i]})
	}
	if app != nil {
		for _, k := range kustomizations(app) {
			files = append(files, candidate{file: k})
		}
	}
	image := ref.String()
	if app != nil && app.Application != nil && app.Application.File != "" {
		// A Helm source's values: the layer whose tag wins is what a person
		// edits (and bump edits), also when it sets the tag alone.
		f, line := l.refs.HelmTag(app.Application.File, app.Application.Line, image)
		if line > 0 && (f == app.Application.File || slices.Contains(res.ValuesFiles, f) ||
			res.Origin.File != "" && strings.HasPrefix(res.Origin.File, path.Dir(f)+"/")) {
			return Location{File: f, Line: line}
		}
	}
	for _, match := range []imagebump.Match{imagebump.MatchExact, imagebump.MatchTagOnly, imagebump.MatchRepository} {
		for _, c := range files {
			if match == imagebump.MatchTagOnly && !slices.Contains(res.ValuesFiles, c.file) {
				continue // a tag alone means this image only in a Helm values override
			}
			if line := l.refs.Line(c.file, c.docAt, image, match); line > 0 {
				return Location{File: c.file, Line: line}
			}
		}
		if match == imagebump.MatchExact && res.Origin.File != "" && isYAML(res.Origin.File) {
			// The manifest itself, when it holds the image as rendered.
			if line := l.refs.Line(res.Origin.File, res.Origin.Line, use.Image, match); line > 0 {
				return Location{File: res.Origin.File, Line: line}
			}
		}
	}
	if res.Origin.File != "" {
		return Location{File: res.Origin.File, Line: l.index.FieldLine(l.root, res.Origin, res.Kind(), res.Name(), use.Path)}
	}
	if app != nil && app.Application != nil {
		return Location{File: app.Application.File, Line: app.Application.Line}
	}
	return Location{}
}

func isYAML(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// kustomizations lists the kustomization files the app read, those in the
// app's own source paths first.
func kustomizations(app *resource.App) []string {
	var own, other []string
	var paths []string
	if app.Application != nil {
		for _, s := range app.Application.Spec.AllSources() {
			if s.Path != "" {
				paths = append(paths, path.Clean(s.Path))
			}
		}
	}
	for _, in := range app.Inputs {
		switch path.Base(in) {
		case "kustomization.yaml", "kustomization.yml", "Kustomization":
		default:
			continue
		}
		dir := path.Dir(in)
		isOwn := false
		for _, p := range paths {
			if dir == p {
				isOwn = true
			}
		}
		if isOwn {
			own = append(own, in)
		} else {
			other = append(other, in)
		}
	}
	return append(own, other...)
}
