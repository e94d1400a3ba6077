package imagebump

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// helmSource is the helm: mapping of an Application source (or of an
// .argocd-source override file), kept by the walk and paired with the
// source's value files once every file is scanned.
type helmSource struct {
	file  string     // the file holding it
	field string     // YAML path of the helm mapping
	h     *yaml.Node // the helm mapping
	src   *yaml.Node // the source mapping holding it
	doc   *yaml.Node // the document (its spec.sources name the $ref roots)
}

// valuesLayer is one input of a Helm release's values. The layers of a
// source are kept lowest precedence first: the chart's values.yaml, the
// value files in order, then values or valuesObject (Argo CD's order; its
// parameters are above them all and are handled by argoHelm).
type valuesLayer struct {
	file string     // repo-relative file holding the values
	root *yaml.Node // the values mapping (nil for an unknown layer)
	kind Kind
	// field prefixes the YAML path of a key of root within file.
	field string
	// host is set for the values of a helm.values string: they are read
	// (they take part in precedence) but not edited from here.
	host *hostBlock
	// unknown: a layer render-check cannot read statically (a URL, a glob,
	// an environment variable, a file outside the root): what it sets is
	// unknown.
	unknown bool
}

// isHelmSource reports whether the mapping holding helm: is an Argo CD
// source (it has a repoURL) or the file is an .argocd-source override.
func isHelmSource(file string, src *yaml.Node) bool {
	return strings.HasPrefix(path.Base(file), ".argocd-source") || mapGet(src, "repoURL") != nil
}

// chartDir is the repo-relative directory of the source's chart, "" when
// it is not in this repo (a chart from a Helm repository, a templated or
// escaping path).
func (hs helmSource) chartDir() string {
	if strings.HasPrefix(path.Base(hs.file), ".argocd-source") {
		return path.Dir(hs.file) // an override file sits in the app's path
	}
	sp := scalarOf(mapGet(hs.src, "path"))
	if sp == "" || mapGet(hs.src, "chart") != nil || templated(sp) || strings.Contains(sp, "$") {
		return ""
	}
	dir := path.Clean(strings.TrimPrefix(sp, "/"))
	if dir == ".." || strings.HasPrefix(dir, "../") {
		return ""
	}
	return dir
}

// refNames are the ref: names of the document's spec.sources ("$values"),
// nil for a single-source Application.
func (hs helmSource) refNames() map[string]bool {
	spec := mapGet(hs.doc, "spec")
	if spec == nil {
		spec = mapGet(mapGet(hs.doc, "template"), "spec") // an ApplicationSet's template
	}
	srcs := mapGet(spec, "sources")
	if srcs == nil || srcs.Kind != yaml.SequenceNode {
		return nil
	}
	refs := map[string]bool{}
	for _, s := range srcs.Content {
		if r := scalarOf(mapGet(s, "ref")); r != "" {
			refs["$"+r] = true
		}
	}
	return refs
}

