// Package appset expands Argo CD ApplicationSets offline into the
// Applications the ApplicationSet controller would create: list, clusters,
// git (over the checkout), matrix and merge generators, legacy and Go
// templates, templatePatch, and the controller's validation of what it
// generates. Generators that need a live API are reported, never guessed.
package appset

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/render-check/render-check/internal/report"
)

// Rules of ApplicationSet findings.
const (
	// RuleGenerator: a generator or the template failed; Argo CD creates no
	// Application of the ApplicationSet.
	RuleGenerator = report.RuleRenderAppSetGenerator
	// RuleInvalid: a generated Application fails validation; only it is not created.
	RuleInvalid = report.RuleRenderAppSetInvalid
	// RuleDestination: a generated Application's destination is no known cluster.
	RuleDestination = report.RuleRenderAppSetDestination
	// RuleDuplicate: two generated Applications have the same namespace and name.
	RuleDuplicate = report.RuleRenderAppSetDuplicate
	// RuleCluster: the cluster inventory is incomplete (an unreadable
	// cluster Secret, or none at all for a clusters generator).
	RuleCluster = report.RuleRenderAppSetCluster
	// RuleUnsupported: a generator needs a live API (shared with render).
	RuleUnsupported = report.RuleRenderUnsupported
	// RuleExternalSource: a git generator reads another repository (shared with render).
	RuleExternalSource = report.RuleRenderExternalSource
)

// Argo CD constants.
const (
	// SecretTypeLabel marks Argo CD cluster Secrets (value "cluster").
	SecretTypeLabel = "argocd.argoproj.io/secret-type"
	// InClusterName and InClusterServer are the implicit local cluster.
	InClusterName   = "in-cluster"
	InClusterServer = "https://kubernetes.default.svc"
	// ResourcesFinalizer is added to generated Applications by default.
	ResourcesFinalizer = "resources-finalizer.argocd.argoproj.io"
)

// Cluster is one cluster Argo CD knows: from a cluster Secret or declared in
// the configuration.
type Cluster struct {
	Name, Server      string
	Project           string
	Labels            map[string]string
	Annotations       map[string]string
	KubernetesVersion string
	// File and Line locate the declaration ("" for the implicit in-cluster).
	File string
	Line int
}

// Checkout is what the git generator reads: this repository's files.
type Checkout interface {
	// IsThisRepo reports whether a repoURL names this checkout.
	IsThisRepo(url string) bool
	// Files lists the repository's files, slash-separated, sorted.
	Files() ([]string, error)
	// ReadFile reads one listed file.
	ReadFile(rel string) ([]byte, error)
}

// Env is what expansion reads besides the ApplicationSet itself.
type Env struct {
	// Clusters is the cluster inventory (Secrets, then declared clusters),
	// one entry per name.
	Clusters []Cluster
	// ClusterDirs are render-check's cluster directory names; a destination
	// name matching one counts as known.
	ClusterDirs []string
	// Checkout serves git generators whose repoURL is this repo (nil: every
	// git generator is an external source).
	Checkout Checkout
	// ArgoCDNamespace is the control-plane namespace Argo CD runs in
	// ("": argocd); a generated Application without a namespace lives there.
	ArgoCDNamespace string
	// AssumeClusters is set when there is no cluster inventory at all (no
	// cluster Secret in the repo, none declared): a destination naming an
	// unknown cluster is then assumed registered in Argo CD, as nothing
	// tells a typo from a cluster registered by other means. One info
	// finding per ApplicationSet names the clusters assumed.
	AssumeClusters bool
}

// Input is one ApplicationSet manifest.
type Input struct {
	// Object is the decoded manifest.
	Object map[string]any
	// File and Line locate it (repo-relative, 1-based).
	File string
	Line int
	// Node is the parsed document, for precise lines (optional).
	Node *yaml.Node
}

// App is one generated Application.
type App struct {
	// Name is metadata.name.
	Name string
	// Object is the Application manifest.
	Object map[string]any
	// AppSet names the ApplicationSet that generated it.
	AppSet string
	// File and Line locate what produced it: the ApplicationSet's file, at
	// the list element of its parameters, else its template.
	File string
	Line int
	// Cluster is the destination cluster (nil when unknown).
	Cluster *Cluster
	// Inputs are the repo files its parameters were read from (git files,
	// cluster Secrets), sorted.
	Inputs []string
}

