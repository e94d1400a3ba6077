// Package repo discovers what a config repo holds: its clusters, the Argo CD
// Applications in each cluster directory, and which repository URLs mean
// "this checkout".
package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
)

// RuleMalformedYAML is the rule of a YAML file that does not parse.
const RuleMalformedYAML = "render/malformed-yaml"

// Repo is an opened config repo checkout.
type Repo struct {
	// Root is the absolute path of the checkout.
	Root string
	// Config is the loaded configuration.
	Config *config.Config
	// Origin is the git origin URL of the checkout ("" when unknown).
	Origin string
	// Head is the checked-out commit ("" when unknown).
	Head string
	urls map[string]bool
}

// Open reads what discovery needs from the checkout at root: the git origin
// and the configured repo URLs.
func Open(root string, cfg *config.Config) (*Repo, error) {
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
	origin, err := GitOrigin(abs)
	if err != nil {
		return nil, err
	}
	r := &Repo{Root: abs, Config: cfg, Origin: origin, Head: GitHead(abs), urls: map[string]bool{}}
	if origin != "" {
		r.urls[NormalizeURL(origin)] = true
	}
	for _, u := range cfg.RepoURLs {
		r.urls[NormalizeURL(u)] = true
	}
	return r, nil
}

// KnowsItself reports whether the repo has any URL meaning "this repo" (a git
// origin or configured repoURLs).
func (r *Repo) KnowsItself() bool { return len(r.urls) > 0 }

// IsThisRepo reports whether a source repoURL names this checkout.
func (r *Repo) IsThisRepo(url string) bool { return r.urls[NormalizeURL(url)] }

// Applications returns the Argo CD Applications of a cluster: those in YAML
// files under its directories (hidden directories and Helm charts skipped)
// and in its root Application files, in path and document order. Files
// that do not parse are findings.
func (r *Repo) Applications(c ClusterDir) ([]*argo.Application, []report.Finding, error) {
	var apps []*argo.Application
	var findings []report.Finding
	for _, m := range c.Paths() {
		a, f, err := r.memberApplications(c.Name, m)
		if err != nil {
			return nil, nil, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
		apps = append(apps, a...)
		findings = append(findings, f...)
	}
	return apps, findings, nil
}

func (r *Repo) memberApplications(cluster string, m Member) ([]*argo.Application, []report.Finding, error) {
	var apps []*argo.Application
	var findings []report.Finding
	readFile := func(p string) error {
		rel := r.Rel(p)
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("reading %s: %w", rel, err)
		}
		docs, perr := ParseDocuments(rel, data)
		for _, doc := range docs {
			if argo.IsApplicationSet(doc.Object) {
				md, _ := doc.Object["metadata"].(map[string]any)
				name, _ := md["name"].(string)
				findings = append(findings, report.Finding{
					Rule: "render/unsupported", Severity: report.SeverityWarning, Cluster: cluster,
					File: rel, Line: doc.Line,
					Message: fmt.Sprintf("ApplicationSet %s: the Applications it generates are not rendered or checked", name),
				})
				continue
			}
			if doc.Object == nil || !argo.IsApplication(doc.Object) {
				continue
			}
			app, err := argo.DecodeApplication(doc.Object)
			if err != nil {
				findings = append(findings, report.Finding{
					Rule: "render/failed", Severity: report.SeverityError, Cluster: cluster,
					File: rel, Line: doc.Line, Message: fmt.Sprintf("invalid Application: %v", err),
				})
				continue
			}
			app.File, app.Line = rel, doc.Line
			apps = append(apps, app)
		}
		if perr != nil {
			var ye *YAMLError
			line, msg := 0, perr.Error()
			if errors.As(perr, &ye) {
				line, msg = ye.Line, ye.Message()
			}
			findings = append(findings, report.Finding{
				Rule: RuleMalformedYAML, Severity: report.SeverityError, Cluster: cluster,
				File: rel, Line: line, Message: "malformed YAML: " + msg,
			})
		}
		return nil
	}
	base := r.Abs(m.Path)
	if m.File {
		return apps, findings, readFile(base)
	}
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != base && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if p != base && IsChartDir(p) {
				// a Helm chart is rendered, never read as manifests
				return filepath.SkipDir
			}
			return nil
		}
		if !isYAMLName(p) || !d.Type().IsRegular() {
			return nil // symlinks are never followed
		}
		if p != base && IsChartDir(base) {
			return nil // the cluster directory is itself a chart
		}
		return readFile(p)
	})
	return apps, findings, err
}

// IsChartDir reports whether the directory at the absolute path dir is a
// Helm chart (has a Chart.yaml file).
func IsChartDir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && st.Mode().IsRegular()
}

// Rel returns p relative to the root with forward slashes (p unchanged when
// outside the root).
func (r *Repo) Rel(p string) string {
	rel, err := filepath.Rel(r.Root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// Abs returns the absolute path of a repo-relative slash path.
func (r *Repo) Abs(rel string) string {
	return filepath.Join(r.Root, filepath.FromSlash(rel))
}

// Exists reports whether a repo-relative path exists.
func (r *Repo) Exists(rel string) bool {
	_, err := os.Stat(r.Abs(rel))
	return err == nil
}