// valueFile resolves one valueFiles entry to a repo-relative path the way
// Argo CD does (relative to the chart directory; a leading / is the repo
// root; $ref/ is the referenced source's root, this repo's root here). ok
// is false when it cannot be known statically: a URL, a glob, an
// environment variable, a path leaving the root, or a relative path into a
// chart that is not in this repo.
func (hs helmSource) valueFile(raw, dir string, refs map[string]bool) (string, bool) {
	f := raw
	if strings.HasPrefix(f, "$") {
		name, rest, _ := strings.Cut(f, "/")
		switch {
		case refs != nil && refs[name]:
			f = "/" + rest
		case refs == nil && !argoEnv(name):
			f = "/" + rest // single source: an unknown $x expands to nothing
		default:
			return "", false
		}
	}
	if f == "" || strings.ContainsAny(f, "$*?[") || strings.Contains(f, "://") || templated(f) {
		return "", false
	}
	var rel string
	switch {
	case strings.HasPrefix(f, "/"):
		rel = path.Clean(strings.TrimPrefix(f, "/"))
	case dir == "":
		return "", false
	default:
		rel = path.Join(dir, f)
	}
	if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

// argoEnv reports a variable Argo CD sets for value-file paths.
func argoEnv(name string) bool {
	return strings.HasPrefix(strings.TrimPrefix(strings.TrimPrefix(name, "$"), "{"), "ARGOCD_") ||
		strings.HasPrefix(strings.TrimPrefix(strings.TrimPrefix(name, "$"), "{"), "KUBE_")
}

// layers returns the values of a Helm source, lowest precedence first.
// Files are read once through the scanner (never outside the root).
func (s *scanner) layers(hs helmSource) []valuesLayer {
	var out []valuesLayer
	dir := hs.chartDir()
	if hs.h == nil && (dir == "" || s.loadFile(path.Join(dir, "Chart.yaml")) == nil) {
		return nil // a source without helm settings is a chart only with a Chart.yaml
	}
	if dir != "" {
		if sf := s.loadFile(path.Join(dir, "values.yaml")); sf != nil && len(sf.docs) > 0 {
			out = append(out, valuesLayer{file: sf.rel, root: resolve(sf.docs[0]), kind: KindHelmValues})
		}
	}
	refs := hs.refNames()
	if vf := mapGet(hs.h, "valueFiles"); vf != nil && vf.Kind == yaml.SequenceNode {
		for _, e := range vf.Content {
			rel, ok := hs.valueFile(scalarOf(e), dir, refs)
			if !ok {
				out = append(out, valuesLayer{unknown: true})
				continue
			}
			sf := s.loadFile(rel)
			switch {
			case sf == unreadableFile:
				out = append(out, valuesLayer{unknown: true})
			case sf != nil && len(sf.docs) > 0:
				out = append(out, valuesLayer{file: rel, root: resolve(sf.docs[0]), kind: KindHelmValues})
			}
			// missing: dropped (ignoreMissingValueFiles), or the app does not render
		}
	}
	if vo := mapGet(hs.h, "valuesObject"); vo != nil {
		out = append(out, valuesLayer{file: hs.file, root: vo, kind: KindArgoHelmValuesObject, field: join(hs.field, "valuesObject")})
	} else if v := mapGet(hs.h, "values"); isScalar(v) && v.Value != "" {
		hb, err := s.hostFor(v)
		switch {
		case err != nil:
			out = append(out, valuesLayer{unknown: true})
		case len(hb.docs) > 0:
			out = append(out, valuesLayer{file: hs.file, root: resolve(hb.docs[0]), kind: KindArgoHelmValues,
				field: join(hs.field, "values") + "|", host: hb})
		}
	}
	return out
}

// helmParams are the names an Application's helm.parameters set.
func helmParams(h *yaml.Node) map[string]bool {
	out := map[string]bool{}
	if ps := mapGet(h, "parameters"); ps != nil && ps.Kind == yaml.SequenceNode {
		for _, e := range ps.Content {
			if nm := scalarOf(mapGet(e, "name")); nm != "" {
				out[nm] = true
			}
		}
	}
	return out
}

// mappingAt follows keys from root through nested mappings; nil when a key
// is absent or not a mapping.
func mappingAt(root *yaml.Node, keys []string) *yaml.Node {
	m := resolve(root)
	for _, k := range keys {
		m = mapGet(m, k)
	}
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	return m
}

// hasKey reports whether mapping m has key (whatever its value).
func hasKey(m *yaml.Node, key string) bool {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// imagePrefixes lists the key paths of the mappings that set a repository
// in any layer, in the order first met.
func imagePrefixes(layers []valuesLayer) [][]string {
	var out [][]string
	seen := map[string]bool{}
	var visit func(n *yaml.Node, keys []string, depth int)
	visit = func(n *yaml.Node, keys []string, depth int) {
		n = resolve(n)
		if n == nil || n.Kind != yaml.MappingNode || depth > 32 {
			return
		}
		if isScalar(mapGet(n, "repository")) {
			k := strings.Join(keys, "\x00")
			if !seen[k] {
				seen[k] = true
				out = append(out, append([]string(nil), keys...))
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i+1].Kind != yaml.AliasNode { // visited where it is anchored (aliases may fan out exponentially)
				visit(n.Content[i+1], append(keys, n.Content[i].Value), depth+1)
			}
		}
	}
	for _, l := range layers {
		if l.root != nil {
			visit(l.root, nil, 0)
		}
	}
	return out
}

// effective returns the value of keys.key after Helm merges the layers (the
// highest layer setting it), "" when none does.
func effective(layers []valuesLayer, keys []string, key string) string {
	for i := len(layers) - 1; i >= 0; i-- {
		if m := mappingAt(layers[i].root, keys); hasKey(m, key) {
			return scalarOf(mapGet(m, key))
		}
	}
	return ""
}

// valuesRepository returns the image repository (with its registry) the
// values of a Helm source set at prefix ("image." for image.repository),
// merged in Helm's precedence; "" when none is found in this repo.
func (s *scanner) valuesRepository(hs helmSource, prefix string) string {
	var keys []string
	if prefix != "" {
		keys = strings.Split(strings.TrimSuffix(prefix, "."), ".")
	}
	ls := s.layers(hs)
	repo := effective(ls, keys, "repository")
	if repo == "" {
		return ""
	}
	return joinRegistry(effective(ls, keys, "registry"), repo)
}

// tagWinner is where a Helm source's values set the tag of an image: the
// highest layer that sets it.
type tagWinner struct {
	layer   valuesLayer
	keys    []string   // the image mapping's key path
	mapping *yaml.Node // the image mapping in that layer
	tag     *yaml.Node
	repo    string // the merged repository, with its registry, as written
	curDig  string // the merged digest
	// tagOnly: the mapping sets the tag but no repository (the repository
	// comes from a lower layer, e.g. the chart's values.yaml).
	tagOnly bool
}

// tagWinners returns, for each image of the target repository that a Helm
// source's values name, the layer whose tag wins. An image whose tag a
// parameter sets (found by argoHelm), or whose winning layer cannot be
// known (an unknown layer above every layer setting it) is left out.
func (s *scanner) tagWinners(hs helmSource) []tagWinner {
	ls := s.layers(hs)
	params := helmParams(hs.h)
	var out []tagWinner
	for _, keys := range imagePrefixes(ls) {
		p := strings.Join(keys, ".")
		if p != "" {
			p += "."
		}
		if params[p+"tag"] || params[p+"repository"] || params[p+"registry"] || params[p+"digest"] {
			continue // a parameter wins over every layer: argoHelm finds it
		}
		repo := effective(ls, keys, "repository")
		if repo == "" || templated(repo) {
			continue
		}
		repo = joinRegistry(effective(ls, keys, "registry"), repo)
		if canon, ok := canonicalRepo(repo); !ok || canon != s.canonical {
			continue
		}
		for i := len(ls) - 1; i >= 0; i-- {
			l := ls[i]
			if l.unknown {
				break // it may set the tag: the winner is unknown
			}
			m := mappingAt(l.root, keys)
			if !hasKey(m, "tag") {
				continue
			}
			out = append(out, tagWinner{layer: l, keys: keys, mapping: m, tag: mapGet(m, "tag"), repo: repo,
				curDig: effective(ls, keys, "digest"), tagOnly: !hasKey(m, "repository")})
			break
		}
	}
	return out
}

// pairValues adds, for every Helm source met by the walk, the value-file
// tag that overrides alone (image: {tag: 2.1.0}) the tag of an image whose
// repository a lower layer names (the chart's values.yaml): Helm merges
// them, so that tag is what is deployed and what bump edits. A winner
// that names its repository is found by the walk already. A winner inside
// a helm.values string is edited in place when the string is a literal
// block (the walk and the stack share its parsed nodes, hostFor).
//
// A value file read by several sources may hold a tag-only mapping that
// another source pairs with a different repository (or one not known
// here, e.g. a remote chart's): editing it would change that image too, so
// it is refused, naming the other Application.
func (s *scanner) pairValues() {
	seen := map[*yaml.Node]bool{}
	for _, c := range s.cands {
		if c.tagNode != nil {
			seen[c.tagNode] = true
		}
	}
	others := s.tagOnlyUsers()
	for _, hs := range s.helm {
		for _, w := range s.tagWinners(hs) {
			if !w.tagOnly || seen[w.tag] {
				continue
			}
			seen[w.tag] = true
			field := layerField(w.layer, w.keys, "tag")
			if w.layer.host != nil && w.layer.host.node.Style&yaml.LiteralStyle == 0 {
				s.problems = append(s.problems, Problem{File: w.layer.file, Line: w.layer.host.node.Line,
					Message: fmt.Sprintf("%s sets the tag of %s in a string that is not a literal block: write it as `values: |` or move it to helm.valuesObject, then bump again", field, s.canonical)})
				continue
			}
			if o, ok := others[w.tag]; ok {
				what := "a repository render-check cannot see from this repo (a remote chart's values)"
				if o.repo != "" {
					what = o.repo
				}
				s.problems = append(s.problems, Problem{File: w.layer.file, Line: w.tag.Line,
					Message: fmt.Sprintf("%s sets the tag of %s here, but %s reads this file too and takes %s as the tag of %s: an edit would change both; give %s its own value file (or a helm parameter) and bump again", field, s.canonical, o.file, field, what, s.canonical)})
				continue
			}
			if sf := s.files[w.layer.file]; sf != nil && sopsEncrypted(sf.docs) {
				s.problems = append(s.problems, Problem{File: w.layer.file, Line: w.tag.Line,
					Message: fmt.Sprintf("SOPS-encrypted file sets the tag of %s (%s): an edit would break its MAC; change it with `sops` instead", s.canonical, field)})
				continue
			}
			c := &candidate{file: w.layer.file, kind: w.layer.kind, field: field, tagNode: w.tag, anchor: w.tag,
				curTag: scalarOf(w.tag), viaAlias: isAlias(w.mapping, "tag"), repo: w.repo, host: w.layer.host}
			if d := mapGet(w.mapping, "digest"); d != nil {
				c.digNode, c.digField = d, layerField(w.layer, w.keys, "digest")
			}
			c.curDig = w.curDig
			if !isScalar(w.tag) {
				c.problem = fmt.Sprintf("%s is not a string", field)
			}
			s.cands = append(s.cands, c)
		}
	}
}

// tagUser is a source that pairs a tag-only mapping with a repository
// other than the target ("" when the repository is not known here).
type tagUser struct {
	file string // the file holding the source
	repo string
}

// tagOnlyUsers maps the tag node of every tag-only mapping (a tag without
// a repository beside it) in the value layers of the sources met by the
// walk to a source that deploys it as the tag of another repository than
// the target (or of one not known here). A source where a later layer or
// a parameter sets that tag does not deploy it and does not count.
func (s *scanner) tagOnlyUsers() map[*yaml.Node]tagUser {
	out := map[*yaml.Node]tagUser{}
	for _, hs := range s.helm {
		ls := s.layers(hs)
		params := helmParams(hs.h)
		li := 0 // the layer being visited
		overridden := func(keys []string) bool {
			if params[strings.Join(keys, ".")+".tag"] {
				return true
			}
			for _, l := range ls[li+1:] {
				if hasKey(mappingAt(l.root, keys), "tag") {
					return true
				}
			}
			return false
		}
		var visit func(n *yaml.Node, keys []string, depth int)
		visit = func(n *yaml.Node, keys []string, depth int) {
			n = resolve(n)
			if n == nil || n.Kind != yaml.MappingNode || depth > 32 {
				return
			}
			if hasKey(n, "tag") && !hasKey(n, "repository") && len(keys) > 0 && !overridden(keys) {
				repo := effective(ls, keys, "repository")
				canon := ""
				if repo != "" && !templated(repo) {
					canon, _ = canonicalRepo(joinRegistry(effective(ls, keys, "registry"), repo))
				}
				t := mapGet(n, "tag")
				if _, seen := out[t]; !seen && canon != s.canonical {
					out[t] = tagUser{file: hs.file, repo: canon}
				}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i+1].Kind != yaml.AliasNode { // visited where it is anchored
					visit(n.Content[i+1], append(keys, n.Content[i].Value), depth+1)
				}
			}
		}
		for i, l := range ls {
			if l.root != nil && l.host == nil {
				li = i
				visit(l.root, nil, 0)
			}
		}
	}
	return out
}

// unreadableFile is loadFile's answer for a file that exists but cannot be
// read here.
var unreadableFile = &sourceFile{}

// layerField is the YAML path of keys.key in a layer, as the walk writes
// it (a helm.values string's keys follow a "|").
func layerField(l valuesLayer, keys []string, key string) string {
	p := strings.Join(append(append([]string(nil), keys...), key), ".")
	if strings.HasSuffix(l.field, "|") {
		return l.field + p
	}
	return join(l.field, p)
}

// loadFile returns the parsed YAML file rel, read once through the
// scanner's reader (never outside the root): nil when it does not exist,
// unreadableFile when it exists but cannot be read here (outside the root,
// not a regular file, not YAML).
func (s *scanner) loadFile(rel string) *sourceFile {
	if f, ok := s.files[rel]; ok {
		return f
	}
	f := &sourceFile{rel: rel}
	if s.docsOf != nil { // a Locator's cache: only the documents are needed
		if f.docs = s.docsOf(rel); f.docs == nil {
			return nil
		}
		s.files[rel] = f
		return f
	}
	if s.fsys != nil && !s.listed(rel) {
		// not a regular file of the file list: what is on disk?
		st, err := s.fsys.Stat(rel)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || !st.Mode().IsRegular() { // outside the root (rootfs refuses), a directory, ...
			return unreadableFile
		}
	}
	src, err := s.read(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return unreadableFile
	}
	docs, err := parseDocs(src)
	if err != nil {
		return unreadableFile
	}
	f.src, f.docs = src, docs
	s.files[rel] = f
	return f
}
