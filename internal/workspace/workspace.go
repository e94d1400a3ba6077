// Package workspace is the opened config repo checkout, read once per run:
// git facts through one runner, one file list with content hashes, YAML
// documents parsed once (one recover-guarded decoder), clusters (one
// discovery), Applications, CRDs, and which repository URLs mean "this
// checkout". Every stage asks it instead of walking, parsing or running git
// itself.
package workspace

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/rootfs"
)

// Settings configure Open.
type Settings struct {
	// Config is the loaded configuration (nil: defaults).
	Config *config.Config
	// FS, when set, is the filesystem every read of the workspace goes
	// through, rooted at the root; nil means the root opened with rootfs
	// (the one contained reader: nothing is read through a symlink out of
	// the checkout).
	FS fs.FS
	// Overlay maps slash paths relative to the root, of existing files, to
	// the content every read of the workspace sees instead of the file on
	// disk (a bump's edits before they are written). Hash hashes that
	// content, never git's blob id of the file on disk.
	Overlay map[string][]byte
}

// Workspace is an opened config repo checkout: the one place each fact
// about it is decided. Open it once per run and hand it to every stage:
// git facts (one runner), one file list with content hashes, YAML documents
// parsed once, clusters, Applications and CRDs.
type Workspace struct {
	// Root is the absolute path of the checkout.
	Root string
	// Config is the loaded configuration.
	Config *config.Config
	// Git is what git says about the checkout.
	Git GitFacts
	// Origin is the git origin URL of the checkout ("" when unknown).
	Origin string
	// Head is the checked-out commit ("" when unknown).
	Head string

	git  Git
	fsys fs.FS
	// rfs is the rooted reader under fsys when the workspace opened it
	// and has no overlay (Prefetch reads through it); nil otherwise.
	rfs  *rootfs.FS
	urls map[string]bool

	filesOnce sync.Once
	files     *fileList
	filesErr  error
	// disk is the one walk of the disk, shared with overlay views (an
	// overlay replaces the content of existing files, never the tree).
	disk *diskTree

	// overlay is Settings.Overlay.
	overlay map[string][]byte

	mu     sync.Mutex
	docs   map[string]*parsed
	hashes map[string]string
	// raw keeps the bytes of files read (ReadFile), rawBytes in all, up to
	// rawCacheMax.
	raw      map[string][]byte
	rawBytes int
	crds     *crdScan
	memo     map[any]*memoEntry
	// appFiles is the AppFileCache (nil: none).
	appFiles AppFileCache
}

// memoEntry is one fact derived by a package above workspace, once.
type memoEntry struct {
	once sync.Once
	v    any
	err  error
}

// parsed is one file's documents, parsed once.
type parsed struct {
	once sync.Once
	docs []Document
	err  error
}

// Open opens the checkout at root: it resolves the root, asks git for its
// facts and records the URLs that mean "this repo". Files are listed and
// parsed on first use, once.
func Open(ctx context.Context, root string, s Settings) (*Workspace, error) {
	cfg := s.Config
	if cfg == nil {
		cfg = config.Default()
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("root %s is not a directory", abs)
	}
	g := Git{Dir: abs}
	facts := g.facts(ctx)
	fsys := s.FS
	var rfs *rootfs.FS
	if fsys == nil {
		// the os.Root stays open for the workspace's life (no Close: it is
		// shared by every stage) and is released with it
		if rfs, err = rootfs.Open(abs); err != nil {
			return nil, fmt.Errorf("root: %w", err)
		}
		fsys = rfs.IOFS()
	}
	if len(s.Overlay) > 0 {
		fsys = rootfs.OverlayFS(fsys, s.Overlay)
		rfs = nil
	}
	w := &Workspace{Root: abs, Config: cfg, Git: facts, Origin: facts.Origin, Head: facts.Head,
		git: g, fsys: fsys, rfs: rfs, overlay: s.Overlay, urls: map[string]bool{}, docs: map[string]*parsed{}, hashes: map[string]string{},
		disk: &diskTree{}}
	if IsRemoteURL(facts.Origin) {
		// a clone of a local path or mirror names no repository an
		// Application can: as with no origin, sources are matched by path
		w.urls[NormalizeURL(facts.Origin)] = true
	}
	for _, u := range cfg.RepoURLs {
		w.urls[NormalizeURL(u)] = true
	}
	return w, nil
}

