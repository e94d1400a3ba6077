package policy

import (
	"bytes"
	"context"
	"io/fs"
	"path"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/resource"
)

// maxScanSize bounds the files read by the repo scan.
const maxScanSize = 4 << 20

// scan holds the Argo CD objects found in the repo's YAML files.
type scan struct {
	projects []*argo.AppProject
	// badProjects are AppProject documents that do not decode.
	badProjects []badObject
	subs        []*globalSubs
	// apps are the Application documents of the repo's files.
	apps []scannedApp
}

// scannedApp is an Application document found in a repo file.
type scannedApp struct {
	file, name, namespace string
	line                  int
}

type badObject struct {
	file string
	line int
	name string
	err  error
}

// globalSubs are the default subscriptions of an argocd-notifications-cm.
type globalSubs struct {
	file string
	line int
	subs []subscription
}

// subscription is one entry of argocd-notifications-cm's subscriptions key.
type subscription struct {
	Recipients []string `json:"recipients"`
	Triggers   []string `json:"triggers"`
	Selector   string   `json:"selector"`
}

// scanRepo reads every YAML file of the repo that mentions AppProject or
// argocd-notifications-cm. Files that do not parse (Helm templates) are
// skipped: the render and secret checks report malformed YAML. With the
// verdict cache, what a directory's files hold is kept under their names and
// content hashes (scanCached), so unchanged files are not parsed again.
func (c *checker) scanRepo(ctx context.Context) *scan {
	s := &scan{}
	var files []string
	for _, f := range c.files {
		if ext := path.Ext(f); ext == ".yaml" || ext == ".yml" {
			files = append(files, f)
		}
	}
	found := make(map[string][]scanDoc, len(files))
	if c.verdicts == nil {
		for _, f := range files {
			if ctx.Err() != nil {
				return s
			}
			found[f], _ = c.scanFile(f)
		}
	} else if !c.scanCached(ctx, files, found) {
		return s
	}
	for _, f := range files {
		for _, d := range found[f] {
			c.collect(s, d.obj, f, d.line)
		}
	}
	return s
}

// scanDoc is a document of a repo file that collect uses, reduced to what
// collect reads.
type scanDoc struct {
	line int
	obj  map[string]any
}

// scanFile returns the documents of file f that collect uses; ok is false
// when the file could not be looked at (a result that is no verdict on its
// content).
func (c *checker) scanFile(f string) (docs []scanDoc, ok bool) {
	st, err := fs.Stat(c.repo.FS(), f)
	if err != nil || !st.Mode().IsRegular() {
		return nil, false
	}
	if st.Size() > maxScanSize {
		return nil, true
	}
	data, err := c.repo.ReadFile(f)
	if err != nil {
		return nil, false
	}
	if !bytes.Contains(data, []byte("AppProject")) && !bytes.Contains(data, []byte("argocd-notifications-cm")) &&
		!bytes.Contains(data, []byte("Application")) {
		return nil, true
	}
	// the workspace's documents, parsed once: up to the end of file, or
	// to what is not YAML (a template)
	all, _ := c.repo.Documents(f)
	for _, doc := range all {
		if obj := scanned(doc.Object); obj != nil {
			docs = append(docs, scanDoc{line: doc.Line, obj: obj})
		}
	}
	return docs, true
}

// scanned returns what collect reads of obj: an AppProject or a
// notifications ConfigMap whole, an Application's apiVersion, kind, name
// and namespace; nil for any other object.
func scanned(obj map[string]any) map[string]any {
	switch {
	case obj == nil:
		return nil
	case argo.IsAppProject(obj):
		return obj
	case argo.IsApplication(obj):
		out := map[string]any{"apiVersion": obj["apiVersion"], "kind": obj["kind"]}
		if md, ok := obj["metadata"].(map[string]any); ok {
			m := map[string]any{}
			for _, k := range []string{"name", "namespace"} {
				if v, ok := md[k]; ok {
					m[k] = v
				}
			}
			out["metadata"] = m
		}
		return out
	case isNotificationsCM(obj):
		return obj
	}
	return nil
}

