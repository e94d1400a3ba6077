package appset

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/report"
)

// paramSet is one set of generator parameters and the line of the
// ApplicationSet that produced it (a list element), 0 when none is more
// precise than the generator itself.
type paramSet struct {
	params map[string]any
	line   int
	// inputs are the repo files the parameters were read from (a git file,
	// a cluster Secret)
	inputs []string
}

// transformResult is the parameter sets of one generator and the template
// they render (the generator's own template over the ApplicationSet's).
type transformResult struct {
	params   []paramSet
	template map[string]any
}

// genError is a generator failure located at a path of the ApplicationSet.
type genError struct {
	path string
	err  error
}

func (e *genError) Error() string { return e.err.Error() }
func (e *genError) Unwrap() error { return e.err }

// skipError marks a generator render-check cannot evaluate offline (it needs
// an API, or reads another repository): it is reported and generates
// nothing, the other generators still run.
type skipError struct {
	path     string
	rule     string
	message  string
	external bool
}

func (e *skipError) Error() string { return e.message }

// generatorKinds are the generator fields in the controller's order.
var generatorKinds = []string{"list", "clusters", "git", "scmProvider", "clusterDecisionResource", "pullRequest", "plugin", "matrix", "merge"}

// unsupportedWhy says why a generator needs a live API.
var unsupportedWhy = map[string]string{
	"scmProvider":             "it lists repositories through an SCM provider's API",
	"pullRequest":             "it lists open pull requests through an SCM provider's API",
	"plugin":                  "it calls a plugin service over HTTP",
	"clusterDecisionResource": "it reads a custom resource (cluster decisions) from the live cluster",
}

// maxParamSets bounds what one generator may produce (the repo is hostile
// input: a matrix of large lists must not exhaust the runner).
const maxParamSets = 10000