// WithOverlay returns a view of the workspace in which the files named in
// overlay (slash paths relative to the root, of existing files) read as the
// given content, as Settings.Overlay does (on top of the workspace's own
// overlay, if any). The view shares what does not depend on those files:
// git facts, the file list, and the documents parsed and the hashes computed
// so far of every other file; facts that may (the CRDs unless no overlaid
// file holds one, what packages above keep with Memo) are computed again
// by the view. A bump renders twice, before
// and with its edits, and parses the checkout once.
func (w *Workspace) WithOverlay(ctx context.Context, overlay map[string][]byte) *Workspace {
	_, _ = w.Files(ctx) // listed once, shared (an error is the view's too)
	merged := make(map[string][]byte, len(w.overlay)+len(overlay))
	for k, v := range w.overlay {
		merged[k] = v
	}
	for k, v := range overlay {
		merged[k] = v
	}
	v := &Workspace{Root: w.Root, Config: w.Config, Git: w.Git, Origin: w.Origin, Head: w.Head,
		git: w.git, fsys: rootfs.OverlayFS(w.fsys, overlay), urls: w.urls, overlay: merged,
		files: w.files, filesErr: w.filesErr, disk: w.disk, docs: map[string]*parsed{}, hashes: map[string]string{}}
	v.filesOnce.Do(func() {})
	// the CRDs stay those of the workspace when no overlaid file, before
	// or after, can hold one (the scan looks at no other file)
	shareCRDs := true
	for k, b := range overlay {
		old, err := w.ReadFile(k)
		if err != nil || bytes.Contains(old, []byte(crdKind)) || bytes.Contains(b, []byte(crdKind)) {
			shareCRDs = false
		}
	}
	w.mu.Lock()
	if shareCRDs {
		v.crds = w.crds
	}
	defer w.mu.Unlock()
	for k, p := range w.docs {
		if _, ok := overlay[k]; !ok {
			v.docs[k] = p
		}
	}
	for k, h := range w.hashes {
		if _, ok := overlay[k]; !ok {
			v.hashes[k] = h
		}
	}
	for k, b := range w.raw {
		if _, ok := overlay[k]; !ok {
			if v.raw == nil {
				v.raw = map[string][]byte{}
			}
			v.raw[k] = b
			v.rawBytes += len(b)
		}
	}
	return v
}

// overlaid reports whether the overlay replaces the file rel.
func (w *Workspace) overlaid(rel string) bool {
	_, ok := w.overlay[rel]
	return ok
}

// GitRunner returns the git runner of the checkout.
func (w *Workspace) GitRunner() Git { return w.git }

// FS returns the filesystem every read of the workspace goes through,
// rooted at Root (slash paths relative to the root).
func (w *Workspace) FS() fs.FS { return w.fsys }

// Files returns the checkout's file list (see the package function Files),
// listed once per workspace. The slice is shared: do not modify it.
func (w *Workspace) Files(ctx context.Context) ([]string, error) {
	w.filesOnce.Do(func() { w.files, w.filesErr = listFiles(ctx, w.git, w.fsys) })
	if w.filesErr != nil {
		return nil, w.filesErr
	}
	return w.files.paths, nil
}

// Links returns the symlinks met while taking the file list where a file
// would have been listed (git's tracked and untracked paths; without git,
// every symlink the walk met outside .git), sorted. They are not in Files:
// whoever reads one reads it through FS, which never leaves the root. The
// slice is shared: do not modify it.
func (w *Workspace) Links(ctx context.Context) ([]string, error) {
	if _, err := w.Files(ctx); err != nil {
		return nil, err
	}
	return w.files.links, nil
}

// tree walks the disk once per workspace and its views.
func (w *Workspace) tree() *diskTree {
	w.disk.once.Do(func() { w.disk.dirs, w.disk.links, w.disk.err = walkDisk(w.fsys) })
	return w.disk
}

// DiskEntries returns the entries on disk of the directory rel (slash
// path relative to the root, "." for the root) as one walk of the whole
// checkout saw them: name -> type bits | 1 (never 0 for an entry), ignored
// files and symlinks included. ok is false when the walk did not list rel:
// not a directory, under a symlink or .git, unreadable, or the walk failed;
// ask the filesystem then. The map is shared: do not modify it.
func (w *Workspace) DiskEntries(rel string) (map[string]fs.FileMode, bool) {
	t := w.tree()
	if t.err != nil {
		return nil, false
	}
	es, ok := t.dirs[path.Clean(rel)]
	return es, ok
}

// DiskLinks returns every symlink under the root on disk (outside .git;
// ignored ones included), in the order of a walk listing each directory by
// name, from the same walk as DiskEntries. The slice is shared: do not
// modify it.
func (w *Workspace) DiskLinks() ([]string, error) {
	t := w.tree()
	return t.links, t.err
}

// ReadFile reads a file of the checkout by its slash path relative to the root.
//
// The bytes are kept for the workspace's life (up to rawCacheMax in all):
// several repo-wide scans (CRDs, ApplicationSets, Argo CD settings, what
// each app reads) look at every YAML file, and each read through the rooted
// reader costs an openat per path element. The workspace is a snapshot:
// files are not expected to change while it is in use. Callers get their
// own copy.
func (w *Workspace) ReadFile(rel string) ([]byte, error) {
	w.mu.Lock()
	b, ok := w.raw[rel]
	w.mu.Unlock()
	if ok {
		return bytes.Clone(b), nil
	}
	b, err := fs.ReadFile(w.fsys, rel)
	if err != nil {
		return nil, err
	}
	w.keep(rel, b)
	return bytes.Clone(b), nil
}

