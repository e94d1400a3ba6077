package workspace

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/render-check/render-check/internal/config"
)

// Proposal is a configuration written from what discovery sees, for
// `render-check init`.
type Proposal struct {
	// YAML is the .render-check.yaml text (it parses with config.Parse).
	YAML []byte
	// Found says what was seen, one line each, for the person running init.
	Found []string
}

// ProposeConfig writes down what discovery sees as an explicit
// configuration: the clusters (configured or detected) as globs or root
// Application files, this repo's URL, each cluster's production mark and
// why, Argo CD's namespace when the Applications live elsewhere than
// argocd, and argocd-cm's kustomize.buildOptions when the repo holds
// argocd-cm.
func (r *Workspace) ProposeConfig() (*Proposal, error) {
	cs, note, err := r.DiscoverClusters()
	if err != nil {
		return nil, err
	}
	p := &Proposal{}
	var b strings.Builder
	b.WriteString("# .render-check.yaml written by `render-check init` from what it found; review and commit.\n")
	b.WriteString("# Reference: README.md (Configuration), docs/layouts.md, docs/policy.md.\n")
	if note != "" {
		p.Found = append(p.Found, note)
	}
	if len(cs) == 0 {
		p.Found = append(p.Found, "no clusters found: set clusters below (globs of cluster directories, root Application files, or \".\")")
		b.WriteString("clusters: []  # none found: e.g. [\"clusters/*\"], [\"bootstrap/*-root.yaml\"] or [\".\"]\n")
	} else {
		b.WriteString("clusters:\n")
		if r.Config.ClustersConfigured() || note == "" || strings.Contains(note, " directories)") {
			globs := r.Config.Clusters
			if note != "" {
				// detected from a directory glob: the one that matched
				globs = []string{detectedGlob(note)}
			}
			for _, g := range globs {
				fmt.Fprintf(&b, "  - %s\n", strconv.Quote(g))
			}
		} else {
			for _, c := range cs {
				for _, m := range c.Paths() {
					fmt.Fprintf(&b, "  - %s  # cluster %s\n", strconv.Quote(m.Path), c.Name)
				}
			}
		}
		if r.Config.ClusterName != "" {
			fmt.Fprintf(&b, "clusterName: %s\n", strconv.Quote(r.Config.ClusterName))
		}
	}
	if IsRemoteURL(r.Origin) {
		fmt.Fprintf(&b, "repoURLs: [%s]  # this repo (git origin)\n", strconv.Quote(r.Origin))
		p.Found = append(p.Found, "this repo is "+r.Origin)
	} else {
		b.WriteString("# repoURLs: [\"https://git.example.com/org/config.git\"]  # no git origin found: the URL Applications use for this repo\n")
	}
	apps, cm := r.scanArgoSettings()
	if ns := apps.onlyNamespace(); ns != "" && ns != "argocd" {
		fmt.Fprintf(&b, "argocdNamespace: %s  # the namespace the repo's Applications are in\n", strconv.Quote(ns))
		p.Found = append(p.Found, "Argo CD's namespace: "+ns)
	}
	b.WriteString("# kubernetesVersion: \"1.34\"  # your clusters' Kubernetes minor (default: the newest embedded)\n")
	if len(cs) > 0 {
		b.WriteString("clusterSettings:\n")
		for _, c := range cs {
			prod, why := r.Config.ProductionReason(c.Name)
			fmt.Fprintf(&b, "  %s:\n    production: %t  # %s\n    # kubernetesVersion: \"1.34\"\n", strconv.Quote(c.Name), prod, why)
			mark := "not production"
			if prod {
				mark = "production"
			}
			p.Found = append(p.Found, fmt.Sprintf("cluster %s (%s): %s (%s)", c.Name, c.Dir, mark, why))
		}
	}
	if cm.buildOptions != "" {
		fmt.Fprintf(&b, "render:\n  kustomizeBuildOptions: %s  # from %s (Argo CD's kustomize.buildOptions)\n", strconv.Quote(cm.buildOptions), cm.file)
		p.Found = append(p.Found, "kustomize.buildOptions from "+cm.file)
	}
	b.WriteString("policy:\n  severity:\n")
	b.WriteString("    # Rules a repo adopts step by step warn until given a severity here:\n")
	b.WriteString("    # repo/codeowners: error     # once CODEOWNERS covers the clusters\n")
	b.WriteString("    # repo/sync-window: error    # once AppProjects have sync windows\n")
	b.WriteString("    # repo/app-sanity: error     # also makes undefined projects errors\n")
	b.WriteString("    {}\n")
	p.YAML = []byte(b.String())
	if _, err := config.Parse(config.FileName, p.YAML); err != nil {
		return nil, fmt.Errorf("proposed configuration does not parse (a bug): %w", err)
	}
	return p, nil
}

