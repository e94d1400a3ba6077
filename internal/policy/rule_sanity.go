package policy

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/suggest"
)

// builtinNamespaces exist in every cluster.
var builtinNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// defaultArgoNamespace is the control-plane namespace assumed for
// Applications without metadata.namespace.
const defaultArgoNamespace = "argocd"

// checkSanity runs the repo/app-sanity checks of one cluster.
func (c *checker) checkSanity(cl *resource.Cluster, e *env) {
	if !c.enabled(cl.Name, report.RuleRepoAppSanity) {
		return
	}
	for _, b := range e.bad {
		c.add(report.Finding{Rule: report.RuleRepoAppSanity, Cluster: cl.Name, File: b.file, Line: b.line,
			Message: fmt.Sprintf("AppProject %q does not decode: %v", b.name, b.err)}, "")
	}
	argoNamespaces := c.argoNamespaces(cl)
	created := map[string]bool{}
	for _, r := range cl.All() {
		if r.Kind() == "Namespace" && r.Group() == "" {
			created[r.Name()] = true
		}
	}
	for _, a := range apps(cl) {
		// an app syncing with CreateNamespace=true makes its destination
		// namespace for every other app deploying there
		if ns := a.Application.Spec.Destination.Namespace; ns != "" && createNamespace(a.Application) {
			created[ns] = true
		}
	}
	for _, a := range apps(cl) {
		app := a.Application
		if p := projectName(app); p != "default" && e.projects[p] == nil {
			f := appFinding(report.RuleRepoAppSanity, cl, a, app.File, c.appLine(app, "spec", "project"),
				fmt.Sprintf("project %q is not defined in the repo (no AppProject named %q in %s/ or shared files): Argo CD will refuse to sync the app", p, p, cl.Dir))
			if len(c.scanned.projects) == 0 && len(e.projects) == 0 && len(e.bad) == 0 {
				// the repo defines no AppProject at all: its projects live elsewhere
				f.Message = fmt.Sprintf("project %q is not defined in the repo, which defines no AppProject (projects managed elsewhere?); Argo CD refuses to sync the app if the project does not exist", p)
				c.addUnlessOptedIn(f)
			} else {
				c.add(f, "")
			}
		} else if proj := e.projects[p]; proj != nil {
			c.checkPermits(cl, a, proj)
		}
		c.checkSources(cl, a)
		ns := app.Spec.Destination.Namespace
		if ns != "" && !created[ns] && !builtinNamespaces[ns] && !argoNamespaces[ns] && !createNamespace(app) {
			c.add(appFinding(report.RuleRepoAppSanity, cl, a, app.File, c.appLine(app, "spec", "destination", "namespace"),
				fmt.Sprintf("destination namespace %q is created by no app and syncOptions lack CreateNamespace=true: the sync fails unless it is made out of band", ns)),
				report.SeverityWarning)
		}
	}
	c.checkDuplicateApps(cl)
	c.checkSharedResources(cl)
}

// argoNamespaces are the namespaces Argo CD's own objects live in: the
// configured one (default "argocd"), those of the Applications found as
// files, and those the parents' rendered Applications, ApplicationSets and
// AppProjects land in (a root app's destination namespace, e.g.
// openshift-gitops). They exist wherever Argo CD runs.
func (c *checker) argoNamespaces(cl *resource.Cluster) map[string]bool {
	ns := map[string]bool{defaultArgoNamespace: true}
	if c.cfg.ArgoCDNamespace != "" {
		ns = map[string]bool{c.cfg.ArgoCDNamespace: true}
	}
	for _, a := range apps(cl) {
		if n := a.Application.Metadata.Namespace; n != "" {
			ns[n] = true
		}
	}
	for _, r := range cl.All() {
		if r.Group() != "argoproj.io" {
			continue
		}
		switch r.Kind() {
		case "Application", "ApplicationSet", "AppProject":
			if n := r.Namespace(); n != "" {
				ns[n] = true
			}
		}
	}
	return ns
}

// checkPermits: the app's sources and destination are allowed by its project.
func (c *checker) checkPermits(cl *resource.Cluster, a *resource.App, p *argo.AppProject) {
	app := a.Application
	for k, s := range app.Spec.AllSources() {
		if s.RepoURL != "" && !sourcePermitted(p, s.RepoURL) {
			c.add(appFinding(report.RuleRepoAppSanity, cl, a, app.File, c.appLine(app, sourceField(app, k, "repoURL")...),
				fmt.Sprintf("repoURL %q is not in the sourceRepos of AppProject %q (%s:%d): Argo CD will refuse to sync the app", s.RepoURL, p.Metadata.Name, p.File, p.Line)), "")
		}
	}
	if d := app.Spec.Destination; !destinationPermitted(p, d) {
		where := d.Server
		if where == "" {
			where = d.Name
		}
		c.add(appFinding(report.RuleRepoAppSanity, cl, a, app.File, c.appLine(app, "spec", "destination"),
			fmt.Sprintf("destination %s namespace %q is not allowed by the destinations of AppProject %q (%s:%d): Argo CD will refuse to sync the app", where, d.Namespace, p.Metadata.Name, p.File, p.Line)), "")
	}
}