// Result is the expansion of one or more ApplicationSets.
type Result struct {
	// Apps are the Applications Argo CD would create, sorted by name.
	Apps []App
	// Findings are generator errors, invalid or duplicate Applications and
	// generators that cannot run offline.
	Findings []report.Finding
}

// expander expands one ApplicationSet.
type expander struct {
	env      *Env
	in       Input
	name     string
	r        *renderer
	lines    map[string]int
	elements map[int]bool
	findings []report.Finding
	// noInventory is set once the empty inventory was reported
	noInventory bool
	// assumed are the destination clusters assumed registered (AssumeClusters)
	assumed map[string]bool
}

// Expand expands one ApplicationSet.
func Expand(in Input, env *Env) Result {
	if env == nil {
		env = &Env{}
	}
	md, _ := in.Object["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	spec, _ := in.Object["spec"].(map[string]any)
	goTemplate, _ := spec["goTemplate"].(bool)
	var opts []string
	if o, ok := spec["goTemplateOptions"].([]any); ok {
		for _, x := range o {
			if s, ok := x.(string); ok {
				opts = append(opts, s)
			}
		}
	}
	e := &expander{env: env, in: in, name: name, r: newRenderer(goTemplate, opts), lines: map[string]int{}, elements: map[int]bool{}}
	if in.Node != nil {
		n := in.Node
		if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
			n = n.Content[0]
		}
		indexLines(n, "", e.lines)
	}
	apps, err := e.generateApps(spec)
	if err != nil {
		var ge *genError
		p := "spec"
		if errors.As(err, &ge) {
			p = ge.path
		}
		e.errorf(p, RuleGenerator, "ApplicationSet %s generates no Application (Argo CD stops at the first error): %v", name, err)
		return Result{Findings: e.findings}
	}
	apps = e.validate(apps, spec)
	slices.SortStableFunc(apps, func(a, b App) int { return strings.Compare(a.Name, b.Name) })
	return Result{Apps: apps, Findings: e.findings}
}