// detectedGlob extracts the glob from a directory detection note.
func detectedGlob(note string) string {
	for _, g := range detectDirGlobs {
		if strings.Contains(note, "("+g+" directories)") {
			return g
		}
	}
	return "clusters/*"
}

type namespaces map[string]bool

// onlyNamespace is the namespace when all Applications share one.
func (n namespaces) onlyNamespace() string {
	if len(n) != 1 {
		return ""
	}
	for k := range n {
		return k
	}
	return ""
}

type argocdCM struct {
	file, buildOptions string
}

// ArgoKustomizeBuildOptions returns the kustomize build options Argo CD
// is given in the repo (argocd-cm's kustomize.buildOptions, the argo-cd
// Helm chart's configs.cm values, or the operator's ArgoCD
// spec.kustomizeBuildOptions) and the file that sets them, or "" when the
// repo sets none.
func (r *Workspace) ArgoKustomizeBuildOptions() (options, file string) {
	_, cm := r.scanArgoSettingsOf(false)
	return cm.buildOptions, cm.file
}

// scanArgoSettings reads the namespaces of the repo's Application files and
// argocd-cm's kustomize.buildOptions (when the repo holds argocd-cm, Helm
// values of the argo-cd chart, or an ArgoCD resource).
func (r *Workspace) scanArgoSettings() (namespaces, argocdCM) {
	return r.scanArgoSettingsOf(true)
}

// mayHoldBuildOptions reports whether YAML text can hold a
// kustomize.buildOptions or kustomizeBuildOptions key: its name, unless
// spelled with escapes (a double-quoted key), appears in the text.
func mayHoldBuildOptions(data []byte) bool {
	return bytes.Contains(data, []byte("uildOptions")) || bytes.IndexByte(data, '\\') >= 0
}

// scanArgoSettingsOf is scanArgoSettings; without withNamespaces only the
// files that may hold build options are parsed (the namespaces are then
// incomplete), through the workspace's parse of each file.
func (r *Workspace) scanArgoSettingsOf(withNamespaces bool) (namespaces, argocdCM) {
	ns := namespaces{}
	var cm argocdCM
	list, _, _ := r.discoveryFiles(func(name string) bool { return name == "node_modules" })
	for _, rel := range list {
		data, err := r.ReadFile(rel)
		if err != nil {
			continue
		}
		var docs []Document
		switch {
		case withNamespaces:
			docs, _ = ParseDocuments(rel, data)
		case mayHoldBuildOptions(data):
			docs, _ = r.Documents(rel)
		}
		for _, doc := range docs {
			o := doc.Object
			if o == nil {
				continue
			}
			kind, _ := o["kind"].(string)
			md, _ := o["metadata"].(map[string]any)
			name, _ := md["name"].(string)
			av, _ := o["apiVersion"].(string)
			switch {
			case kind == "Application" && strings.HasPrefix(av, "argoproj.io/"):
				if n, _ := md["namespace"].(string); n != "" {
					ns[n] = true
				}
			case kind == "ConfigMap" && name == "argocd-cm" && cm.file == "":
				data, _ := o["data"].(map[string]any)
				if v, _ := data["kustomize.buildOptions"].(string); v != "" {
					cm = argocdCM{file: rel, buildOptions: v}
				}
			case kind == "ArgoCD" && strings.HasPrefix(av, "argoproj.io/") && cm.file == "":
				// the Argo CD operator's (and OpenShift GitOps') CR
				spec, _ := o["spec"].(map[string]any)
				if v, _ := spec["kustomizeBuildOptions"].(string); v != "" {
					cm = argocdCM{file: rel, buildOptions: v}
				}
			case kind == "" && cm.file == "":
				// values of the argo-cd Helm chart: configs.cm is argocd-cm
				configs, _ := o["configs"].(map[string]any)
				data, _ := configs["cm"].(map[string]any)
				if v, _ := data["kustomize.buildOptions"].(string); v != "" {
					cm = argocdCM{file: rel, buildOptions: v}
				}
			}
		}
	}
	return ns, cm
}
