package imagebump

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// Kind is the shape of an image reference in a source file.
type Kind string

// Reference shapes.
const (
	// KindKustomizeImages is an entry of a kustomization's images: list.
	KindKustomizeImages Kind = "kustomize-images"
	// KindHelmValues is an image in a Helm values file: a {registry,
	// repository, tag, digest} mapping or an "image: repo:tag" string.
	KindHelmValues Kind = "helm-values"
	// KindManifest is an image: field of a plain Kubernetes manifest.
	KindManifest Kind = "manifest"
	// KindArgoKustomizeImages is an entry of an Application's
	// spec.source.kustomize.images.
	KindArgoKustomizeImages Kind = "argocd-kustomize-images"
	// KindArgoHelmParameters is an image.repository/image.tag pair (or an
	// image string) in an Application's spec.source.helm.parameters.
	KindArgoHelmParameters Kind = "argocd-helm-parameters"
	// KindArgoHelmValuesObject is an image inside an Application's
	// spec.source.helm.valuesObject.
	KindArgoHelmValuesObject Kind = "argocd-helm-valuesobject"
)

// candidate is a reference to the target repository found in a file, with
// the nodes that hold its tag and digest.
type candidate struct {
	file  string
	kind  Kind
	field string // YAML path of the token node
	// digField is the YAML path of the digest node when it is not field.
	digField string
	anchor   *yaml.Node // node giving the reported position
	// str is true for "repo[:tag][@digest]" strings held in one node
	// (imageNode); span locates the parts inside imageNode.Value.
	str       bool
	imageNode *yaml.Node
	span      imageSpan
	// For mappings and parameters: the nodes holding tag and digest (nil
	// when the key is absent).
	tagNode, digNode *yaml.Node
	repo             string // repository as written
	curTag, curDig   string
	// entry is the kustomization images: entry, where a missing newTag or
	// digest key can be added.
	entry *yaml.Node
	// host is set when the reference lives inside a YAML string (an
	// Application's helm.values block): the nodes above belong to the
	// document parsed from that string.
	host *hostBlock
	// viaAlias: the edited value is reached through an alias (*a); the
	// anchored value it points at is what changes.
	viaAlias bool
	problem  string // why it cannot be edited at all ("" = editable)
}

// emptyTag reports whether the reference has a tag field holding "" and
// no digest: the tag is decided elsewhere (a chart's appVersion).
func (c *candidate) emptyTag() bool {
	return !c.str && c.tagNode != nil && c.tagNode.Kind == yaml.ScalarNode && c.tagNode.Value == "" && c.tagNode.Tag == "!!str" && c.curDig == ""
}

// image returns the reference as it reads now.
func (c *candidate) image() string {
	s := c.repo
	if c.curTag != "" {
		s += ":" + c.curTag
	}
	if c.curDig != "" {
		s += "@" + c.curDig
	}
	return s
}

// Problem is a reason the bump is refused, located in a source file.
type Problem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	switch {
	case p.File != "" && p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	case p.File != "":
		return p.File + ": " + p.Message
	}
	return p.Message
}

// sourceFile is one parsed YAML file of the repo.
type sourceFile struct {
	rel string // repo-relative, forward slashes
	// abs (the real path, in-root links resolved) and mode are set by
	// target, for the files an edit is written to.
	abs  string
	src  []byte
	mode fs.FileMode
	docs []*yaml.Node
}

// target sets the real path and mode of a file an edit is written to: a
// regular file inside the root (rootfs refuses a link leaving it).
func (s *scanner) target(f *sourceFile) error {
	if f.abs != "" {
		return nil
	}
	st, err := s.fsys.Stat(f.rel)
	if err != nil {
		return fmt.Errorf("reading %s: %w", f.rel, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", f.rel)
	}
	abs, err := s.fsys.Resolve(f.rel)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", f.rel, err)
	}
	f.abs, f.mode = abs, st.Mode().Perm()
	return nil
}

// parseDocs decodes every document of a YAML stream.
func parseDocs(src []byte) ([]*yaml.Node, error) {
	docs, err := workspace.DecodeNodes(src)
	if err != nil {
		return nil, err
	}
	return docs, nil
}