// ExpandAll expands ApplicationSets in order and reports an Application name
// generated by two of them: the first keeps it, as the ApplicationSet that
// created it owns it and the other's update is refused.
func ExpandAll(ins []Input, env *Env) Result {
	var out Result
	owner := map[string]App{}
	defined := map[string]Input{}
	for _, in := range ins {
		// Two manifests with the same ApplicationSet namespace/name are one
		// object in Argo CD (the last applied replaces the other), not two
		// ApplicationSets competing for their Applications: one finding.
		meta, _ := in.Object["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		name, _ := meta["name"].(string)
		if prev, ok := defined[ns+"/"+name]; ok && name != "" {
			if prev.File == in.File && prev.Line == in.Line {
				continue // the same manifest reached twice (overlapping cluster globs)
			}
			out.Findings = append(out.Findings, report.Finding{
				Rule: RuleDuplicate, Severity: report.SeverityError, File: in.File, Line: in.Line,
				Message: fmt.Sprintf("ApplicationSet %s is also defined in %s:%d: Argo CD keeps one object (the last applied replaces the other); keep one definition or rename one", name, prev.File, prev.Line),
			})
			continue
		}
		defined[ns+"/"+name] = in
		r := Expand(in, env)
		out.Findings = append(out.Findings, r.Findings...)
		for _, a := range r.Apps {
			// Argo CD identifies an Application by namespace and name (one
			// outside the control-plane namespace is NS_NAME): argocd/web
			// and team-a/web are two Applications.
			id := env.appNamespace(a) + "/" + a.Name
			if prev, ok := owner[id]; ok {
				out.Findings = append(out.Findings, report.Finding{
					Rule: RuleDuplicate, Severity: report.SeverityError, App: a.Name, File: a.File, Line: a.Line,
					Message: fmt.Sprintf("ApplicationSet %s generates Application %s, which ApplicationSet %s (%s:%d) also generates: only one ApplicationSet can own it, the other fails to update it", a.AppSet, a.Name, prev.AppSet, prev.File, prev.Line),
				})
				continue
			}
			owner[id] = a
			out.Apps = append(out.Apps, a)
		}
	}
	slices.SortStableFunc(out.Apps, func(a, b App) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// appNamespace is the namespace a generated Application lives in: its
// metadata.namespace, else the control-plane namespace.
func (env *Env) appNamespace(a App) string {
	md, _ := a.Object["metadata"].(map[string]any)
	if ns, _ := md["namespace"].(string); ns != "" {
		return ns
	}
	if env != nil && env.ArgoCDNamespace != "" {
		return env.ArgoCDNamespace
	}
	return "argocd"
}

// generateApps is the controller's GenerateApplications.
func (e *expander) generateApps(spec map[string]any) ([]App, error) {
	gens, _ := spec["generators"].([]any)
	base, _ := spec["template"].(map[string]any)
	if base == nil {
		base = map[string]any{}
	}
	var patch *string
	if p, ok := spec["templatePatch"].(string); ok {
		patch = &p
	}
	preserve := false
	if sp, ok := spec["syncPolicy"].(map[string]any); ok {
		preserve, _ = sp["preserveResourcesOnDeletion"].(bool)
	}
	md, _ := e.in.Object["metadata"].(map[string]any)
	ns, _ := md["namespace"].(string)
	var apps []App
	var firstErr error
	for i, g := range gens {
		gp := fmt.Sprintf("spec.generators.%d", i)
		gm, ok := g.(map[string]any)
		if !ok {
			if firstErr == nil {
				firstErr = &genError{gp, errors.New("a generator must be an object")}
			}
			continue
		}
		results, err := e.transform(gm, gp, base, nil, 0)
		if err != nil {
			var se *skipError
			if errors.As(err, &se) {
				e.skip(se)
				continue
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, t := range results {
			for _, ps := range t.params {
				obj, err := e.renderApp(t.template, ps.params, patch, preserve, ns)
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				md, _ := obj["metadata"].(map[string]any)
				name, _ := md["name"].(string)
				line := ps.line
				if line == 0 {
					line = e.lineAt("spec.template")
				}
				apps = append(apps, App{Name: name, Object: obj, AppSet: e.name, File: e.in.File, Line: line, Inputs: ps.inputs})
				if len(apps) > maxParamSets {
					return nil, &genError{gp, fmt.Errorf("more than %d Applications: not expanded", maxParamSets)}
				}
			}
		}
	}
	return apps, firstErr
}

// renderApp is RenderTemplateParams plus templatePatch and the namespace.
func (e *expander) renderApp(tmpl, params map[string]any, patch *string, preserve bool, ns string) (map[string]any, error) {
	app := map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application"}
	meta := map[string]any{}
	if tm, ok := tmpl["metadata"].(map[string]any); ok {
		for _, k := range []string{"name", "namespace", "labels", "annotations", "finalizers"} {
			if v, ok := tm[k]; ok && v != nil {
				meta[k] = deepCopy(v)
			}
		}
	}
	app["metadata"] = meta
	if s, ok := tmpl["spec"]; ok && s != nil {
		app["spec"] = deepCopy(s)
	} else {
		app["spec"] = map[string]any{}
	}
	if len(params) > 0 {
		out, err := e.replaceTracked(app, params, "spec.template")
		if err != nil {
			return nil, err
		}
		app = out.(map[string]any)
		meta, _ = app["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			app["metadata"] = meta
		}
		if f, _ := meta["finalizers"].([]any); len(f) == 0 && !preserve {
			meta["finalizers"] = []any{ResourcesFinalizer}
		}
	}
	if patch != nil {
		pt, err := e.r.replace(*patch, params)
		if err != nil {
			return nil, &genError{"spec.templatePatch", fmt.Errorf("error replacing values in templatePatch: %w", err)}
		}
		var pm map[string]any
		if err := yaml.Unmarshal([]byte(pt), &pm); err != nil {
			return nil, &genError{"spec.templatePatch", fmt.Errorf("invalid templatePatch %q: %w", pt, err)}
		}
		pv, err := toJSONValue(pm)
		if err != nil {
			return nil, &genError{"spec.templatePatch", fmt.Errorf("invalid templatePatch: %w", err)}
		}
		pm, _ = pv.(map[string]any)
		spec, _ := app["spec"].(map[string]any)
		project := spec["project"]
		mergePatch(app, pm, "")
		if s, ok := app["spec"].(map[string]any); ok {
			if project == nil {
				delete(s, "project")
			} else {
				s["project"] = project
			}
		}
	}
	meta, _ = app["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		app["metadata"] = meta
	}
	if ns != "" {
		meta["namespace"] = ns
	} else {
		delete(meta, "namespace")
	}
	return app, nil
}

// replaceTracked is deepReplace that names the template field that failed.
func (e *expander) replaceTracked(v any, params map[string]any, p string) (any, error) {
	switch t := v.(type) {
	case string:
		s, err := e.r.replace(t, params)
		if err != nil {
			return nil, &genError{p, err}
		}
		return s, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for _, k := range sortedKeys(t) {
			if t[k] == nil {
				continue
			}
			ne, err := e.replaceTracked(t[k], params, p+"."+k)
			if err != nil {
				return nil, err
			}
			nk, err := e.r.replace(k, params)
			if err != nil {
				return nil, &genError{p + "." + k, err}
			}
			out[nk] = ne
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			ne, err := e.replaceTracked(x, params, fmt.Sprintf("%s.%d", p, i))
			if err != nil {
				return nil, err
			}
			out[i] = ne
		}
		return out, nil
	}
	return v, nil
}

// validate is the controller's validation of generated Applications plus
// the API server's checks of names and labels: an invalid Application is
// not created; the others are.
func (e *expander) validate(apps []App, spec map[string]any) []App {
	count := map[string]int{}
	for _, a := range apps {
		count[a.Name]++
	}
	dupReported := map[string]bool{}
	var out []App
	for _, a := range apps {
		if a.Name == "" {
			e.errorf("spec.template.metadata.name", RuleInvalid, "ApplicationSet %s contains an application with no name; a name must be set in the template's metadata.name or via a templatePatch", e.name)
			continue
		}
		if count[a.Name] > 1 {
			if !dupReported[a.Name] {
				dupReported[a.Name] = true
				e.add(report.Finding{Rule: RuleDuplicate, Severity: report.SeverityError, App: a.Name, File: e.in.File, Line: e.lineAt("spec.template.metadata.name"),
					Message: fmt.Sprintf("ApplicationSet %s contains applications with duplicate name: %s (%d of them); Argo CD creates none of them", e.name, a.Name, count[a.Name])})
			}
			continue
		}
		if msg := e.checkApp(a); msg != "" {
			e.add(report.Finding{Rule: RuleInvalid, Severity: report.SeverityError, App: a.Name, File: a.File, Line: a.Line,
				Message: fmt.Sprintf("ApplicationSet %s: Application %s is not created: %s", e.name, a.Name, msg)})
			continue
		}
		dest := destinationOf(a.Object)
		c, msg, known := e.resolve(dest)
		if !known {
			// a warning: the cluster may be registered in Argo CD by other
			// means than a Secret in this repository
			e.add(report.Finding{Rule: RuleDestination, Severity: report.SeverityWarning, App: a.Name, File: a.File, Line: a.Line,
				Message: fmt.Sprintf("ApplicationSet %s: Application %s is not created: application destination spec is invalid: %s (if Argo CD knows this cluster, declare it under argoClusters in .render-check.yaml)", e.name, a.Name, msg)})
			continue
		}
		a.Cluster = c
		out = append(out, a)
	}
	if len(e.assumed) > 0 {
		e.add(report.Finding{Rule: RuleDestination, Severity: report.SeverityInfo, File: e.in.File, Line: e.lineAt("spec.template.spec.destination"),
			Message: fmt.Sprintf("ApplicationSet %s: destination cluster %s assumed registered in Argo CD: there is no cluster inventory to check it against (declare the clusters under argoClusters in .render-check.yaml, or keep their cluster Secrets in the repo)", e.name, strings.Join(sortedKeys(e.assumed), ", "))})
	}
	return out
}

// checkApp returns why the API server or the controller rejects an
// Application ("" when it does not).
func (e *expander) checkApp(a App) string {
	if errs := validation.IsDNS1123Subdomain(a.Name); len(errs) > 0 {
		return fmt.Sprintf("metadata.name %q: %s", a.Name, strings.Join(errs, "; "))
	}
	md, _ := a.Object["metadata"].(map[string]any)
	if l, ok := md["labels"].(map[string]any); ok {
		for _, k := range sortedKeys(l) {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				return fmt.Sprintf("label key %q: %s", k, strings.Join(errs, "; "))
			}
			v, ok := l[k].(string)
			if !ok {
				return fmt.Sprintf("label %s: value is %s, not a string", k, kindOf(l[k]))
			}
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				return fmt.Sprintf("label %s value %q: %s", k, v, strings.Join(errs, "; "))
			}
		}
	}
	if an, ok := md["annotations"].(map[string]any); ok {
		for _, k := range sortedKeys(an) {
			if errs := validation.IsQualifiedName(strings.ToLower(k)); len(errs) > 0 {
				return fmt.Sprintf("annotation key %q: %s", k, strings.Join(errs, "; "))
			}
		}
	}
	spec, _ := a.Object["spec"].(map[string]any)
	if p, _ := spec["project"].(string); p == "" {
		return "spec.project is empty (application references project  which does not exist)"
	}
	return ""
}

// destination is an Application's spec.destination.
type destination struct{ name, server string }

func destinationOf(app map[string]any) destination {
	spec, _ := app["spec"].(map[string]any)
	d, _ := spec["destination"].(map[string]any)
	var out destination
	out.name, _ = d["name"].(string)
	out.server, _ = d["server"].(string)
	return out
}

// resolve finds the destination cluster as Argo CD's GetDestinationCluster
// does, over the inventory, the implicit in-cluster and render-check's
// cluster directories (a known cluster even without a Secret in the repo).
func (e *expander) resolve(d destination) (*Cluster, string, bool) {
	switch {
	case d.name != "" && d.server != "":
		return nil, fmt.Sprintf("application destination can't have both name and server defined: %s %s", d.name, d.server), false
	case d.server != "":
		srv := strings.TrimRight(d.server, "/")
		for i := range e.env.Clusters {
			if strings.TrimRight(e.env.Clusters[i].Server, "/") == srv {
				return &e.env.Clusters[i], "", true
			}
		}
		if srv == InClusterServer {
			return &Cluster{Name: InClusterName, Server: InClusterServer}, "", true
		}
		if e.env.AssumeClusters {
			return e.assume(Cluster{Server: d.server}, d.server)
		}
		return nil, fmt.Sprintf("error getting cluster by server %q: no cluster Secret or declared cluster has this server", d.server), false
	case d.name != "":
		var found []*Cluster
		for i := range e.env.Clusters {
			if e.env.Clusters[i].Name == d.name {
				found = append(found, &e.env.Clusters[i])
			}
		}
		switch {
		case len(found) == 1:
			return found[0], "", true
		case len(found) > 1:
			return nil, fmt.Sprintf("there are %d clusters with the same name: %s", len(found), d.name), false
		}
		if d.name == InClusterName {
			for _, c := range e.env.Clusters {
				if c.Server == InClusterServer {
					return nil, "there are no clusters with this name: " + d.name, false
				}
			}
			return &Cluster{Name: InClusterName, Server: InClusterServer}, "", true
		}
		if slices.Contains(e.env.ClusterDirs, d.name) {
			return &Cluster{Name: d.name}, "", true
		}
		if e.env.AssumeClusters {
			return e.assume(Cluster{Name: d.name}, d.name)
		}
		return nil, "there are no clusters with this name: " + d.name, false
	}
	return nil, "Destination server missing from app spec", false
}

// assume records a destination cluster assumed registered in Argo CD.
func (e *expander) assume(c Cluster, label string) (*Cluster, string, bool) {
	if e.assumed == nil {
		e.assumed = map[string]bool{}
	}
	e.assumed[label] = true
	return &c, "", true
}

// lineAt returns the line of a path of the ApplicationSet, else of its
// nearest ancestor, else of the document.
func (e *expander) lineAt(p string) int {
	for p != "" {
		if l, ok := e.lines[p]; ok {
			return l
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return e.in.Line
}

// isElementLine reports whether a line is a list element's (more precise
// than a generator's).
func (e *expander) isElementLine(line int) bool { return e.elements[line] }

func (e *expander) add(f report.Finding) { e.findings = append(e.findings, f) }

func (e *expander) errorf(p, rule, format string, args ...any) {
	e.add(report.Finding{Rule: rule, Severity: report.SeverityError, File: e.in.File, Line: e.lineAt(p), Message: fmt.Sprintf(format, args...)})
}

func (e *expander) warn(p, rule, msg string) {
	e.add(report.Finding{Rule: rule, Severity: report.SeverityWarning, File: e.in.File, Line: e.lineAt(p), Message: fmt.Sprintf("ApplicationSet %s: %s", e.name, msg)})
}

func (e *expander) skip(se *skipError) {
	e.warn(se.path, se.rule, se.message)
}

// indexLines records the line of every mapping key and sequence item under
// n, by dotted path ("spec.generators.0.list.elements.1").
func indexLines(n *yaml.Node, p string, out map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := join(p, n.Content[i].Value)
			out[k] = n.Content[i].Line
			indexLines(n.Content[i+1], k, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			k := join(p, fmt.Sprint(i))
			out[k] = c.Line
			indexLines(c, k, out)
		}
	}
}
