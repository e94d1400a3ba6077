package images

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/source"
	"github.com/render-check/render-check/internal/workspace"
)

// Scores of a candidate line; higher is a more certain "this is where the
// image is set".
const (
	scoreRepoOnly  = 20 // a repository key matches; the tag comes from elsewhere
	scoreTagOnly   = 50 // a tag key holds the tag; no repository beside it
	scoreDigest    = 60 // a digest key holds the pinned digest
	scoreParameter = 70 // a Helm parameter image.tag=<tag>
	scoreTagRepo   = 80 // tag and repository side by side
	scoreFullRef   = 100
)

// minScore is what a file must offer to be chosen over the manifest line.
const minScore = scoreTagOnly

// Locator finds where a person sets an image. It caches parsed files and is
// safe for concurrent use.
type Locator struct {
	root   string
	index  *source.Index
	mu     sync.Mutex
	parsed map[string][]*yaml.Node
}

// NewLocator returns a Locator for files under root.
func NewLocator(root string) *Locator {
	return &Locator{root: root, index: source.NewIndex(), parsed: map[string][]*yaml.Node{}}
}

// Location is a repo-relative file and 1-based line.
type Location struct {
	File string
	Line int
}

// Locate returns where the image of use in res is set, trying in order of
// precedence: the Application's inline settings (kustomize images, Helm
// parameters, values, valuesObject), the Helm values files (last first),
// the kustomizations the app read (its own path first), then the
// manifest's image line, then the Application.
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
	for _, threshold := range []int{minScore, scoreRepoOnly} {
		for _, c := range files {
			if line, score := l.search(c.file, c.docAt, use.Image, ref); score >= threshold {
				return Location{File: c.file, Line: line}
			}
		}
		if threshold == minScore && res.Origin.File != "" && isYAML(res.Origin.File) {
			// The manifest itself, when it holds the image as rendered.
			if line := l.manifestLine(res, use); line > 0 {
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

// manifestLine is the line of use's field in the origin manifest when the
// value there is the rendered image (not changed by a transformer).
func (l *Locator) manifestLine(res *resource.Resource, use Use) int {
	line := l.index.FieldLine(l.root, res.Origin, res.Kind(), res.Name(), use.Path)
	if line <= 0 {
		return 0
	}
	docs := l.docs(res.Origin.File)
	for _, d := range docs {
		if n := scalarAt(d, line); n != nil && n.Value == use.Image {
			return line
		}
	}
	return 0
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

// docs parses a repo-relative YAML file once (nil when unreadable or not YAML).
func (l *Locator) docs(rel string) []*yaml.Node {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d, ok := l.parsed[rel]; ok {
		return d
	}
	var out []*yaml.Node
	data, err := os.ReadFile(filepath.Join(l.root, filepath.FromSlash(rel)))
	if err == nil {
		out = parseDocs(data, 0)
	}
	l.parsed[rel] = out
	return out
}

// parseDocs decodes every YAML document, shifting lines by offset; the
// documents before a syntax error are kept.
func parseDocs(data []byte, offset int) []*yaml.Node {
	out, _ := workspace.DecodeNodes(data)
	if offset != 0 {
		for _, n := range out {
			shift(n, offset)
		}
	}
	return out
}

func shift(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shift(c, by)
	}
}

// search returns the best line in a file for ref and its score.
func (l *Locator) search(rel string, docAt int, image string, ref registry.Ref) (int, int) {
	docs := l.docs(rel)
	if docAt > 0 {
		docs = []*yaml.Node{docAtLine(docs, docAt)}
		if docs[0] == nil {
			return 0, 0
		}
	}
	best, bestScore := 0, 0
	for _, d := range docs {
		m := matcher{image: image, ref: ref}
		m.walk(d)
		if m.score > bestScore {
			best, bestScore = m.line, m.score
		}
	}
	return best, bestScore
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

// scalarAt returns a scalar value node on line, if any.
func scalarAt(n *yaml.Node, line int) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode && v.Line == line {
				return v
			}
		}
	}
	for _, c := range n.Content {
		if s := scalarAt(c, line); s != nil {
			return s
		}
	}
	return nil
}

// matcher scores the nodes of one document.
type matcher struct {
	image string
	ref   registry.Ref
	line  int
	score int
}

func (m *matcher) offer(line, score int) {
	// Ties keep the first occurrence in document order.
	if score > m.score {
		m.line, m.score = line, score
	}
}

func (m *matcher) walk(n *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				m.scalar(c)
			}
			m.walk(c)
		}
	case yaml.MappingNode:
		m.mapping(n)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode {
				m.scalar(v)
				if k.Value == "values" && strings.Contains(v.Value, "\n") {
					// helm.values: an embedded YAML document; its content
					// starts on the line after the key.
					for _, d := range parseDocs([]byte(v.Value), k.Line) {
						m.walk(d)
					}
				}
			}
			m.walk(v)
		}
	case yaml.AliasNode:
		// Aliases repeat a value defined elsewhere; the anchor is where it is set.
	}
}