// scanner finds references to one repository in the files of a repo.
type scanner struct {
	root string
	// ws is the opened checkout: its file list and the bytes it keeps
	// (nil for a Locator's scanner).
	ws *workspace.Workspace
	// list is ws's file list (sorted; regular files, no symlinks).
	list      []string
	fsys      *rootfs.FS // the checkout: modes and real paths (nil for a Locator's scanner)
	canonical string     // target repository, normalised
	needle    string     // last path element of the repository: cheap prefilter
	// read reads a repo-relative file (never outside the root).
	read func(rel string) ([]byte, error)
	// docsOf, when set, gives the parsed documents of a repo-relative file
	// (nil when missing or unreadable) instead of reading it: a Locator's
	// cache, for files that are only looked at, never edited.
	docsOf   func(rel string) []*yaml.Node
	files    map[string]*sourceFile
	cands    []*candidate
	problems []Problem
	scanned  int
	// helm are the Applications' Helm sources met by the walk, paired with
	// their value files once every file is scanned (pairValues).
	helm []helmSource
	// hosts are the parsed helm.values strings (hostFor).
	hosts map[*yaml.Node]*hostBlock
}

// newScanner returns a scanner of the checkout ws: it lists and reads
// through ws (one file list, bytes read once per run) and asks fsys, the
// same root, for modes and real paths.
func newScanner(ws *workspace.Workspace, fsys *rootfs.FS, canonical string) *scanner {
	return &scanner{
		root: fsys.Dir(), ws: ws, fsys: fsys, canonical: canonical,
		needle: needleOf(canonical),
		read:   ws.ReadFile,
		files:  map[string]*sourceFile{},
	}
}

// needleOf is the text every file referencing the repository contains:
// its path without the registry (which Helm values often split off), and
// for Docker Hub's library images the bare name ("nginx").
func needleOf(canonical string) string {
	_, p, ok := strings.Cut(canonical, "/")
	if !ok {
		return canonical
	}
	return strings.TrimPrefix(p, "library/")
}

// scanRoot reads every YAML file of the workspace's file list (git's
// tracked and untracked files, not ignored ones; without git, every file
// under the root) and the symlinks met where the list would have had a
// file, skipping hidden directories, node_modules and Helm chart templates
// (they read values; the values are what gets edited), in the order of a
// depth-first walk of the root.
//
// Symlinks: one whose target leaves the root is never followed (the
// workspace reads through rootfs, which refuses it; the file is not the
// repo's to edit). A symlinked file inside the root is scanned under the
// link's path too, because that is the path an app reads (and reach is by
// path); the edit is written once, to the target. A symlinked directory is
// not descended into (its files are scanned where they really are).
func (s *scanner) scanRoot(ctx context.Context) error {
	files, err := s.ws.Files(ctx)
	if err != nil {
		return fmt.Errorf("listing the files under the root: %w", err)
	}
	s.list = files
	links, err := s.ws.Links(ctx)
	if err != nil {
		return fmt.Errorf("listing the files under the root: %w", err)
	}
	charts := map[string]bool{}
	for _, f := range files {
		if path.Base(f) == "Chart.yaml" {
			charts[path.Dir(f)] = true
		}
	}
	for _, l := range links {
		if path.Base(l) == "Chart.yaml" && s.isFile(l) {
			charts[path.Dir(l)] = true
		}
	}
	var todo []string
	for _, list := range [][]string{files, links} {
		for _, f := range list {
			if ext := strings.ToLower(path.Ext(f)); (ext == ".yaml" || ext == ".yml") && !skippedDir(f, charts) {
				todo = append(todo, f)
			}
		}
	}
	slices.SortFunc(todo, walkOrder)
	s.ws.Prefetch(todo)
	link := map[string]bool{}
	for _, l := range links {
		link[l] = true
	}
	for _, rel := range todo {
		if err := s.scanFile(rel, !link[rel]); err != nil {
			return err
		}
	}
	s.pairValues()
	return nil
}

// skippedDir reports whether a directory on the way to the file rel is not
// scanned: hidden, node_modules, or the templates of a Helm chart (a
// directory in charts).
func skippedDir(rel string, charts map[string]bool) bool {
	parts := strings.Split(rel, "/")
	for i, name := range parts[:len(parts)-1] {
		if strings.HasPrefix(name, ".") || name == "node_modules" {
			return true
		}
		if name == "templates" && charts[path.Join(append([]string{"."}, parts[:i]...)...)] {
			return true
		}
	}
	return false
}

