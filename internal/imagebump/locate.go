package imagebump

import (
	"path"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// Locator answers where a rendered image is set in one source file, with
// the engine bump edits with: the line it returns is the line `bump` would
// report and edit for that reference (the tag, or the image string, or the
// digest when there is no tag). It caches parsed files and is safe for
// concurrent use.
type Locator struct {
	root   string
	mu     sync.Mutex
	parsed map[string][]*yaml.Node
}

// NewLocator returns a Locator for the files under root (repo-relative
// names, forward slashes).
func NewLocator(root string) *Locator {
	return &Locator{root: root, parsed: map[string][]*yaml.Node{}}
}

// Match says how closely a reference must agree with the rendered image.
type Match int

// Match levels.
const (
	// MatchExact: same repository, and the file sets the tag and digest the
	// rendered image has.
	MatchExact Match = iota
	// MatchRepository: same repository; the tag may come from elsewhere
	// (an empty tag, a chart's appVersion, an images: entry without newTag).
	MatchRepository
	// MatchTagOnly: a Helm values override that sets only the tag
	// (image: {tag: 2.1.0}): a tag key holding the rendered tag with no
	// repository beside it. The fallback for what HelmTag cannot pair
	// with its repository (a remote chart's values, a value file behind a
	// glob or URL); bump does not edit these.
	MatchTagOnly
)

// Line returns the 1-based line of the first reference to image in the
// repo-relative file rel, 0 when there is none at the given match level.
// docLine > 0 limits the search to the YAML document starting closest
// before that line (an Application in a multi-document file).
func (l *Locator) Line(rel string, docLine int, image string, match Match) int {
	sp, ok := parseImage(image)
	if !ok {
		return 0
	}
	tag, dig := "", ""
	if sp.tagStart >= 0 {
		tag = image[sp.tagStart:sp.tagEnd]
	}
	if sp.digStart >= 0 {
		dig = image[sp.digStart:sp.digEnd]
	}
	docs := l.docs(rel)
	if docLine > 0 {
		d := docAtLine(docs, docLine)
		if d == nil {
			return 0
		}
		docs = []*yaml.Node{d}
	}
	if match == MatchTagOnly {
		if tag == "" {
			return 0
		}
		for _, d := range docs {
			if line := tagOnlyLine(d, tag); line > 0 {
				return line
			}
		}
		return 0
	}
	s := l.scan(rel, docs, sp.canonical)
	for _, c := range s.cands {
		if match == MatchRepository || c.curTag == tag && c.curDig == dig {
			return c.line(c.anchor)
		}
	}
	return 0
}

// scan walks the documents docs of the file rel with bump's scanner for
// the image canonical, collecting its candidates and Helm sources.
func (l *Locator) scan(rel string, docs []*yaml.Node, canonical string) *scanner {
	s := &scanner{root: l.root, read: l.read, docsOf: l.docs, canonical: canonical, needle: needleOf(canonical),
		files: map[string]*sourceFile{}}
	for _, d := range docs {
		if len(d.Content) == 0 {
			continue
		}
		w := walker{s: s, file: rel, base: path.Base(rel), root: d}
		w.doc(d.Content[0])
	}
	return s
}

// HelmTag returns the file and line where the Helm sources of the
// Application in rel (docLine > 0: the document starting closest before
// that line) set the tag of image, when that tag is the one image has: the
// layer that wins in Argo CD's precedence (the chart's values.yaml < the
// value files in order < values or valuesObject), also when it sets only
// the tag of a repository a lower layer names. It is the token bump edits.
// A parameter, which wins over every layer, is left to Line on the
// Application itself. ("", 0) when no source in this repo decides it, or
// a value file that cannot be read statically (a URL, a glob) may.
func (l *Locator) HelmTag(rel string, docLine int, image string) (string, int) {
	sp, ok := parseImage(image)
	if !ok || sp.tagStart < 0 {
		return "", 0
	}
	tag, dig := image[sp.tagStart:sp.tagEnd], ""
	if sp.digStart >= 0 {
		dig = image[sp.digStart:sp.digEnd]
	}
	docs := l.docs(rel)
	if docLine > 0 {
		d := docAtLine(docs, docLine)
		if d == nil {
			return "", 0
		}
		docs = []*yaml.Node{d}
	}
	s := l.scan(rel, docs, sp.canonical)
	for _, hs := range s.helm {
		for _, w := range s.tagWinners(hs) {
			if isScalar(w.tag) && w.tag.Value == tag && w.curDig == dig {
				if w.layer.host != nil {
					return w.layer.file, w.layer.host.line(w.tag.Line)
				}
				return w.layer.file, w.tag.Line
			}
		}
	}
	return "", 0
}

// docs parses a repo-relative YAML file once (nil when unreadable, outside
// the root or not YAML; the documents before a syntax error are kept).
func (l *Locator) docs(rel string) []*yaml.Node {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d, ok := l.parsed[rel]; ok {
		return d
	}
	var out []*yaml.Node
	if data, err := l.read(rel); err == nil {
		out, _ = workspace.DecodeNodes(data)
	}
	l.parsed[rel] = out
	return out
}

// read reads a repo-relative file through the rooted filesystem: never
// outside the root, also through a symlink. Each file is read once (docs
// caches it).
func (l *Locator) read(rel string) ([]byte, error) {
	fsys, err := rootfs.Open(l.root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	return fsys.ReadFile(rel)
}

// docAtLine picks the document starting closest before line.
func docAtLine(docs []*yaml.Node, line int) *yaml.Node {
	var pick *yaml.Node
	for _, d := range docs {
		start := d.Line
		if len(d.Content) > 0 {
			start = d.Content[0].Line
		}
		if start <= line+1 {
			pick = d
		}
	}
	return pick
}

// tagOnlyLine finds a mapping below n with tag: <tag> and no key naming a
// repository (a values override of the tag alone); its line, or 0.
func tagOnlyLine(n *yaml.Node, tag string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.MappingNode {
		if t := mapGet(n, "tag"); isScalar(t) && t.Value == tag {
			named := false
			for _, k := range []string{"repository", "image", "repo", "name", "newName", "registry"} {
				if mapGet(n, k) != nil {
					named = true
				}
			}
			if !named {
				return t.Line
			}
		}
	}
	for _, c := range n.Content {
		if line := tagOnlyLine(c, tag); line > 0 {
			return line
		}
	}
	return 0
}
