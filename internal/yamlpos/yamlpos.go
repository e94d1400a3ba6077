// Package yamlpos maps a field of a rendered object back to the line of the
// source file a person edits: the manifest of a directory or Kustomize source,
// or the template of a Helm chart.
//
// Files are parsed once with gopkg.in/yaml.v3 and cached (safe for concurrent
// use). A file that is not valid YAML (a Helm template) is searched textually
// for the path's keys instead.
package yamlpos

import (
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// Index caches parsed source files. The zero value is not usable; use
// NewIndex. An Index is safe for concurrent use.
type Index struct {
	mu    sync.Mutex
	files map[string]*fileEntry
	// roots are the roots files are read under, opened once: a file is
	// never read through a symlink out of its root.
	roots map[string]*rootfs.FS
}

// NewIndex returns an empty Index.
func NewIndex() *Index {
	return &Index{files: map[string]*fileEntry{}, roots: map[string]*rootfs.FS{}}
}

// defaultIndex backs the package-level FieldLine. It only caches file
// contents, invalidated by size and modification time.
var defaultIndex = NewIndex()

// FieldLine returns the 1-based line, in the file origin.File (relative to
// root), of the deepest key of path that exists in the document that produced
// the object kind/name. Path elements are map keys or decimal list indices,
// e.g. ["spec","template","spec","containers","0","image"].
//
// The document is found by origin.Line (the line where it starts), else by
// kind and metadata.name, else by kind alone when only one document has it,
// else it is the file's only document. When no key of
// path exists the document's line is returned; when the file cannot be read
// origin.Line is returned (0 if unknown).
func FieldLine(root string, origin resource.Origin, kind, name string, path []string) int {
	return defaultIndex.FieldLine(root, origin, kind, name, path)
}

// FieldLine is the package-level FieldLine using this Index's cache.
func (ix *Index) FieldLine(root string, origin resource.Origin, kind, name string, path []string) int {
	if origin.File == "" || origin.Chart != "" {
		return origin.Line // a remote chart's object: the line that chose the chart
	}
	f := ix.load(root, origin.File)
	if f == nil {
		return origin.Line
	}
	if f.docs == nil {
		start := origin.Line
		if start == 0 {
			start = kindLine(f.lines, kind)
		}
		return textLine(f.lines, start, path)
	}
	d := f.find(origin.Line, kind, name)
	if d == nil {
		return origin.Line
	}
	return d.fieldLine(path)
}

type fileEntry struct {
	once    sync.Once
	size    int64
	modTime time.Time
	// docs is nil when the file is not valid YAML; lines is then used.
	docs  []*document
	lines []string
}

type document struct {
	start, end int
	kind, name string
	root       *yaml.Node
}

// load returns the parsed file rel (a slash path relative to root), read
// through the root (cached by size and modification time); nil when it
// cannot be read.
func (ix *Index) load(root, rel string) *fileEntry {
	ix.mu.Lock()
	rfs, ok := ix.roots[root]
	if !ok {
		rfs, _ = rootfs.Open(root) // kept for the Index's life
		ix.roots[root] = rfs
	}
	ix.mu.Unlock()
	if rfs == nil {
		return nil
	}
	name := filepath.FromSlash(rel)
	st, err := rfs.Stat(name)
	if err != nil || st.IsDir() {
		return nil
	}
	key := filepath.Join(root, name)
	ix.mu.Lock()
	f := ix.files[key]
	if f == nil || f.size != st.Size() || !f.modTime.Equal(st.ModTime()) {
		f = &fileEntry{size: st.Size(), modTime: st.ModTime()}
		ix.files[key] = f
	}
	ix.mu.Unlock()
	f.once.Do(func() { f.parse(rfs, name) })
	return f
}

func (f *fileEntry) parse(rfs *rootfs.FS, name string) {
	data, err := rfs.ReadFile(name)
	if err != nil {
		return
	}
	nodes, err := workspace.DecodeNodes(data)
	if err != nil {
		// Not YAML (e.g. a Helm template): fall back to text search.
		f.lines = strings.Split(string(data), "\n")
		return
	}
	docs := []*document{}
	for _, n := range nodes {
		if len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		d := &document{start: root.Line, end: maxLine(root), root: root}
		if root.Kind == yaml.MappingNode {
			if k := child(root, "kind"); k != nil && k.Kind == yaml.ScalarNode {
				d.kind = k.Value
			}
			if md := child(root, "metadata"); md != nil {
				if nm := child(md, "name"); nm != nil && nm.Kind == yaml.ScalarNode {
					d.name = nm.Value
				}
			}
		}
		docs = append(docs, d)
	}
	f.docs = docs
}

// find picks the document of an object: by start line, else kind/name, else
// the only document.
func (f *fileEntry) find(line int, kind, name string) *document {
	if line > 0 {
		for _, d := range f.docs {
			if line >= d.start && line <= d.end {
				return d
			}
		}
		// The line may be a "---" or comment just before a document.
		for _, d := range f.docs {
			if d.start > line {
				return d
			}
		}
	}
	var match *document
	for _, d := range f.docs {
		if d.kind == kind && d.name == name && kind != "" {
			if match != nil {
				match = nil
				break
			}
			match = d
		}
	}
	if match != nil {
		return match
	}
	// The name may be templated or prefixed: a kind found once will do.
	for _, d := range f.docs {
		if d.kind == kind && kind != "" {
			if match != nil {
				match = nil
				break
			}
			match = d
		}
	}
	if match != nil {
		return match
	}
	if len(f.docs) == 1 {
		return f.docs[0]
	}
	return nil
}

// fieldLine walks path from the document root and returns the line of the
// deepest existing key (or list item).
func (d *document) fieldLine(path []string) int {
	line := d.start
	n := d.root
	for _, p := range path {
		n = resolveAlias(n)
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		default:
			return line
		}
	}
	return line
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func child(m *yaml.Node, key string) *yaml.Node {
	m = resolveAlias(m)
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func maxLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		if m := maxLine(c); m > l {
			l = m
		}
	}
	return l
}