// walkOrder orders slash paths as a depth-first walk listing each
// directory by name meets them: a directory's files before its name's
// longer siblings ("a/b/c" before "a/b.yaml").
func walkOrder(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		switch {
		case ca == cb:
			continue
		case ca == '/':
			return -1
		case cb == '/':
			return 1
		}
		return cmp.Compare(ca, cb)
	}
	return cmp.Compare(len(a), len(b))
}

// listed reports whether the file list has rel: a regular file inside the
// root when the list was taken.
func (s *scanner) listed(rel string) bool {
	_, ok := slices.BinarySearch(s.list, rel)
	return ok
}

// isFile reports a regular file inside the root (through in-root links).
func (s *scanner) isFile(rel string) bool {
	st, err := s.fsys.Stat(rel)
	return err == nil && st.Mode().IsRegular()
}

// scanFile parses one file and collects its references. listed: the file
// list has it as a regular file (not a symlink), so only a read error
// needs a look at what is on disk.
func (s *scanner) scanFile(rel string, listed bool) error {
	// Read first (the workspace reads through rootfs, which refuses a link
	// leaving the root); the file's mode and real path are asked only of
	// the files an edit is written to (target).
	src, rerr := s.read(rel)
	if rerr == nil {
		s.scanned++
		if !s.mayReference(src) {
			return nil
		}
	}
	if !listed || rerr != nil {
		st, err := s.fsys.Stat(rel)
		var oob *rootfs.OutOfBoundsError
		if errors.As(err, &oob) || errors.Is(err, fs.ErrNotExist) {
			return nil // a symlink leaving the repo (or dangling), a file gone since the listing: not the repo's to edit
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", rel, err)
		}
		if !st.Mode().IsRegular() {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("reading %s: %w", rel, rerr)
		}
	}
	mentions := bytes.Contains(src, []byte(s.needle))
	f, ok := s.files[rel] // already read as another Application's value file
	if !ok {
		docs, err := parseDocs(src)
		if err != nil && !mentions {
			return nil
		}
		if err != nil {
			s.problems = append(s.problems, Problem{File: rel, Line: yamlErrorLine(err),
				Message: fmt.Sprintf("not valid YAML (%v); it mentions %s, so render-check cannot tell whether it references the image: fix the YAML and run the bump again", err, s.needle)})
			return nil
		}
		f = &sourceFile{rel: rel, src: src, docs: docs}
		s.files[rel] = f
	}
	docs := f.docs
	before := len(s.cands)
	for _, d := range docs {
		if len(d.Content) == 0 {
			continue
		}
		w := walker{s: s, file: rel, base: path.Base(rel), root: d}
		w.doc(d.Content[0])
	}
	if len(s.cands) > before && sopsEncrypted(docs) {
		// its MAC covers the unencrypted values too: an edit breaks the file
		s.cands = s.cands[:before]
		delete(s.files, rel)
		s.problems = append(s.problems, Problem{File: rel, Line: 1,
			Message: fmt.Sprintf("SOPS-encrypted file references %s: an edit would break its MAC; change it with `sops` instead", s.canonical)})
	}
	return nil
}

// mayReference reports whether a file's text may hold a reference to the
// image: it names the repository (s.needle), or it is an Application whose
// helm.parameters, value files or valuesObject may set only image.tag, for
// a repository named in the values (the chart's values.yaml): such files
// are read too.
func (s *scanner) mayReference(src []byte) bool {
	return bytes.Contains(src, []byte(s.needle)) || bytes.Contains(src, []byte("parameters")) ||
		bytes.Contains(src, []byte("valueFiles")) || bytes.Contains(src, []byte("valuesObject"))
}

// yamlErrorLine extracts the line from a yaml.v3 error, 0 if none.
func yamlErrorLine(err error) int {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return 0
	}
	msg := err.Error()
	const marker = "line "
	i := strings.Index(msg, marker)
	if i < 0 {
		return 0
	}
	j := i + len(marker)
	k := j
	for k < len(msg) && msg[k] >= '0' && msg[k] <= '9' {
		k++
	}
	n, _ := strconv.Atoi(msg[j:k])
	return n
}