func createNamespace(a *argo.Application) bool {
	if a.Spec.SyncPolicy == nil {
		return false
	}
	return slices.Contains(a.Spec.SyncPolicy.SyncOptions, "CreateNamespace=true")
}

// sourceField returns the field path of source k of the app.
func sourceField(app *argo.Application, k int, field ...string) []string {
	p := []string{"spec", "source"}
	if len(app.Spec.Sources) > 0 {
		p = []string{"spec", "sources", strconv.Itoa(k)}
	}
	return append(p, field...)
}

var refRE = regexp.MustCompile(`^\$([A-Za-z0-9_-]+)/(.*)$`)

// checkSources checks source paths and Helm value files of this repo's sources.
func (c *checker) checkSources(cl *resource.Cluster, a *resource.App) {
	app := a.Application
	srcs := app.Spec.AllSources()
	refs := map[string]argo.Source{}
	for _, s := range srcs {
		if s.Ref != "" {
			refs[s.Ref] = s
		}
	}
	for k, s := range srcs {
		local := c.isThisRepo(s.RepoURL)
		if local && s.Chart == "" && s.Path != "" {
			p := path.Clean(strings.TrimPrefix(s.Path, "/"))
			if p != "." && !c.dirSet[p] {
				f := appFinding(report.RuleRepoAppSanity, cl, a, app.File, c.appLine(app, sourceField(app, k, "path")...),
					fmt.Sprintf("source path %q does not exist in the repo", s.Path)+c.didYouMean(p, s.Path))
				f.Cause = "missing:" + p // the render failure of the app is the same mistake
				c.add(f, "")
			}
		}
		if s.Helm == nil || s.Helm.IgnoreMissingValueFiles {
			continue
		}
		for i, vf := range s.Helm.ValueFiles {
			file, ok := c.resolveValueFile(app, s, local, refs, vf)
			if !ok || c.valueFileExists(file) {
				continue
			}
			f := appFinding(report.RuleRepoAppSanity, cl, a, app.File, c.appLine(app, sourceField(app, k, "helm", "valueFiles", strconv.Itoa(i))...),
				fmt.Sprintf("values file %q (%s) does not exist and ignoreMissingValueFiles is not set", vf, file)+c.didYouMean(file, vf))
			f.Cause = "missing:" + file // the render failure of the app is the same mistake
			c.add(f, "")
		}
	}
}

// resolveValueFile maps a valueFiles entry to a repo-relative path (or glob);
// ok is false when it cannot be checked offline (URL, remote chart, another
// repo, a revision variable) or escapes the root (a render failure).
func (c *checker) resolveValueFile(app *argo.Application, s argo.Source, local bool, refs map[string]argo.Source, vf string) (string, bool) {
	if strings.HasPrefix(vf, "http://") || strings.HasPrefix(vf, "https://") {
		return "", false
	}
	var p string
	if m := refRE.FindStringSubmatch(vf); m != nil {
		if ref, ok := refs[m[1]]; ok {
			if !c.isThisRepo(ref.RepoURL) {
				return "", false
			}
			p = m[2]
		}
	}
	if p == "" {
		if !local || s.Chart != "" {
			return "", false
		}
		if strings.Contains(vf, "ARGOCD_APP_REVISION") {
			return "", false
		}
		v := expandEnv(vf, map[string]string{
			"ARGOCD_APP_NAME":                   app.Metadata.Name,
			"ARGOCD_APP_NAMESPACE":              app.Spec.Destination.Namespace,
			"ARGOCD_APP_PROJECT_NAME":           projectName(app),
			"ARGOCD_APP_SOURCE_PATH":            s.Path,
			"ARGOCD_APP_SOURCE_REPO_URL":        s.RepoURL,
			"ARGOCD_APP_SOURCE_TARGET_REVISION": s.TargetRevision,
		})
		if strings.HasPrefix(v, "/") {
			p = v
		} else {
			p = path.Join(s.Path, v)
		}
	}
	p = path.Clean(strings.TrimPrefix(p, "/"))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

// valueFileExists reports whether the file exists, or a glob matches a file.
func (c *checker) valueFileExists(p string) bool {
	if !strings.ContainsAny(p, "*?[") {
		return c.fileSet[p]
	}
	for _, f := range c.files {
		if ok, _ := doublestar.Match(p, f); ok {
			return true
		}
	}
	return false
}

// expandEnv substitutes $X and ${X} from vars (unknown: empty; $$: $).
func expandEnv(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		if s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		name, end := "", i+1
		if s[i+1] == '{' {
			if j := strings.IndexByte(s[i+2:], '}'); j >= 0 {
				name, end = s[i+2:i+2+j], i+3+j
			}
		} else {
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			name, end = s[i+1:j], j
		}
		if name == "" {
			b.WriteByte('$')
			continue
		}
		b.WriteString(vars[name])
		i = end - 1
	}
	return b.String()
}