// scalar scores a value equal to the whole reference (also kustomize's
// "old=new:tag" form in an Application's kustomize.images).
func (m *matcher) scalar(v *yaml.Node) {
	s := strings.TrimSpace(v.Value)
	if !strings.ContainsAny(s, "/:@") {
		// A bare name ("nginx") also names containers, releases and charts;
		// it is matched through an image or repository key instead.
		return
	}
	if s == m.image {
		m.offer(v.Line, scoreFullRef)
		return
	}
	if _, after, ok := strings.Cut(s, "="); ok {
		s = after
	}
	if r, err := registry.Parse(s); err == nil && r.String() == m.ref.String() {
		m.offer(v.Line, scoreFullRef)
	}
}

// repoKeys hold a repository next to a tag (Helm charts, kustomize images).
var repoKeys = []string{"repository", "image", "name", "repo", "newname", "imagename"}

// mapping scores a tag, digest or Helm parameter held in an object.
func (m *matcher) mapping(n *yaml.Node) {
	fields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
			fields[strings.ToLower(n.Content[i].Value)] = v
		}
	}
	repoMatch := false
	var repoNode *yaml.Node
	for _, k := range repoKeys {
		if v := fields[k]; v != nil && m.repoMatches(v.Value, fields["registry"]) {
			repoMatch, repoNode = true, v
			break
		}
	}
	// A Helm parameter: {name: image.tag, value: "1.2"}.
	if name, val := fields["name"], fields["value"]; name != nil && val != nil {
		key := strings.ToLower(name.Value)
		switch {
		case m.ref.Tag != "" && strings.HasSuffix(key, "tag") && val.Value == m.ref.Tag:
			m.offer(val.Line, scoreParameter)
		case m.ref.Digest != "" && strings.HasSuffix(key, "digest") && val.Value == m.ref.Digest:
			m.offer(val.Line, scoreParameter)
		case (strings.HasSuffix(key, "repository") || strings.HasSuffix(key, "image")) && m.repoMatches(val.Value, nil):
			m.offer(val.Line, scoreRepoOnly)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := strings.ToLower(n.Content[i].Value), n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			continue
		}
		switch {
		case m.ref.Tag != "" && strings.HasSuffix(k, "tag") && v.Value == m.ref.Tag:
			if repoMatch {
				m.offer(v.Line, scoreTagRepo)
			} else if !hasOtherRepo(fields) {
				m.offer(v.Line, scoreTagOnly)
			}
		case m.ref.Digest != "" && strings.HasSuffix(k, "digest") && v.Value == m.ref.Digest:
			if repoMatch {
				m.offer(v.Line, scoreTagRepo)
			} else {
				m.offer(v.Line, scoreDigest)
			}
		}
	}
	if repoMatch && repoNode != nil {
		m.offer(repoNode.Line, scoreRepoOnly)
	}
}

// hasOtherRepo reports a repository key naming some other image, which
// rules out a tag-only match in the same object.
func hasOtherRepo(fields map[string]*yaml.Node) bool {
	for _, k := range []string{"repository", "repo", "newname", "imagename"} {
		if fields[k] != nil {
			return true
		}
	}
	return false
}

// repoMatches reports whether s names ref's repository: the full name, or
// a suffix at a path boundary ("distrib/warehouse" for
// "registry.example/distrib/warehouse"), optionally with a registry sibling.
func (m *matcher) repoMatches(s string, registryNode *yaml.Node) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	if registryNode != nil && registryNode.Value != "" {
		s = strings.TrimSuffix(registryNode.Value, "/") + "/" + s
	}
	full := m.ref.Repository.Name()
	if r, err := registry.Parse(s); err == nil && r.Repository.Name() == full && r.Tag == "" && r.Digest == "" {
		return true
	}
	bare := m.ref.Repository.RepositoryStr()
	return s == bare || strings.HasSuffix(full, "/"+s) || strings.HasSuffix(bare, "/"+s)
}