// walker visits one document.
type walker struct {
	s    *scanner
	file string
	base string
	// kind of image fields found by the generic walk in this document.
	kind Kind
	// root is the document (an Application's spec.sources name the $ref
	// roots of its value files).
	root *yaml.Node
}

func (w *walker) doc(root *yaml.Node) {
	root = resolve(root)
	if root.Kind != yaml.MappingNode {
		w.kind = KindHelmValues
		w.walk(root, "", KindHelmValues)
		return
	}
	apiVersion := scalarOf(mapGet(root, "apiVersion"))
	kindName := scalarOf(mapGet(root, "kind"))
	isKustomization := w.base == "kustomization.yaml" || w.base == "kustomization.yml" || w.base == "Kustomization" ||
		(strings.HasPrefix(apiVersion, "kustomize.config.k8s.io/") && (kindName == "Kustomization" || kindName == "Component"))
	w.kind = KindHelmValues
	if apiVersion != "" && kindName != "" {
		w.kind = KindManifest
	}
	if isKustomization {
		if imgs := mapGet(root, "images"); imgs != nil && imgs.Kind == yaml.SequenceNode {
			for i, e := range imgs.Content {
				w.kustomizeImage(resolve(e), fmt.Sprintf("images[%d]", i))
			}
		}
	}
	w.walk(root, "", w.kind)
}

// resolve follows an alias to its anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return resolve(n.Content[0])
	}
	return n
}

// mapGet returns the value node of key in a mapping (last one wins, as YAML
// decoders do), resolved through aliases; nil when absent.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var v *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v = m.Content[i+1]
		}
	}
	return resolve(v)
}

// isAlias reports whether key's value in mapping m is written as an alias.
func isAlias(m *yaml.Node, key string) bool {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return false
	}
	var v *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v = m.Content[i+1]
		}
	}
	return v != nil && v.Kind == yaml.AliasNode
}