// appLoc is one definition of an Application.
type appLoc struct {
	app  *resource.App
	file string
	line int
}

// checkDuplicateApps: two Applications with one name in one Argo CD
// namespace of a cluster (discovered or rendered, or found in the cluster
// directory's files) overwrite each other.
func (c *checker) checkDuplicateApps(cl *resource.Cluster) {
	byKey := map[string][]appLoc{}
	seen := map[string]bool{}
	addLoc := func(ns, name string, l appLoc) {
		if ns == "" {
			ns = defaultArgoNamespace
		}
		id := l.file + ":" + strconv.Itoa(l.line) // one document, however it was found
		if l.line == 0 {
			id += "#" + ns + "/" + name
		}
		if seen[id] {
			return
		}
		seen[id] = true
		byKey[ns+"/"+name] = append(byKey[ns+"/"+name], l)
	}
	for _, a := range apps(cl) {
		m := a.Application.Metadata
		addLoc(m.Namespace, m.Name, appLoc{app: a, file: a.Application.File, line: a.Application.Line})
	}
	for _, d := range c.scanned.apps {
		if c.clusterDirOf(d.file) == strings.Trim(cl.Dir, "/") {
			addLoc(d.namespace, d.name, appLoc{file: d.file, line: d.line})
		}
	}
	for _, key := range sortedKeys(byKey) {
		locs := byKey[key]
		if len(locs) < 2 {
			continue
		}
		slices.SortFunc(locs, func(x, y appLoc) int {
			if x.file != y.file {
				return strings.Compare(x.file, y.file)
			}
			return x.line - y.line
		})
		ns, name, _ := strings.Cut(key, "/")
		for _, l := range locs[1:] {
			f := report.Finding{Rule: report.RuleRepoAppSanity, Cluster: cl.Name, App: name, File: l.file, Line: l.line,
				Message: fmt.Sprintf("Application %q in namespace %q is also defined at %s:%d: one overwrites the other in Argo CD; rename one", name, ns, locs[0].file, locs[0].line)}
			c.add(f, "")
		}
	}
}

// checkSharedResources: one object (group/kind/namespace/name) rendered by
// two Applications of a cluster makes them fight over it.
func (c *checker) checkSharedResources(cl *resource.Cluster) {
	owner := map[string]*resource.App{}
	reported := map[string]bool{}
	for _, a := range cl.Apps {
		dest := a.Application.DestinationKey()
		for _, r := range a.Resources {
			// the same object in two destination clusters is two objects
			key := dest + "\x00" + r.Key()
			first, ok := owner[key]
			if !ok {
				owner[key] = a
				continue
			}
			if first == a || reported[key+"\x00"+a.Name] {
				continue
			}
			reported[key+"\x00"+a.Name] = true
			c.add(report.Finding{Rule: report.RuleRepoAppSanity, Cluster: cl.Name, App: a.Name, File: r.Origin.File, Line: r.Origin.Line, Resource: r.Ref(),
				Message: fmt.Sprintf("%s is managed by two Applications, %q and %q: they overwrite each other on every sync; keep it in one", r.Ref(), first.Name, a.Name),
				// schema/duplicate-resource of the object is the same mistake
				Cause: report.SharedObjectCause(r.Origin.File, r.Origin.Line, r.Ref())}, "")
		}
	}
}

// isThisRepo reports whether a repoURL is this checkout.
func (c *checker) isThisRepo(url string) bool {
	return c.repo != nil && c.repo.IsThisRepo(url)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// didYouMean suggests the nearest existing path for a missing repo path
// rel, spelled as the entry was written: `; did you mean "x"?` or "".
func (c *checker) didYouMean(rel, written string) string {
	if strings.ContainsAny(rel, "*?[") {
		return ""
	}
	if m, ok := suggest.Path(c.repo.FS(), rel); ok {
		return fmt.Sprintf("; did you mean %q?", suggest.Entry(written, m))
	}
	return ""
}
