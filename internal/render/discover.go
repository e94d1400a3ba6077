package render

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/appset"
	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/workspace"
)

// Applications returns the Argo CD Applications of a cluster found without
// rendering: those in its files (workspace.Applications), then those the
// ApplicationSets in the cluster directories generate for it. The
// workspace's problems with the files and the ApplicationSets' findings are
// findings of this cluster.
func Applications(ctx context.Context, ws *workspace.Workspace, c workspace.ClusterDir) ([]*argo.Application, []report.Finding, error) {
	apps, problems, err := ws.Applications(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	findings := make([]report.Finding, 0, len(problems))
	for _, p := range problems {
		findings = append(findings, problemFinding(p))
	}
	gen, gf, err := generated(ctx, ws, c)
	if err != nil {
		return nil, nil, err
	}
	return append(apps, gen...), append(findings, gf...), nil
}

// problemRules names the rule of each kind of workspace.Problem.
var problemRules = map[workspace.ProblemKind]string{
	workspace.ProblemMalformedYAML:      report.RuleRenderMalformedYAML,
	workspace.ProblemInvalidApplication: report.RuleRenderFailed,
	workspace.ProblemYAML11Boolean:      report.RuleRenderYAML11Boolean,
}

// problemFinding is the finding of a workspace problem: its rule, at the
// rule's default severity (the rule table, report.Rules).
func problemFinding(p workspace.Problem) report.Finding {
	rule, ok := problemRules[p.Kind]
	if !ok {
		rule = report.RuleRenderFailed
	}
	sev := report.SeverityError
	if r, ok := report.LookupRule(rule); ok {
		sev = r.Severity
	}
	return report.Finding{Rule: rule, Severity: sev, Cluster: p.Cluster, File: p.File, Line: p.Line, Message: p.Message}
}

// appSetEnvKey and appSetsKey key what this file derives from a workspace
// (workspace.Memo): the expansion environment and the expansion of every
// ApplicationSet in the cluster directories, once per workspace (generated
// Applications may land in another cluster directory than their
// ApplicationSet's).
type (
	appSetEnvKey struct{}
	appSetsKey   struct{}
)

// appSetEnv is the environment and the unreadable cluster Secrets it was
// built with.
type appSetEnv struct {
	env      *appset.Env
	problems []report.Finding
}

type appSetState struct {
	// apps and findings by cluster directory name
	apps     map[string][]*argo.Application
	findings map[string][]report.Finding
	// discovered holds file + "\x00" + name of each ApplicationSet expanded here
	discovered map[string]bool
}

// AppSetEnv returns what ApplicationSet expansion reads from a workspace:
// the cluster inventory (cluster Secrets in the repo, then argoClusters of
// the configuration), the cluster directories and the checkout. It is built
// once per workspace.
func AppSetEnv(ctx context.Context, ws *workspace.Workspace) (*appset.Env, error) {
	e, err := workspaceAppSetEnv(ctx, ws)
	if err != nil {
		return nil, err
	}
	return e.env, nil
}

func workspaceAppSetEnv(ctx context.Context, ws *workspace.Workspace) (*appSetEnv, error) {
	v, err := ws.Memo(appSetEnvKey{}, func() (any, error) { return newAppSetEnv(ctx, ws) })
	if err != nil {
		return nil, err
	}
	return v.(*appSetEnv), nil
}

// newAppSetEnv lists the files and reads the cluster Secrets (only when some
// ApplicationSet needs them).
func newAppSetEnv(ctx context.Context, ws *workspace.Workspace) (*appSetEnv, error) {
	dirs, err := ws.Clusters()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range dirs {
		names = append(names, d.Name)
	}
	files, err := ws.Files(ctx)
	if err != nil {
		return nil, err
	}
	secrets, problems := clusterSecrets(ws, files)
	var declared []appset.Cluster
	for _, ac := range ws.Config.ArgoClusters {
		declared = append(declared, appset.Cluster{Name: ac.Name, Server: ac.Server, Project: ac.Project,
			Labels: ac.Labels, Annotations: ac.Annotations, KubernetesVersion: ac.KubernetesVersion, File: ".render-check.yaml"})
	}
	return &appSetEnv{problems: problems, env: &appset.Env{
		Clusters:        appset.Inventory(secrets, declared),
		ClusterDirs:     names,
		ArgoCDNamespace: ws.Config.ArgoCDNamespace,
		AssumeClusters:  len(secrets) == 0 && len(declared) == 0,
		Checkout: &appset.FSCheckout{FS: ws.FS(), List: files, URLs: func(u string) bool {
			// without any URL for itself, a git generator is read from the
			// checkout, as render does for sources
			return ws.IsThisRepo(u) || !ws.KnowsItself()
		}},
	}}, nil
}

// isDiscoveredAppSet reports whether the ApplicationSet named name in file
// was already expanded by discovery (so a parent rendering the same
// manifest adds nothing).
func isDiscoveredAppSet(ctx context.Context, ws *workspace.Workspace, file, name string) bool {
	st, err := appSets(ctx, ws)
	return err == nil && st.discovered[file+"\x00"+name]
}

// generated returns the Applications ApplicationSets generate for cluster
// directory c, and the findings of those ApplicationSets located there.
func generated(ctx context.Context, ws *workspace.Workspace, c workspace.ClusterDir) ([]*argo.Application, []report.Finding, error) {
	st, err := appSets(ctx, ws)
	if err != nil {
		return nil, nil, err
	}
	// copies: each caller may adjust its Applications, as with decoded ones
	apps := make([]*argo.Application, len(st.apps[c.Name]))
	for i, a := range st.apps[c.Name] {
		cp := *a
		apps[i] = &cp
	}
	return apps, slices.Clone(st.findings[c.Name]), nil
}

func appSets(ctx context.Context, ws *workspace.Workspace) (*appSetState, error) {
	v, err := ws.Memo(appSetsKey{}, func() (any, error) { return expandAppSets(ctx, ws) })
	if err != nil {
		return nil, err
	}
	return v.(*appSetState), nil
}

// appSetDoc is one ApplicationSet manifest found in a cluster directory.
type appSetDoc struct {
	in      appset.Input
	cluster string
}

func expandAppSets(ctx context.Context, ws *workspace.Workspace) (*appSetState, error) {
	dirs, err := ws.Clusters()
	if err != nil {
		return nil, err
	}
	st := &appSetState{apps: map[string][]*argo.Application{}, findings: map[string][]report.Finding{}, discovered: map[string]bool{}}
	var names []string
	for _, d := range dirs {
		names = append(names, d.Name)
	}
	var docs []appSetDoc
	for _, d := range dirs {
		ds, err := findAppSets(ctx, ws, d)
		if err != nil {
			return nil, err
		}
		docs = append(docs, ds...)
	}
	if len(docs) == 0 {
		return st, nil
	}
	e, err := workspaceAppSetEnv(ctx, ws)
	if err != nil {
		return nil, err
	}
	env := e.env
	clusterOf := func(file string) string {
		for _, d := range dirs {
			if strings.HasPrefix(file, d.Dir+"/") {
				return d.Name
			}
		}
		return docs[0].cluster
	}
	for _, p := range e.problems {
		c := clusterOf(p.File)
		p.Cluster = c
		st.findings[c] = append(st.findings[c], p)
	}
	// A cluster is what one Argo CD instance reconciles: ApplicationSets of
	// two clusters never compete for a name, so each cluster's are expanded
	// together (a manifest reached from two clusters counts in the first).
	byCluster := map[string][]appset.Input{}
	var order []string
	seen := map[string]bool{}
	for _, d := range docs {
		md, _ := d.in.Object["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		st.discovered[d.in.File+"\x00"+name] = true
		at := fmt.Sprintf("%s:%d", d.in.File, d.in.Line)
		if seen[at] {
			continue
		}
		seen[at] = true
		if _, ok := byCluster[d.cluster]; !ok {
			order = append(order, d.cluster)
		}
		byCluster[d.cluster] = append(byCluster[d.cluster], d.in)
	}
	// each result belongs to the cluster whose ApplicationSets made it
	var apps []appset.App
	var appCluster []string
	for _, cn := range order {
		r := appset.ExpandAll(byCluster[cn], env)
		for _, f := range r.Findings {
			c := cn
			if f.File != "" && !slices.ContainsFunc(byCluster[cn], func(in appset.Input) bool { return in.File == f.File }) {
				c = clusterOf(f.File)
			}
			f.Cluster = c
			st.findings[c] = append(st.findings[c], f)
		}
		for _, a := range r.Apps {
			apps = append(apps, a)
			appCluster = append(appCluster, cn)
		}
	}
	for i, a := range apps {
		c := appCluster[i]
		if a.Cluster != nil && slices.Contains(names, a.Cluster.Name) {
			c = a.Cluster.Name
		}
		app, err := argo.DecodeApplication(a.Object)
		if err != nil {
			st.findings[c] = append(st.findings[c], report.Finding{
				Rule: appset.RuleInvalid, Severity: report.SeverityError, Cluster: c, App: a.Name, File: a.File, Line: a.Line,
				Message: fmt.Sprintf("ApplicationSet %s generates an invalid Application %s: %v", a.AppSet, a.Name, err),
			})
			continue
		}
		app.File, app.Line, app.GeneratedBy, app.GeneratorInputs = a.File, a.Line, a.AppSet, a.Inputs
		st.apps[c] = append(st.apps[c], app)
	}
	return st, nil
}

// findAppSets returns the ApplicationSets in YAML files under a cluster
// directory (hidden directories skipped), in file and document order.
// Malformed files are reported by workspace.Applications.
func findAppSets(ctx context.Context, ws *workspace.Workspace, c workspace.ClusterDir) ([]appSetDoc, error) {
	// a cluster made of member files (root Application files) reads the
	// ApplicationSets beside them, not those of nested directories: a nested
	// directory may be another cluster's
	var files []string
	seen := map[string]bool{}
	for _, m := range c.Paths() {
		dir := m.Path
		if m.File {
			dir = path.Dir(m.Path)
		}
		fs, err := ws.YAMLFiles(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
		for _, f := range fs {
			if !seen[f] && (!m.File || path.Dir(f) == dir) {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	var out []appSetDoc
	for _, rel := range files {
		data, err := ws.ReadFile(rel)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", rel, err)
		}
		if !strings.Contains(string(data), "ApplicationSet") {
			continue
		}
		nodes, _ := workspace.DecodeNodes(data)
		for _, n := range nodes {
			if in, ok := appSetInput(n, rel); ok {
				out = append(out, appSetDoc{in: in, cluster: c.Name})
			}
		}
	}
	return out, nil
}

// appSetInput decodes one document when it is an ApplicationSet. The object
// is decoded the way Argo CD reads manifests (YAML 1.1: `yes`, `on` and `y`
// are booleans), the node kept for lines.
func appSetInput(n *yaml.Node, file string) (appset.Input, bool) {
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		return appset.Input{}, false
	}
	top := n.Content[0]
	var kind, apiVersion string
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch top.Content[i].Value {
		case "kind":
			kind = top.Content[i+1].Value
		case "apiVersion":
			apiVersion = top.Content[i+1].Value
		}
	}
	if !argo.IsApplicationSet(map[string]any{"kind": kind, "apiVersion": apiVersion}) {
		return appset.Input{}, false
	}
	b, err := yaml.Marshal(top)
	if err != nil {
		return appset.Input{}, false
	}
	var obj map[string]any
	if err := sigsyaml.Unmarshal(b, &obj); err != nil || obj == nil {
		return appset.Input{}, false
	}
	return appset.Input{Object: obj, File: file, Line: top.Line, Node: n}, true
}

// clusterSecrets reads the Argo CD cluster Secrets among the repo's YAML
// files (hidden directories skipped), in file order.
func clusterSecrets(ws *workspace.Workspace, files []string) ([]appset.Cluster, []report.Finding) {
	var out []appset.Cluster
	var problems []report.Finding
	for _, f := range files {
		ext := strings.ToLower(filepath.Ext(f))
		if ext != ".yaml" && ext != ".yml" || hiddenPath(f) {
			continue
		}
		data, err := ws.ReadFile(f)
		if err != nil || !strings.Contains(string(data), appset.SecretTypeLabel) {
			continue
		}
		docs, _ := ws.Documents(f)
		for _, d := range docs {
			if d.Object == nil || !appset.IsClusterSecret(d.Object) {
				continue
			}
			c, problem := appset.ClusterFromSecret(d.Object, f, d.Line)
			if problem != "" {
				problems = append(problems, report.Finding{Rule: appset.RuleCluster, Severity: report.SeverityWarning, File: f, Line: d.Line, Message: problem})
				continue
			}
			out = append(out, c)
		}
	}
	return out, problems
}

func hiddenPath(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if strings.HasPrefix(s, ".") {
			return true
		}
	}
	return false
}

// GenerateAppSets expands the ApplicationSets in files (paths as given on a
// command line) against the inventory and checkout of ws, as Argo CD
// would. A file that cannot be read is an error; one that does not parse,
// or holds no ApplicationSet, is a finding.
func GenerateAppSets(ctx context.Context, ws *workspace.Workspace, files []string) (appset.Result, error) {
	env, err := AppSetEnv(ctx, ws)
	if err != nil {
		return appset.Result{}, err
	}
	var ins []appset.Input
	var findings []report.Finding
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return appset.Result{}, fmt.Errorf("%s: %w", f, err)
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			return appset.Result{}, fmt.Errorf("reading ApplicationSet file: %w", err)
		}
		rel := ws.Rel(abs)
		nodes, perr := workspace.DecodeNodes(data)
		found := 0
		for _, n := range nodes {
			if in, ok := appSetInput(n, rel); ok {
				ins = append(ins, in)
				found++
			}
		}
		if perr != nil {
			findings = append(findings, report.Finding{Rule: report.RuleRenderMalformedYAML, Severity: report.SeverityError, File: rel, Message: "malformed YAML: " + perr.Error()})
		} else if found == 0 {
			findings = append(findings, report.Finding{Rule: appset.RuleGenerator, Severity: report.SeverityWarning, File: rel, Message: "no ApplicationSet in this file"})
		}
	}
	res := appset.ExpandAll(ins, env)
	res.Findings = report.Sort(append(findings, res.Findings...))
	return res, nil
}