// collect records an AppProject or notifications ConfigMap found at
// file:line. obj is JSON-compatible (a workspace document or a rendered
// object) and shared: it is only read.
func (c *checker) collect(s *scan, obj map[string]any, file string, line int) {
	switch {
	case argo.IsAppProject(obj):
		p, err := argo.DecodeAppProject(obj)
		if err != nil {
			name, _ := nested(obj, "metadata", "name").(string)
			s.badProjects = append(s.badProjects, badObject{file: file, line: line, name: name, err: err})
			return
		}
		p.File, p.Line = file, line
		s.projects = append(s.projects, p)
	case argo.IsApplication(obj):
		name, _ := nested(obj, "metadata", "name").(string)
		ns, _ := nested(obj, "metadata", "namespace").(string)
		s.apps = append(s.apps, scannedApp{file: file, line: line, name: name, namespace: ns})
	case isNotificationsCM(obj):
		g := &globalSubs{file: file, line: line}
		text, _ := nested(obj, "data", "subscriptions").(string)
		if text != "" {
			if err := sigsyaml.Unmarshal([]byte(text), &g.subs); err != nil {
				g.subs = nil
			}
		}
		s.subs = append(s.subs, g)
	}
}

func isNotificationsCM(obj map[string]any) bool {
	k, _ := obj["kind"].(string)
	name, _ := nested(obj, "metadata", "name").(string)
	return k == "ConfigMap" && name == "argocd-notifications-cm"
}

func nested(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// env is what one cluster's Argo CD knows: its projects and default
// notification subscriptions.
type env struct {
	projects map[string]*argo.AppProject
	subs     []*globalSubs
	// bad are undecodable AppProjects visible to the cluster.
	bad []badObject
}

// clusterEnv collects the AppProjects and notification defaults that apply
// to a cluster: those rendered in it, and those in repo files under its
// directory or outside every cluster directory (shared definitions).
func (c *checker) clusterEnv(cl *resource.Cluster) *env {
	e := &env{projects: map[string]*argo.AppProject{}}
	visible := func(file string) bool {
		dir := c.clusterDirOf(file)
		return dir == "" || dir == cl.Dir
	}
	for _, p := range c.scanned.projects {
		if visible(p.File) {
			e.projects[p.Metadata.Name] = p
		}
	}
	for _, b := range c.scanned.badProjects {
		if visible(b.file) {
			e.bad = append(e.bad, b)
		}
	}
	for _, g := range c.scanned.subs {
		if visible(g.file) {
			e.subs = append(e.subs, g)
		}
	}
	rendered := &scan{}
	for _, r := range cl.All() {
		if argo.IsAppProject(r.Object) || isNotificationsCM(r.Object) {
			c.collect(rendered, r.Object, r.Origin.File, r.Origin.Line)
		}
	}
	for _, p := range rendered.projects {
		if _, ok := e.projects[p.Metadata.Name]; !ok || p.Line > 0 {
			e.projects[p.Metadata.Name] = p
		}
	}
	e.subs = append(e.subs, rendered.subs...)
	e.bad = append(e.bad, rendered.badProjects...)
	return e
}

// clusterDirOf returns the cluster directory (per the config's cluster
// globs) that contains file, or "". It is asked per cluster about every
// file of the scan: the answer is kept for the run.
func (c *checker) clusterDirOf(file string) string {
	if dir, ok := c.clusterDirs[file]; ok {
		return dir
	}
	dir := c.findClusterDir(file)
	if c.clusterDirs == nil {
		c.clusterDirs = map[string]string{}
	}
	c.clusterDirs[file] = dir
	return dir
}

func (c *checker) findClusterDir(file string) string {
	segs := strings.Split(file, "/")
	for _, g := range c.cfg.Clusters {
		n := len(splitSegs(g))
		if n == 0 || n >= len(segs) {
			continue
		}
		dir := strings.Join(segs[:n], "/")
		if ok, _ := path.Match(strings.Trim(g, "/"), dir); ok {
			return dir
		}
	}
	return ""
}