// transform is the controller's Transform: run every generator of one
// generator entry, interpolating it with genParams first (the first
// generator's parameters, for the second generator of a matrix), and keep
// the parameter sets its post-selector matches. depth counts matrix/merge
// levels above this entry.
func (e *expander) transform(gen map[string]any, genPath string, base map[string]any, genParams map[string]any, depth int) ([]transformResult, error) {
	var sel *postSelector
	if s, ok := gen["selector"]; ok && s != nil {
		var err error
		if sel, err = parsePostSelector(s); err != nil {
			return nil, &genError{genPath + ".selector", fmt.Errorf("error parsing label selector: %w", err)}
		}
	}
	var out []transformResult
	var firstErr error
	for _, kind := range generatorKinds {
		if _, ok := gen[kind]; !ok || gen[kind] == nil {
			continue
		}
		kpath := genPath + "." + kind
		g := gen
		if len(genParams) > 0 {
			ig, err := e.interpolateGenerator(gen, genParams)
			if err != nil {
				if firstErr == nil {
					firstErr = &genError{kpath, fmt.Errorf("failed to replace parameters in generator: %w", err)}
				}
				continue
			}
			g = ig
		}
		spec, _ := g[kind].(map[string]any)
		if spec == nil {
			spec = map[string]any{}
		}
		tmpl := map[string]any{}
		if t, ok := spec["template"].(map[string]any); ok {
			tmpl = deepCopy(t).(map[string]any)
		}
		fillEmpty(tmpl, base)
		params, err := e.generate(kind, spec, kpath, depth)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		var kept []paramSet
		for _, p := range params {
			if sel != nil && !sel.matches(flatten(p.params)) {
				continue
			}
			kept = append(kept, p)
		}
		out = append(out, transformResult{params: kept, template: tmpl})
	}
	if firstErr == nil && len(out) == 0 {
		var names []string
		for k := range gen {
			if k != "selector" && !slices.Contains(generatorKinds, k) {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		if len(names) > 0 {
			e.warn(genPath, RuleGenerator, fmt.Sprintf("unrecognized generator %s: Argo CD ignores it and generates nothing from this entry", strings.Join(names, ", ")))
		}
	}
	return out, firstErr
}

// generate runs one generator.
func (e *expander) generate(kind string, spec map[string]any, p string, depth int) ([]paramSet, error) {
	switch kind {
	case "list":
		return e.listParams(spec, p)
	case "clusters":
		return e.clusterParams(spec, p)
	case "git":
		return e.gitParams(spec, p)
	case "matrix":
		return e.matrixParams(spec, p, depth)
	case "merge":
		return e.mergeParams(spec, p, depth)
	}
	return nil, &skipError{path: p, rule: RuleUnsupported,
		message: fmt.Sprintf("the %s generator is not supported offline: %s; the Applications it generates are not rendered or checked", kind, unsupportedWhy[kind])}
}

// interpolateGenerator renders a generator with another generator's
// parameters (RenderGeneratorParams): `values` of clusters and git
// generators are resolved with missingkey=error, leaving a value unchanged
// when a key is missing, so they can still use the generator's own keys.
func (e *expander) interpolateGenerator(gen map[string]any, params map[string]any) (map[string]any, error) {
	saved := map[string]map[string]any{}
	for _, k := range []string{"clusters", "git", "scmProvider", "pullRequest", "clusterDecisionResource", "plugin"} {
		if s, ok := gen[k].(map[string]any); ok {
			if v, ok := s["values"].(map[string]any); ok {
				saved[k] = v
			}
		}
	}
	out, err := e.r.deepReplace(stripValues(gen, saved), params)
	if err != nil {
		return nil, err
	}
	og := out.(map[string]any)
	res := e.r
	if e.r.goTemplate {
		var opts []string
		for _, o := range e.r.options {
			if !strings.HasPrefix(o, "missingkey=") {
				opts = append(opts, o)
			}
		}
		res = e.r.withOptions(append(opts, "missingkey=error"))
	}
	for k, vals := range saved {
		resolved := make(map[string]any, len(vals))
		for vk, vv := range vals {
			s, ok := vv.(string)
			if !ok {
				resolved[vk] = vv
				continue
			}
			r, err := res.replace(s, params)
			if err != nil {
				if isMissingKey(err) {
					resolved[vk] = s
					continue
				}
				return nil, fmt.Errorf("failed to pre-resolve Values key %q: %w", vk, err)
			}
			resolved[vk] = r
		}
		og[k].(map[string]any)["values"] = resolved
	}
	return og, nil
}

func stripValues(gen map[string]any, saved map[string]map[string]any) map[string]any {
	if len(saved) == 0 {
		return gen
	}
	out := maps.Clone(gen)
	for k := range saved {
		s := maps.Clone(out[k].(map[string]any))
		delete(s, "values")
		out[k] = s
	}
	return out
}

func isMissingKey(err error) bool {
	m := err.Error()
	return strings.Contains(m, "map has no entry for key") || strings.Contains(m, "can't evaluate field")
}

// listParams is the list generator: elements, then elementsYaml.
func (e *expander) listParams(spec map[string]any, p string) ([]paramSet, error) {
	elems, _ := spec["elements"].([]any)
	out := make([]paramSet, 0, len(elems))
	for i, el := range elems {
		ep := fmt.Sprintf("%s.elements.%d", p, i)
		line := e.lineAt(ep)
		if line != e.in.Line {
			e.elements[line] = true
		}
		m, ok := el.(map[string]any)
		if !ok {
			return nil, &genError{ep, errors.New("error unmarshling list element: not an object")}
		}
		if e.r.goTemplate {
			v, err := toJSONValue(m)
			if err != nil {
				return nil, &genError{ep, fmt.Errorf("error unmarshling list element %w", err)}
			}
			out = append(out, paramSet{params: v.(map[string]any), line: line})
			continue
		}
		var params map[string]any // an empty element stays nil, as in the controller
		for _, k := range sortedKeys(m) {
			if params == nil {
				params = map[string]any{}
			}
			v := m[k]
			if k == "values" {
				vals, ok := v.(map[string]any)
				if !ok {
					return nil, &genError{ep + ".values", errors.New("error parsing values map")}
				}
				for vk, vv := range vals {
					s, ok := vv.(string)
					if !ok {
						return nil, &genError{ep + ".values." + vk, fmt.Errorf("error parsing value as string: values.%s is %s, not a string (quote it, or use goTemplate)", vk, kindOf(vv))}
					}
					params["values."+vk] = s
				}
				continue
			}
			s, ok := v.(string)
			if !ok {
				return nil, &genError{ep + "." + k, fmt.Errorf("error parsing value as string: %s is %s, not a string (quote it, or use goTemplate)", k, kindOf(v))}
			}
			params[k] = s
		}
		out = append(out, paramSet{params: params, line: line})
	}
	if ey, ok := spec["elementsYaml"].(string); ok && ey != "" {
		var ys []map[string]any
		if err := yaml.Unmarshal([]byte(ey), &ys); err != nil {
			return nil, &genError{p + ".elementsYaml", fmt.Errorf("error unmarshling decoded ElementsYaml %w", err)}
		}
		line := e.lineAt(p + ".elementsYaml")
		for _, y := range ys {
			out = append(out, paramSet{params: y, line: line})
		}
	}
	return out, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case int64, float64, json.Number:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// clusterParams is the clusters generator over the inventory.
func (e *expander) clusterParams(spec map[string]any, p string) ([]paramSet, error) {
	var ls metav1.LabelSelector
	if s, ok := spec["selector"]; ok && s != nil {
		b, _ := json.Marshal(s)
		if err := json.Unmarshal(b, &ls); err != nil {
			return nil, &genError{p + ".selector", fmt.Errorf("error converting label selector: %w", err)}
		}
	}
	withType := metav1.AddLabelToSelector(ls.DeepCopy(), SecretTypeLabel, "cluster")
	sel, err := metav1.LabelSelectorAsSelector(withType)
	if err != nil {
		return nil, &genError{p + ".selector", fmt.Errorf("error getting cluster secrets: error converting label selector: %w", err)}
	}
	ignoreLocal := len(ls.MatchLabels) > 0 || len(ls.MatchExpressions) > 0
	if len(e.env.Clusters) == 0 && !e.noInventory {
		e.noInventory = true
		e.add(report.Finding{Rule: RuleCluster, Severity: report.SeverityInfo, File: e.in.File, Line: e.lineAt(p),
			Message: fmt.Sprintf("ApplicationSet %s: the repository has no Argo CD cluster Secret and .render-check.yaml no argoClusters: the clusters generator sees only in-cluster here (declare the clusters Argo CD knows to check their Applications)", e.name)})
	}
	values, _ := spec["values"].(map[string]any)
	flat, _ := spec["flatList"].(bool)
	line := e.lineAt(p)

	var out []map[string]any
	var files []string
	hasLocal := false
	for _, c := range e.env.Clusters {
		lbls := maps.Clone(c.Labels)
		if lbls == nil {
			lbls = map[string]string{}
		}
		lbls[SecretTypeLabel] = "cluster"
		if !sel.Matches(labels.Set(lbls)) {
			continue
		}
		if strings.TrimRight(c.Server, "/") == InClusterServer || c.Server == InClusterServer {
			hasLocal = true
		}
		params := map[string]any{
			"name": c.Name, "nameNormalized": sanitizeName(c.Name), "server": c.Server, "project": c.Project,
		}
		if e.r.goTemplate {
			meta := map[string]any{}
			if len(c.Annotations) > 0 {
				meta["annotations"] = stringMap(c.Annotations)
			}
			if len(c.Labels) > 0 {
				meta["labels"] = stringMap(c.Labels)
			}
			params["metadata"] = meta
		} else {
			for k, v := range c.Annotations {
				params["metadata.annotations."+k] = v
			}
			for k, v := range c.Labels {
				params["metadata.labels."+k] = v
			}
		}
		if err := e.appendValues(values, params); err != nil {
			return nil, &genError{p + ".values", fmt.Errorf("error appending templated values for cluster: %w", err)}
		}
		out = append(out, params)
		files = append(files, c.File)
	}
	if !ignoreLocal && !hasLocal {
		params := map[string]any{"name": InClusterName, "nameNormalized": InClusterName, "server": InClusterServer, "project": ""}
		if err := e.appendValues(values, params); err != nil {
			return nil, &genError{p + ".values", fmt.Errorf("error appending templated values for local cluster: %w", err)}
		}
		out = append(out, params)
		files = append(files, "")
	}
	if flat {
		list := make([]any, len(out))
		for i, o := range out {
			list[i] = o
		}
		return []paramSet{{params: map[string]any{"clusters": list}, line: line, inputs: nonEmpty(files...)}}, nil
	}
	res := make([]paramSet, len(out))
	for i, o := range out {
		res[i] = paramSet{params: o, line: line, inputs: nonEmpty(files[i])}
	}
	return res, nil
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// appendValues adds a generator's `values`, rendered with the parameters:
// under "values" in goTemplate mode, as "values.KEY" otherwise.
func (e *expander) appendValues(values map[string]any, params map[string]any) error {
	tmp := map[string]any{}
	for _, k := range sortedKeys(values) {
		s, ok := values[k].(string)
		if !ok {
			return fmt.Errorf("values.%s is %s, not a string", k, kindOf(values[k]))
		}
		r, err := e.r.replace(s, params)
		if err != nil {
			return fmt.Errorf("failed to replace templated string: %w", err)
		}
		if e.r.goTemplate {
			vm, _ := tmp["values"].(map[string]any)
			if vm == nil {
				vm = map[string]any{}
				tmp["values"] = vm
			}
			vm[k] = r
		} else {
			tmp["values."+k] = r
		}
	}
	maps.Copy(params, tmp)
	return nil
}

// gitParams is the git generator (directories or files) over the checkout.
func (e *expander) gitParams(spec map[string]any, p string) ([]paramSet, error) {
	repoURL, _ := spec["repoURL"].(string)
	if e.env.Checkout == nil || !e.env.Checkout.IsThisRepo(repoURL) {
		return nil, &skipError{path: p, rule: RuleExternalSource, external: true,
			message: fmt.Sprintf("the git generator reads %s, another repository: the Applications it generates are not rendered or checked (add its URL to repoURLs if it is this one)", repoURL)}
	}
	prefix, _ := spec["pathParamPrefix"].(string)
	values, _ := spec["values"].(map[string]any)
	line := e.lineAt(p)
	dirs, _ := spec["directories"].([]any)
	files, _ := spec["files"].([]any)
	all, err := e.env.Checkout.Files()
	if err != nil {
		return nil, &genError{p, fmt.Errorf("error generating params from git: %w", err)}
	}
	var out []paramSet
	switch {
	case len(dirs) > 0:
		for _, d := range e.filterDirs(dirs, repoDirs(all)) {
			params := map[string]any{}
			if e.r.goTemplate {
				pp := map[string]any{"path": d, "basename": path.Base(d), "basenameNormalized": sanitizeName(path.Base(d)), "segments": segments(d)}
				setPathParam(params, prefix, pp)
			} else {
				name := "path"
				if prefix != "" {
					name = prefix + ".path"
				}
				params[name] = d
				params[name+".basename"] = path.Base(d)
				params[name+".basenameNormalized"] = sanitizeName(path.Base(d))
				indexSegments(params, name, d)
			}
			if err := e.appendValues(values, params); err != nil {
				return nil, &genError{p + ".values", fmt.Errorf("failed to append templated values: %w", err)}
			}
			out = append(out, paramSet{params: params, line: line})
		}
	case len(files) > 0:
		selected := map[string]bool{}
		for _, excl := range []bool{false, true} {
			for _, f := range files {
				fm, _ := f.(map[string]any)
				pat, _ := fm["path"].(string)
				ex, _ := fm["exclude"].(bool)
				if ex != excl {
					continue
				}
				for _, name := range all {
					if lsFilesMatch(pat, name) {
						if excl {
							delete(selected, name)
						} else {
							selected[name] = true
						}
					}
				}
			}
		}
		names := slices.Sorted(maps.Keys(selected))
		for _, name := range names {
			data, err := e.env.Checkout.ReadFile(name)
			if err != nil {
				return nil, &genError{p, fmt.Errorf("error generating params from git: %w", err)}
			}
			ps, err := e.fileParams(name, data, values, prefix)
			if err != nil {
				return nil, &genError{p, fmt.Errorf("error generating params from git: unable to process file '%s' from repository '%s': %w", name, repoURL, err)}
			}
			for _, x := range ps {
				out = append(out, paramSet{params: x, line: line, inputs: []string{name}})
			}
			if len(out) > maxParamSets {
				return nil, &genError{p, fmt.Errorf("more than %d parameter sets: not expanded", maxParamSets)}
			}
		}
	default:
		return nil, &genError{p, errors.New("error generating params from git: generator is empty (set directories or files)")}
	}
	return out, nil
}

func setPathParam(params map[string]any, prefix string, pp map[string]any) {
	if prefix != "" {
		params[prefix] = map[string]any{"path": pp}
	} else {
		params["path"] = pp
	}
}

func segments(p string) []any {
	parts := strings.Split(p, "/")
	out := make([]any, len(parts))
	for i, s := range parts {
		out[i] = s
	}
	return out
}

func indexSegments(params map[string]any, name, p string) {
	for i, s := range strings.Split(p, "/") {
		if s != "" {
			params[name+"["+strconv.Itoa(i)+"]"] = s
		}
	}
}

// fileParams is the parameters of one git file: a YAML/JSON object, or a
// list of objects; flattened with dots in legacy mode.
func (e *expander) fileParams(name string, data []byte, values map[string]any, prefix string) ([]map[string]any, error) {
	var objs []map[string]any
	single := map[string]any{}
	if err := yaml.Unmarshal(data, &single); err == nil {
		objs = append(objs, single)
	} else if err := yaml.Unmarshal(data, &objs); err != nil {
		return nil, fmt.Errorf("unable to parse file: %w", err)
	}
	dir := path.Dir(name)
	var out []map[string]any
	for _, obj := range objs {
		params := map[string]any{}
		if e.r.goTemplate {
			maps.Copy(params, obj)
			pp := map[string]any{
				"path": dir, "basename": path.Base(dir), "filename": path.Base(name),
				"basenameNormalized": sanitizeName(path.Base(dir)), "filenameNormalized": sanitizeName(path.Base(name)),
				"segments": segments(dir),
			}
			setPathParam(params, prefix, pp)
		} else {
			for k, v := range flatten(obj) {
				params[k] = v
			}
			pn := "path"
			if prefix != "" {
				pn = prefix + ".path"
			}
			params[pn] = dir
			params[pn+".basename"] = path.Base(dir)
			params[pn+".filename"] = path.Base(name)
			params[pn+".basenameNormalized"] = sanitizeName(path.Base(dir))
			params[pn+".filenameNormalized"] = sanitizeName(path.Base(name))
			indexSegments(params, pn, dir)
		}
		if err := e.appendValues(values, params); err != nil {
			return nil, fmt.Errorf("failed to append templated values: %w", err)
		}
		out = append(out, params)
	}
	return out, nil
}

// repoDirs lists the directories holding files, as the repo-server's walk of
// a checkout finds them: no root, nothing under a hidden directory, in walk
// order.
func repoDirs(files []string) []string {
	seen := map[string]bool{}
	for _, f := range files {
		d := path.Dir(f)
		for d != "." && d != "/" && !seen[d] {
			seen[d] = true
			d = path.Dir(d)
		}
	}
	var out []string
	for d := range seen {
		hidden := false
		for _, s := range strings.Split(d, "/") {
			if strings.HasPrefix(s, ".") {
				hidden = true
			}
		}
		if !hidden {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
	})
	return out
}

// filterDirs keeps the directories matching an include pattern and no
// exclude pattern (path.Match: `*` stops at '/', a bad pattern matches
// nothing).
func (e *expander) filterDirs(items []any, dirs []string) []string {
	var out []string
	for _, d := range dirs {
		inc, exc := false, false
		for _, it := range items {
			m, _ := it.(map[string]any)
			pat, _ := m["path"].(string)
			ex, _ := m["exclude"].(bool)
			ok, err := path.Match(pat, d)
			if err != nil || !ok {
				continue
			}
			if ex {
				exc = true
			} else {
				inc = true
			}
		}
		if inc && !exc {
			out = append(out, d)
		}
	}
	return out
}

// lsFilesMatch reports whether `git ls-files -- PATTERN` lists name: a
// pattern without wildcards matches the file or everything under the
// directory; wildcards match like fnmatch without FNM_PATHNAME, so `*`
// crosses '/'.
func lsFilesMatch(pat, name string) bool {
	pat = strings.TrimPrefix(pat, "./")
	if pat == "" || pat == "." {
		return true
	}
	if !strings.ContainsAny(pat, "*?[") {
		pat = strings.TrimSuffix(pat, "/")
		return name == pat || strings.HasPrefix(name, pat+"/")
	}
	re, err := globRegexp(pat)
	if err != nil {
		return false
	}
	return re.MatchString(name)
}

func globRegexp(pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(pat[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pat[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		case '\\':
			if i+1 < len(pat) {
				i++
				b.WriteString(regexp.QuoteMeta(string(pat[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// childGenerators returns the nested generators of a matrix or merge, with
// the nested matrix/merge decoded (Argo CD stores them as raw JSON).
func childGenerators(spec map[string]any, p string) ([]map[string]any, error) {
	list, _ := spec["generators"].([]any)
	out := make([]map[string]any, 0, len(list))
	for i, g := range list {
		m, ok := g.(map[string]any)
		if !ok {
			return nil, &genError{fmt.Sprintf("%s.generators.%d", p, i), errors.New("a generator must be an object")}
		}
		out = append(out, m)
	}
	return out, nil
}

// childParams runs one nested generator of a matrix or merge (its own
// template is ignored, as in the controller).
func (e *expander) childParams(gen map[string]any, p string, genParams map[string]any, depth int) ([]paramSet, error) {
	if depth >= 2 {
		for _, k := range []string{"matrix", "merge"} {
			if _, ok := gen[k]; ok {
				return nil, &genError{p + "." + k, fmt.Errorf("a %s generator nested in a matrix or merge that is itself nested is not supported by Argo CD (two levels at most)", k)}
			}
		}
	}
	t, err := e.transform(gen, p, map[string]any{}, genParams, depth)
	if err != nil {
		var se *skipError
		if errors.As(err, &se) {
			return nil, err
		}
		path := p
		var ge *genError
		if errors.As(err, &ge) {
			path, err = ge.path, ge.err
		}
		return nil, &genError{path, fmt.Errorf("child generator returned an error on parameter generation: %w", err)}
	}
	if len(t) == 0 {
		return nil, &genError{p, errors.New("child generator generated no parameters")}
	}
	if len(t) > 1 {
		return nil, &genError{p, errors.New("found more than one generator in matrix.Generators")}
	}
	return t[0].params, nil
}

// matrixParams is the cartesian product of two generators; the second is
// interpolated with each parameter set of the first.
func (e *expander) matrixParams(spec map[string]any, p string, depth int) ([]paramSet, error) {
	gens, err := childGenerators(spec, p)
	if err != nil {
		return nil, err
	}
	if len(gens) < 2 {
		return nil, &genError{p, errors.New("found less than two generators, Matrix support only two")}
	}
	if len(gens) > 2 {
		return nil, &genError{p, errors.New("found more than two generators, Matrix support only two")}
	}
	g0, err := e.childParams(gens[0], p+".generators.0", nil, depth+1)
	if err != nil {
		return nil, wrapGen(err, p, "error failed to get params for first generator in matrix generator")
	}
	var out []paramSet
	for _, a := range g0 {
		g1, err := e.childParams(gens[1], p+".generators.1", a.params, depth+1)
		if err != nil {
			return nil, wrapGen(err, p, "failed to get params for second generator in the matrix generator")
		}
		for _, b := range g1 {
			var m map[string]any
			if e.r.goTemplate {
				m = map[string]any{}
				mergeOverride(m, deepCopy(b.params).(map[string]any))
				mergeOverride(m, deepCopy(a.params).(map[string]any))
			} else {
				m, err = combineStrings(a.params, b.params)
				if err != nil {
					return nil, &genError{p, fmt.Errorf("failed to combine string maps with merging params for the matrix generator: %w", err)}
				}
			}
			line := a.line
			if b.line > line && e.isElementLine(b.line) {
				line = b.line
			}
			out = append(out, paramSet{params: m, line: line, inputs: nonEmpty(append(slices.Clone(a.inputs), b.inputs...)...)})
			if len(out) > maxParamSets {
				return nil, &genError{p, fmt.Errorf("more than %d parameter sets: not expanded", maxParamSets)}
			}
		}
	}
	return out, nil
}

func wrapGen(err error, p, msg string) error {
	var se *skipError
	if errors.As(err, &se) {
		return err
	}
	var ge *genError
	if errors.As(err, &ge) {
		return &genError{ge.path, fmt.Errorf("%s: %w", msg, ge.err)}
	}
	return &genError{p, fmt.Errorf("%s: %w", msg, err)}
}

func combineStrings(a, b map[string]any) (map[string]any, error) {
	res := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		res[k] = fmt.Sprintf("%v", v)
	}
	for _, k := range sortedKeys(b) {
		v := fmt.Sprintf("%v", b[k])
		if cur, ok := res[k]; ok && cur != v {
			return nil, fmt.Errorf("found duplicate key %s with different value, a: %s ,b: %s", k, cur, v)
		}
		res[k] = v
	}
	return res, nil
}

// mergeParams is the merge generator: the first generator's parameter sets,
// each updated by the sets of later generators with the same merge keys.
func (e *expander) mergeParams(spec map[string]any, p string, depth int) ([]paramSet, error) {
	gens, err := childGenerators(spec, p)
	if err != nil {
		return nil, err
	}
	if len(gens) < 2 {
		return nil, &genError{p, errors.New("found less than two generators, Merge requires two or more")}
	}
	var keys []string
	if mk, ok := spec["mergeKeys"].([]any); ok {
		for _, k := range mk {
			if s, ok := k.(string); ok {
				keys = append(keys, s)
			}
		}
	}
	var sets [][]paramSet
	for i, g := range gens {
		ps, err := e.childParams(g, fmt.Sprintf("%s.generators.%d", p, i), nil, depth+1)
		if err != nil {
			return nil, wrapGen(err, p, fmt.Sprintf("error getting param sets from generators: error getting params from generator %d of %d", i+1, len(gens)))
		}
		sets = append(sets, ps)
	}
	base, order, err := byMergeKey(keys, sets[0], p)
	if err != nil {
		return nil, err
	}
	for _, later := range sets[1:] {
		over, _, err := byMergeKey(keys, later, p)
		if err != nil {
			return nil, err
		}
		for k, b := range base {
			o, ok := over[k]
			if !ok {
				continue
			}
			if e.r.goTemplate {
				mergeOverride(b.params, deepCopy(o.params).(map[string]any))
			} else {
				maps.Copy(b.params, o.params)
			}
			if o.line > 0 && e.isElementLine(o.line) {
				b.line = o.line
			}
			b.inputs = nonEmpty(append(b.inputs, o.inputs...)...)
			base[k] = b
		}
	}
	out := make([]paramSet, 0, len(order))
	for _, k := range order {
		out = append(out, base[k])
	}
	return out, nil
}

func byMergeKey(keys []string, sets []paramSet, p string) (map[string]paramSet, []string, error) {
	if len(keys) == 0 {
		return nil, nil, &genError{p + ".mergeKeys", errors.New("error getting param sets by merge key: no merge keys were specified")}
	}
	out := make(map[string]paramSet, len(sets))
	var order []string
	for _, s := range sets {
		key := map[string]any{}
		for _, k := range keys {
			key[k] = s.params[k]
		}
		b, err := json.Marshal(key)
		if err != nil {
			return nil, nil, &genError{p, fmt.Errorf("error marshalling param set key json: %w", err)}
		}
		if _, dup := out[string(b)]; dup {
			return nil, nil, &genError{p + ".mergeKeys", fmt.Errorf("error getting param sets by merge key: the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique. Duplicate key was %s", b)}
		}
		params := s.params
		if params == nil {
			params = map[string]any{}
		} else {
			params = deepCopy(params).(map[string]any)
		}
		out[string(b)] = paramSet{params: params, line: s.line, inputs: s.inputs}
		order = append(order, string(b))
	}
	return out, order, nil
}

// flatten flattens parameters with dots (lists by index) into strings,
// as the post-selector and legacy git files see them; empty maps and lists
// vanish, null prints as <nil>.
func flatten(in map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				walk(join(prefix, k), e)
			}
		case map[string]string:
			for k, e := range t {
				out[join(prefix, k)] = e
			}
		case []any:
			for i, e := range t {
				walk(join(prefix, strconv.Itoa(i)), e)
			}
		default:
			out[prefix] = fmt.Sprintf("%v", v)
		}
	}
	for k, v := range in {
		walk(k, v)
	}
	return out
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// nonEmpty returns the non-empty strings, sorted and deduplicated.
func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