// keep keeps the bytes read of rel for ReadFile, within rawCacheMax.
func (w *Workspace) keep(rel string, b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.raw[rel]; !ok && w.rawBytes+len(b) <= rawCacheMax {
		if w.raw == nil {
			w.raw = map[string][]byte{}
		}
		w.raw[rel] = b
		w.rawBytes += len(b)
	}
}

// Prefetch reads the files (slash paths relative to the root) ReadFile
// has not kept yet into what it keeps, a directory at a time
// (rootfs.FS.ReadFiles: one handle per directory instead of an openat per
// path element and file), within the same bound; a file that cannot be
// read is left for ReadFile to report. A repo-wide scan calls it before
// reading every file it lists. It does nothing in a view with an overlay
// or over a filesystem the workspace did not open.
func (w *Workspace) Prefetch(files []string) {
	if w.rfs == nil {
		return
	}
	w.mu.Lock()
	todo := make([]string, 0, len(files))
	for _, f := range files {
		if _, ok := w.raw[f]; !ok && fs.ValidPath(f) {
			todo = append(todo, f)
		}
	}
	w.mu.Unlock()
	slices.SortFunc(todo, func(a, b string) int {
		if c := strings.Compare(path.Dir(a), path.Dir(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	w.rfs.ReadFiles(todo, func(rel string, b []byte, err error) {
		if err == nil {
			w.keep(rel, b)
		}
	})
}

// rawCacheMax bounds the bytes ReadFile keeps per workspace.
const rawCacheMax = 128 << 20

// Hash returns the content hash of a file: git's blob id, taken from git
// when git tracks the file unmodified, else computed the way git does
// (BlobID), once.
func (w *Workspace) Hash(ctx context.Context, rel string) (string, error) {
	if _, err := w.Files(ctx); err != nil {
		return "", err
	}
	if h, ok := w.files.blobs[rel]; ok && !w.overlaid(rel) {
		return h, nil
	}
	w.mu.Lock()
	h, ok := w.hashes[rel]
	w.mu.Unlock()
	if ok {
		return h, nil
	}
	data, err := w.ReadFile(rel)
	if err != nil {
		return "", err
	}
	h = BlobID(data)
	w.mu.Lock()
	w.hashes[rel] = h
	w.mu.Unlock()
	return h, nil
}

// Documents returns the YAML documents of a file, parsed once per
// workspace (positions included). The documents are shared by every
// caller: read them, never modify them. The error is a *YAMLError for a
// file that does not parse (the documents before the error are returned).
func (w *Workspace) Documents(rel string) ([]Document, error) {
	docs, _, err := w.documents(rel, false)
	return docs, err
}

// documents is Documents; with wantNodes, the caller that parses the file
// also gets each document's node (nodes[i] is docs[i]'s), not kept; nodes
// is nil when the file was parsed before (or could not be read).
func (w *Workspace) documents(rel string, wantNodes bool) ([]Document, []*yaml.Node, error) {
	w.mu.Lock()
	p := w.docs[rel]
	if p == nil {
		p = &parsed{}
		w.docs[rel] = p
	}
	w.mu.Unlock()
	var nodes []*yaml.Node
	p.once.Do(func() {
		data, err := w.ReadFile(rel)
		if err != nil {
			p.err = fmt.Errorf("reading %s: %w", rel, err)
			return
		}
		p.docs, nodes, p.err = parseDocuments(rel, data, wantNodes)
	})
	return p.docs, nodes, p.err
}

// YAMLFiles returns the .yaml and .yml files of the file list under dir
// ("" or "." for the whole checkout), skipping hidden directories below dir.
func (w *Workspace) YAMLFiles(ctx context.Context, dir string) ([]string, error) {
	files, err := w.Files(ctx)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if dir != "" && dir != "." {
		prefix = strings.TrimSuffix(dir, "/") + "/"
	}
	var out []string
	for _, f := range files {
		rest, ok := strings.CutPrefix(f, prefix)
		if !ok {
			continue
		}
		ext := strings.ToLower(path.Ext(rest))
		if ext != ".yaml" && ext != ".yml" {
			continue
		}
		if hiddenDir(rest) {
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

// hiddenDir reports whether a slash path has a directory starting with ".".
func hiddenDir(rel string) bool {
	dirs := strings.Split(rel, "/")
	for _, d := range dirs[:len(dirs)-1] {
		if strings.HasPrefix(d, ".") {
			return true
		}
	}
	return false
}

// crdKind is the text every file holding a CRD contains.
const crdKind = "CustomResourceDefinition"

// crdScan is the CRDs found in the checkout, once.
type crdScan struct {
	objs []map[string]any
	err  error
}

// CRDs returns the CustomResourceDefinitions in the checkout's YAML files
// (charts' crds/ included; hidden directories skipped), in file and
// document order. The objects are shared: never modify them.
func (w *Workspace) CRDs(ctx context.Context) ([]map[string]any, error) {
	w.mu.Lock()
	c := w.crds
	w.mu.Unlock()
	if c != nil {
		return c.objs, c.err
	}
	c = &crdScan{}
	files, err := w.YAMLFiles(ctx, "")
	if err != nil {
		c.err = fmt.Errorf("scanning CRDs: %w", err)
	}
	for _, f := range files {
		data, err := w.ReadFile(f)
		if err != nil || !bytes.Contains(data, []byte(crdKind)) {
			continue
		}
		docs, _ := w.Documents(f)
		for _, doc := range docs {
			if k, _ := doc.Object["kind"].(string); k == "CustomResourceDefinition" {
				if _, patch := doc.Object["$patch"]; patch {
					continue // a kustomize patch ($patch: delete), not a definition
				}
				c.objs = append(c.objs, doc.Object)
			}
		}
	}
	w.mu.Lock()
	if w.crds == nil {
		w.crds = c
	}
	c = w.crds
	w.mu.Unlock()
	return c.objs, c.err
}

// KnowsItself reports whether the repo has any URL meaning "this repo" (a git
// origin or configured repoURLs).
func (r *Workspace) KnowsItself() bool { return len(r.urls) > 0 }

// IsThisRepo reports whether a source repoURL names this checkout.
func (r *Workspace) IsThisRepo(url string) bool { return r.urls[NormalizeURL(url)] }

// FindClusters is the one cluster discovery: the directories of fsys
// matching the globs (doublestar syntax, relative to the root), skipping
// names starting with "." or "_" (scratch and hidden directories), sorted by
// name. Two directories with the same base name are an error.
func FindClusters(fsys fs.FS, globs []string) ([]ClusterDir, error) {
	seen := map[string]string{}
	var out []ClusterDir
	for _, g := range globs {
		matches, err := doublestar.Glob(fsys, strings.TrimPrefix(filepath.ToSlash(g), "./"))
		if err != nil {
			return nil, fmt.Errorf("cluster glob %q: %w", g, err)
		}
		for _, m := range matches {
			st, err := fs.Stat(fsys, m)
			if err != nil || !st.IsDir() {
				continue
			}
			name := path.Base(m)
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				continue
			}
			if prev, ok := seen[name]; ok {
				if prev == m {
					continue
				}
				return nil, fmt.Errorf("cluster name %q is used by both %s and %s", name, prev, m)
			}
			seen[name] = m
			out = append(out, ClusterDir{Name: name, Dir: m})
		}
	}
	slices.SortFunc(out, func(a, b ClusterDir) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Rel returns p relative to the root with forward slashes (p unchanged when
// outside the root).
func (r *Workspace) Rel(p string) string {
	rel, err := filepath.Rel(r.Root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// Abs returns the absolute path of a repo-relative slash path.
func (r *Workspace) Abs(rel string) string {
	return filepath.Join(r.Root, filepath.FromSlash(rel))
}

// Exists reports whether a repo-relative path exists (inside the root:
// never through a symlink out of it).
func (r *Workspace) Exists(rel string) bool {
	if rel == "" {
		rel = "."
	}
	_, err := fs.Stat(r.fsys, rel)
	return err == nil
}

// Memo returns what compute derives from the workspace, computed once per
// Workspace and key (concurrent callers wait for the first). It is where
// packages above workspace keep facts they derive for the whole run (the
// ApplicationSet expansion of render) without workspace knowing them. key
// should be a value of an unexported type of the caller, as with context
// keys; the value is shared by every caller: never modify it.
func (w *Workspace) Memo(key any, compute func() (any, error)) (any, error) {
	w.mu.Lock()
	if w.memo == nil {
		w.memo = map[any]*memoEntry{}
	}
	e := w.memo[key]
	if e == nil {
		e = &memoEntry{}
		w.memo[key] = e
	}
	w.mu.Unlock()
	e.once.Do(func() { e.v, e.err = compute() })
	return e.v, e.err
}

// TrackedHash returns git's blob id of a file git tracks unmodified in the
// work tree, without reading it; ok is false for any other file, and for
// a file the overlay replaces (hash it with Hash or BlobID).
func (w *Workspace) TrackedHash(rel string) (string, bool) {
	if _, err := w.Files(context.Background()); err != nil {
		return "", false
	}
	if w.overlaid(rel) {
		return "", false
	}
	h, ok := w.files.blobs[rel]
	return h, ok
}