// scalarOf returns a scalar's value ("" for nil or non-scalars).
func scalarOf(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func isScalar(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

// walk visits every node below n looking for image fields.
func (w *walker) walk(n *yaml.Node, p string, kind Kind) {
	if n == nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		return // the anchored node is visited where it is defined
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for i, c := range n.Content {
			w.walk(c, fmt.Sprintf("%s[%d]", p, i), kind)
		}
	case yaml.MappingNode:
		if repo := mapGet(n, "repository"); isScalar(repo) && (mapGet(n, "tag") != nil || mapGet(n, "digest") != nil) {
			w.valuesImage(n, p, kind)
		}
		w.imageWithTagKey(n, p, kind)
		if mapGet(n, "helm") == nil && isScalar(mapGet(n, "repoURL")) && isScalar(mapGet(n, "path")) {
			// a source without helm settings may still be a chart (Argo CD
			// looks for Chart.yaml): its values.yaml sets the tag
			w.s.helm = append(w.s.helm, helmSource{file: w.file, field: join(p, "helm"), src: n, doc: w.root})
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			rv := resolve(v)
			switch {
			case k == "image" && isScalar(rv):
				w.imageString(rv, join(p, k), kind)
			case k == "kustomize" && rv != nil && rv.Kind == yaml.MappingNode:
				if imgs := mapGet(rv, "images"); imgs != nil && imgs.Kind == yaml.SequenceNode {
					for j, e := range imgs.Content {
						w.argoKustomizeImage(resolve(e), fmt.Sprintf("%s.images[%d]", join(p, k), j))
					}
				}
			case k == "helm" && rv != nil && rv.Kind == yaml.MappingNode:
				w.argoHelm(rv, join(p, k), n)
			}
			child := kind
			if k == "valuesObject" {
				child = KindArgoHelmValuesObject
			}
			w.walk(v, join(p, k), child)
		}
	}
}

// add records a candidate when its repository is the target, or a problem
// when it might be (templated).
func (w *walker) add(c *candidate, repo string, at *yaml.Node) bool {
	if templated(repo) {
		if templateMayBe(repo, w.s.canonical) {
			w.s.problems = append(w.s.problems, Problem{File: w.file, Line: at.Line,
				Message: fmt.Sprintf("ambiguous reference %q at %s: the repository is templated, so render-check cannot tell whether it is %s; write the repository literally or edit this file by hand", repo, c.field, w.s.canonical)})
		}
		return false
	}
	canon, ok := canonicalRepo(repo)
	if !ok || canon != w.s.canonical {
		return false
	}
	c.file = w.file
	c.repo = repo
	if c.anchor == nil {
		c.anchor = at
	}
	w.s.cands = append(w.s.cands, c)
	return true
}

// imageString handles "repo[:tag][@digest]" in one scalar.
func (w *walker) imageString(n *yaml.Node, field string, kind Kind) {
	v := n.Value
	if templated(v) {
		w.add(&candidate{field: field}, v, n)
		return
	}
	sp, ok := parseImage(v)
	if !ok || sp.tagStart < 0 && sp.digStart < 0 {
		// No tag or digest: the tag is set elsewhere (a kustomization's
		// images:, a Helm value), where the bump edits it.
		return
	}
	c := &candidate{kind: kind, field: field, str: true, imageNode: n, span: sp, anchor: n}
	if sp.tagStart >= 0 {
		c.curTag = v[sp.tagStart:sp.tagEnd]
	}
	if sp.digStart >= 0 {
		c.curDig = v[sp.digStart:sp.digEnd]
	}
	w.add(c, sp.repo, n)
}

// imageWithTagKey handles charts that split an untagged image from its
// tag: {image: repo, tag: 1.2} or {image: repo, imageTag: 1.2}.
func (w *walker) imageWithTagKey(m *yaml.Node, p string, kind Kind) {
	img := mapGet(m, "image")
	if !isScalar(img) || templated(img.Value) {
		return
	}
	sp, ok := parseImage(img.Value)
	if !ok || sp.tagStart >= 0 || sp.digStart >= 0 {
		return
	}
	for _, key := range []string{"tag", "imageTag"} {
		t := mapGet(m, key)
		if t == nil {
			continue
		}
		c := &candidate{kind: kind, field: join(p, key), tagNode: t, anchor: t, curTag: scalarOf(t), viaAlias: isAlias(m, key)}
		if !isScalar(t) {
			c.problem = fmt.Sprintf("%s is not a string", join(p, key))
		}
		w.add(c, sp.repo, img)
		return
	}
}

// valuesImage handles a {registry?, repository, tag?, digest?} mapping.
func (w *walker) valuesImage(m *yaml.Node, p string, kind Kind) {
	repoNode := mapGet(m, "repository")
	repo := repoNode.Value
	if reg := mapGet(m, "registry"); reg != nil {
		if !isScalar(reg) {
			return
		}
		repo = joinRegistry(reg.Value, repo)
	}
	c := &candidate{kind: kind, field: join(p, "tag")}
	if t := mapGet(m, "tag"); t != nil {
		c.tagNode, c.anchor = t, t
		c.viaAlias = isAlias(m, "tag")
		c.curTag = scalarOf(t)
		if !isScalar(t) {
			c.problem = fmt.Sprintf("%s is not a string", join(p, "tag"))
		}
	}
	if d := mapGet(m, "digest"); d != nil {
		c.digNode, c.digField = d, join(p, "digest")
		c.curDig = scalarOf(d)
		if c.tagNode == nil {
			c.field, c.anchor = join(p, "digest"), d
		}
	}
	w.add(c, repo, repoNode)
}

// kustomizeImage handles one kustomization images: entry.
func (w *walker) kustomizeImage(e *yaml.Node, p string) {
	if e == nil || e.Kind != yaml.MappingNode {
		return
	}
	nameNode := mapGet(e, "newName")
	if nameNode == nil {
		nameNode = mapGet(e, "name")
	}
	if !isScalar(nameNode) {
		return
	}
	c := &candidate{kind: KindKustomizeImages, field: join(p, "newTag"), entry: e, digField: join(p, "digest")}
	if t := mapGet(e, "newTag"); t != nil {
		c.tagNode, c.anchor, c.curTag = t, t, scalarOf(t)
		c.viaAlias = isAlias(e, "newTag")
	}
	if d := mapGet(e, "digest"); d != nil {
		c.digNode, c.curDig, c.digField = d, scalarOf(d), join(p, "digest")
		if c.tagNode == nil {
			c.field, c.anchor = join(p, "digest"), d
		}
	}
	w.add(c, nameNode.Value, nameNode)
}

// argoKustomizeImage handles "[old=]new[:tag][@digest]" in
// spec.source.kustomize.images.
func (w *walker) argoKustomizeImage(n *yaml.Node, field string) {
	if !isScalar(n) {
		return
	}
	v := n.Value
	off := 0
	if i := strings.IndexByte(v, '='); i >= 0 {
		off = i + 1
	}
	rest := v[off:]
	if templated(rest) {
		w.add(&candidate{field: field}, rest, n)
		return
	}
	sp, ok := parseImage(rest)
	if !ok || sp.tagStart < 0 && sp.digStart < 0 {
		return
	}
	sp = sp.shift(off)
	c := &candidate{kind: KindArgoKustomizeImages, field: field, str: true, imageNode: n, span: sp, anchor: n}
	if sp.tagStart >= 0 {
		c.curTag = v[sp.tagStart:sp.tagEnd]
	}
	if sp.digStart >= 0 {
		c.curDig = v[sp.digStart:sp.digEnd]
	}
	w.add(c, sp.repo, n)
}

// shift moves every offset of the span by off (the span was parsed from a
// suffix of the node value).
func (sp imageSpan) shift(off int) imageSpan {
	sp.repoEnd += off
	if sp.tagStart >= 0 {
		sp.tagStart += off
		sp.tagEnd += off
	}
	if sp.digStart >= 0 {
		sp.digStart += off
		sp.digEnd += off
	}
	sp.repoStart = off
	return sp
}

// argoHelm handles spec.source.helm: parameters pairs and the values
// string. src is the source holding it (for its path).
func (w *walker) argoHelm(h *yaml.Node, p string, src *yaml.Node) {
	hs := helmSource{file: w.file, field: p, h: h, src: src, doc: w.root}
	if isHelmSource(w.file, src) {
		w.s.helm = append(w.s.helm, hs)
	}
	if vals := mapGet(h, "values"); isScalar(vals) && strings.Contains(vals.Value, w.s.needle) {
		w.helmValuesString(vals, join(p, "values"))
	}
	params := mapGet(h, "parameters")
	if params == nil || params.Kind != yaml.SequenceNode {
		return
	}
	byName := map[string]*yaml.Node{}
	index := map[string]int{}
	var names []string
	for i, e := range params.Content {
		e = resolve(e)
		nm := scalarOf(mapGet(e, "name"))
		val := mapGet(e, "value")
		if nm == "" || !isScalar(val) {
			continue
		}
		if _, seen := byName[nm]; !seen {
			names = append(names, nm)
		}
		byName[nm], index[nm] = val, i // repeated names: the last wins, as in Argo CD
	}
	sort.Strings(names)
	for _, nm := range names {
		val := byName[nm]
		fp := fmt.Sprintf("%s.parameters[%d].value", p, index[nm])
		switch {
		case nm == "image" || strings.HasSuffix(nm, ".image"):
			w.imageString(val, fp, KindArgoHelmParameters)
		case nm == "repository" || strings.HasSuffix(nm, ".repository"):
			prefix := strings.TrimSuffix(nm, "repository")
			repo := val.Value
			if reg, ok := byName[prefix+"registry"]; ok {
				repo = joinRegistry(reg.Value, repo)
			}
			c := &candidate{kind: KindArgoHelmParameters, field: fp}
			if t, ok := byName[prefix+"tag"]; ok {
				c.tagNode, c.anchor, c.curTag = t, t, t.Value
				c.field = fmt.Sprintf("%s.parameters[%d].value", p, index[prefix+"tag"])
			}
			if d, ok := byName[prefix+"digest"]; ok {
				c.digNode, c.curDig = d, d.Value
				c.digField = fmt.Sprintf("%s.parameters[%d].value", p, index[prefix+"digest"])
				if c.tagNode == nil {
					c.anchor = d
					c.field = fmt.Sprintf("%s.parameters[%d].value", p, index[prefix+"digest"])
				}
			}
			if c.tagNode == nil && c.digNode == nil {
				continue // the tag comes from the values; those are found there
			}
			w.add(c, repo, val)
		case nm == "tag" || strings.HasSuffix(nm, ".tag"):
			// A tag parameter alone overrides the tag of a repository set in
			// the values: find which repository that is.
			prefix := strings.TrimSuffix(nm, "tag")
			if _, ok := byName[prefix+"repository"]; ok {
				continue // the pair is handled with the repository
			}
			repo := w.s.valuesRepository(hs, prefix)
			if repo == "" {
				continue
			}
			c := &candidate{kind: KindArgoHelmParameters, field: fp, tagNode: val, anchor: val, curTag: val.Value}
			if d, ok := byName[prefix+"digest"]; ok {
				c.digNode, c.curDig = d, d.Value
				c.digField = fmt.Sprintf("%s.parameters[%d].value", p, index[prefix+"digest"])
			}
			w.add(c, repo, val)
		}
	}
}

// KindArgoHelmValues is an image inside an Application's helm.values
// string (a literal block of YAML).
const KindArgoHelmValues Kind = "argocd-helm-values"

// hostBlock is a literal block scalar holding YAML (helm.values: |).
type hostBlock struct {
	node *yaml.Node   // the block scalar in the file
	docs []*yaml.Node // the documents parsed from its value
}

// line converts a line of the block's value (1-based) to a line of the file.
func (h *hostBlock) line(l int) int { return h.node.Line + l }

// helmValuesString finds references inside helm.values. They can be edited
// when the string is a literal block (|), whose lines appear verbatim in the
// file behind the indentation.
func (w *walker) helmValuesString(n *yaml.Node, field string) {
	hb, err := w.s.hostFor(n)
	if err != nil {
		w.s.problems = append(w.s.problems, Problem{File: w.file, Line: n.Line,
			Message: fmt.Sprintf("%s mentions %s but is not valid YAML (%v): fix it, or edit it by hand", field, w.s.canonical, err)})
		return
	}
	sub := &scanner{root: w.s.root, ws: w.s.ws, list: w.s.list, fsys: w.s.fsys, read: w.s.read, canonical: w.s.canonical, needle: w.s.needle, files: map[string]*sourceFile{}}
	for _, d := range hb.docs {
		if len(d.Content) > 0 {
			sw := walker{s: sub, file: w.file}
			sw.doc(d.Content[0])
		}
	}
	for _, p := range sub.problems {
		p.Line = hb.line(p.Line)
		w.s.problems = append(w.s.problems, p)
	}
	if len(sub.cands) == 0 {
		return
	}
	if n.Style&yaml.LiteralStyle == 0 {
		w.s.problems = append(w.s.problems, Problem{File: w.file, Line: n.Line,
			Message: fmt.Sprintf("%s holds %s in a string that is not a literal block: write it as `values: |` or move it to helm.valuesObject, then bump again", field, w.s.canonical)})
		return
	}
	for _, c := range sub.cands {
		c.host = hb
		c.kind = KindArgoHelmValues
		c.field = field + "|" + c.field
		w.s.cands = append(w.s.cands, c)
	}
}

// hostFor parses a helm.values string once per scan: the walk and the
// value stack share its nodes, so an edit found by either is patched once.
func (s *scanner) hostFor(n *yaml.Node) (*hostBlock, error) {
	if hb, ok := s.hosts[n]; ok {
		return hb, nil
	}
	docs, err := parseDocs([]byte(n.Value))
	if err != nil {
		return nil, err
	}
	hb := &hostBlock{node: n, docs: docs}
	if s.hosts == nil {
		s.hosts = map[*yaml.Node]*hostBlock{}
	}
	s.hosts[n] = hb
	return hb, nil
}

// sopsEncrypted reports a SOPS file: a top-level sops mapping with a mac.
// Its MAC covers unencrypted values too, so bump must not edit it.
func sopsEncrypted(docs []*yaml.Node) bool {
	for _, d := range docs {
		if len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
			continue
		}
		m := d.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value != "sops" || m.Content[i+1].Kind != yaml.MappingNode {
				continue
			}
			sops := m.Content[i+1]
			for j := 0; j+1 < len(sops.Content); j += 2 {
				if sops.Content[j].Value == "mac" {
					return true
				}
			}
		}
	}
	return false
}
