package render

import (
	"os"
	"strings"
	"sync"

	"github.com/render-check/render-check/internal/workspace"
)

// lineIndex locates objects in repo files, parsing each file once per run.
type lineIndex struct {
	mu    sync.Mutex
	docs  map[string][]workspace.Document
	lines map[string][]string
}

func newLineIndex() *lineIndex {
	return &lineIndex{docs: map[string][]workspace.Document{}, lines: map[string][]string{}}
}

func (x *lineIndex) file(r *workspace.Workspace, rel string) ([]workspace.Document, []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if d, ok := x.docs[rel]; ok {
		return d, x.lines[rel]
	}
	data, err := os.ReadFile(r.Abs(rel))
	var docs []workspace.Document
	var lines []string
	if err == nil {
		docs, _ = workspace.ParseDocuments(rel, data)
		lines = strings.Split(string(data), "\n")
	}
	x.docs[rel] = docs
	x.lines[rel] = lines
	return docs, lines
}

// documentLine finds the line of the document in rel that produced obj: the
// only document, else the document of the same kind whose name is the
// longest part of obj's (prefixed, suffixed) name.
func (x *lineIndex) documentLine(r *workspace.Workspace, rel string, obj map[string]any) int {
	docs, _ := x.file(r, rel)
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
	_, lines := x.file(r, rel)
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