// kindLine returns the first line of the document of a template that
// declares kind (the line after its "---", or 1), else 0.
func kindLine(lines []string, kind string) int {
	if kind == "" {
		return 0
	}
	docStart := 1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "---" || strings.HasPrefix(l, "--- ") {
			docStart = i + 2
			continue
		}
		if strings.HasPrefix(l, "kind:") && strings.Trim(strings.TrimSpace(strings.TrimPrefix(l, "kind:")), `"'`) == kind {
			return docStart
		}
	}
	return 0
}

// textLine finds path's keys in a file that is not YAML (a template): each key
// is looked up after the previous one, at a deeper indentation, starting at
// the document line. List indices are skipped. It returns the line of the
// deepest key found, else start.
func textLine(lines []string, start int, path []string) int {
	line := start
	from := max(start-1, 0)
	indent := -1
	for _, p := range path {
		if _, err := strconv.Atoi(p); err == nil {
			continue
		}
		found := false
		for i := from; i < len(lines); i++ {
			l := lines[i]
			trimmed := strings.TrimLeft(l, " ")
			ind := len(l) - len(trimmed)
			trimmed = strings.TrimPrefix(trimmed, "- ")
			if strings.HasPrefix(trimmed, p+":") && ind > indent {
				line, from, indent, found = i+1, i+1, ind, true
				break
			}
			// Leaving the current block: a non-blank line at or above its indentation.
			if indent >= 0 && strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "{{") && ind <= indent {
				break
			}
			if strings.TrimSpace(l) == "---" && i >= start {
				break
			}
		}
		if !found {
			break
		}
	}
	return line
}

// NodeLine returns the line of the deepest key of path that exists under n (a
// document's root node), else n's line. Lines are those of the parsed text.
func NodeLine(n *yaml.Node, path []string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	d := &document{start: n.Line, root: n}
	return d.fieldLine(path)
}
