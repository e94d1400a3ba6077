package render

import (
	"strings"
	"sync"

	"github.com/render-check/render-check/internal/workspace"
)

// lineIndex locates objects in repo files. The documents are the
// workspace's (each file parsed once per run, shared with discovery); no
// lock is held while a file is read or parsed.
type lineIndex struct {
	mu    sync.Mutex
	files map[string]*lineFile
}

type lineFile struct {
	linesOnce sync.Once
	lines     []string
}

func newLineIndex() *lineIndex {
	return &lineIndex{files: map[string]*lineFile{}}
}

// docs returns the documents of rel (none when it does not read or parse;
// the documents before a parse error).
func (x *lineIndex) docs(r *workspace.Workspace, rel string) []workspace.Document {
	docs, _ := r.Documents(rel)
	return docs
}

// lines returns the lines of rel, read once.
func (x *lineIndex) lines(r *workspace.Workspace, rel string) []string {
	x.mu.Lock()
	f := x.files[rel]
	if f == nil {
		f = &lineFile{}
		x.files[rel] = f
	}
	x.mu.Unlock()
	f.linesOnce.Do(func() {
		if data, err := r.ReadFile(rel); err == nil {
			f.lines = strings.Split(string(data), "\n")
		}
	})
	return f.lines
}

// documentLine finds the line of the document in rel that produced obj: the
// only document, else the document of the same kind whose name is the
// longest part of obj's (prefixed, suffixed) name.
func (x *lineIndex) documentLine(r *workspace.Workspace, rel string, obj map[string]any) int {
	docs := x.docs(r, rel)
	var objs []workspace.Document
	for _, d := range docs {
		if d.Object != nil {
			objs = append(objs, d)
		}
	}
	if len(objs) == 1 {
		return objs[0].Line
	}
	kind, _ := obj["kind"].(string)
	name := objName(obj)
	best, bestLen, first := 0, -1, 0
	for _, d := range objs {
		if k, _ := d.Object["kind"].(string); k != kind {
			continue
		}
		if first == 0 {
			first = d.Line
		}
		n := objName(d.Object)
		if n != "" && strings.Contains(name, n) && len(n) > bestLen {
			best, bestLen = d.Line, len(n)
		}
	}
	if best == 0 {
		return first
	}
	return best
}

// generatorLine finds the `name: x` line of the generator entry in a
// kustomization that produced obj (name x is part of obj's name).
func (x *lineIndex) generatorLine(r *workspace.Workspace, rel string, obj map[string]any) int {
	lines := x.lines(r, rel)
	name := objName(obj)
	best, bestLen := 0, -1
	for i, l := range lines {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		v, ok := strings.CutPrefix(t, "name:")
		if !ok {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		if v != "" && strings.Contains(name, v) && len(v) > bestLen {
			best, bestLen = i+1, len(v)
		}
	}
	return best
}
