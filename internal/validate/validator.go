package validate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/yannh/kubeconform/pkg/loader"
	"github.com/yannh/kubeconform/pkg/registry"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// Options configure a Validator.
type Options struct {
	// KubernetesVersion selects the embedded minor ("1.34", "v1.34.2");
	// "" means DefaultVersion.
	KubernetesVersion string
	// Strict rejects fields that the schema does not declare.
	Strict bool
	// CRDs are custom resource schemas; they take precedence over built-in
	// and external schemas. For one apiVersion/kind the first one wins.
	CRDs []CRDSchema
	// SchemaLocations are kubeconform schema locations (path or URL
	// templates, see kubeconform's -schema-location) tried after the
	// embedded schemas.
	SchemaLocations []string
	// SchemaCacheDir caches schemas downloaded from HTTP locations.
	SchemaCacheDir string
	// SkipKinds are kinds ("Secret") or apiVersion/kinds ("v1/Secret") not validated.
	SkipKinds []string
	// MissingSchema sets the severity of schema/missing per kind or group
	// (see MissingSchemaPolicy); nil reports every missing schema as an error.
	MissingSchema MissingSchemaPolicy
	// NoCatalog leaves the embedded CRD catalog out of the resolution.
	NoCatalog bool
	// Cache, when set, shares compiled CRD schemas and verdicts with the
	// other Validators of the run. Without one, CRD schemas are compiled
	// once per Validator and no verdict is kept (a stream of distinct
	// objects costs no memory per object).
	Cache *Cache
}

// Problem is one thing wrong with an object. Path locates the offending field
// in the object (map keys and list indices); Field is its display form
// (spec.template.spec.containers[0].resource).
type Problem struct {
	// Rule is one of the Rule* constants.
	Rule     string
	Severity report.Severity
	// Path is nil for problems of the whole object.
	Path  []string
	Field string
	// Message does not repeat Field.
	Message string
	// unknown marks a field the schema does not declare.
	unknown bool
}

// Validator validates objects against the schemas of one Kubernetes minor.
// It compiles each schema at most once and is safe for concurrent use.
type Validator struct {
	minor   string
	strict  bool
	builtin *kube.Catalog
	defsURL string
	crds    map[string]CRDSchema
	regs    []registry.Registry
	// regNames are the schema locations of regs, for messages.
	regNames []string
	// useCatalog enables the embedded CRD catalog (loaded on first need).
	useCatalog bool
	missing    MissingSchemaPolicy
	skip       map[string]bool
	printer    *message.Printer
	loader     jsonschema.SchemeURLLoader
	mu         sync.Mutex
	lookups    map[string]*lookup
	// shared holds the minor's compiled built-in schemas, loaded on the
	// first compilation (a run whose verdicts all come from the verdict
	// cache never decodes the definitions).
	sharedOnce sync.Once
	shared     *sharedCompiler
	// cache holds the compiled CRD schemas and, when keepVerdicts, the
	// verdicts (see Cache).
	cache        *Cache
	keepVerdicts bool
}

// lookup is the cached outcome of finding a schema for one apiVersion/kind.
type lookup struct {
	once   sync.Once
	schema *jsonschema.Schema
	// problems are reported for every object of the kind (removed, missing,
	// deprecated); when fatal, the object is not validated further.
	problems []Problem
	fatal    bool
	err      error
	// source names the schema that validates the kind when it comes from
	// outside the repo (a schema location or the embedded catalog), so that
	// a finding tells which version of the schema judged the object.
	source string
}

const schemaHost = "https://schemas.render-check.invalid/"

// New returns a Validator. It fails on an unknown Kubernetes version or a
// malformed schema location.
func New(opts Options) (*Validator, error) {
	minor, err := kube.ParseVersion(opts.KubernetesVersion)
	if err != nil {
		return nil, err
	}
	c, err := kube.Load(minor)
	if err != nil {
		return nil, err
	}
	v := &Validator{
		minor:   minor,
		strict:  opts.Strict,
		builtin: c,
		defsURL: schemaHost + "v" + minor + "/definitions.json",
		crds:    map[string]CRDSchema{},
		skip:    map[string]bool{},
		printer: message.NewPrinter(language.English),
		lookups: map[string]*lookup{},
	}
	v.missing = opts.MissingSchema
	if err := v.missing.check(); err != nil {
		return nil, err
	}
	v.useCatalog = !opts.NoCatalog
	for _, crd := range opts.CRDs {
		key := crd.APIVersion + "/" + crd.Kind
		if _, ok := v.crds[key]; !ok {
			v.crds[key] = crd
		}
	}
	for _, k := range opts.SkipKinds {
		if k = strings.TrimSpace(k); k != "" {
			v.skip[k] = true
		}
	}
	for _, loc := range opts.SchemaLocations {
		reg, err := registry.New(loc, opts.SchemaCacheDir, opts.Strict, false, false)
		if err != nil {
			return nil, fmt.Errorf("schema location %q: %w", loc, err)
		}
		v.regs = append(v.regs, reg)
		v.regNames = append(v.regNames, loc)
	}
	if len(v.regs) > 0 {
		httpLoader, err := loader.NewHTTPURLLoader(false, nil)
		if err != nil {
			return nil, err
		}
		v.loader = jsonschema.SchemeURLLoader{"file": jsonschema.FileLoader{}, "http": httpLoader, "https": httpLoader}
	}
	v.cache, v.keepVerdicts = opts.Cache, opts.Cache != nil
	if v.cache == nil {
		v.cache = NewCache()
	}
	return v, nil
}

// sharedCompiler compiles the built-in schemas of one minor once per
// process, for every Validator: compiled schemas are immutable and
// safe for concurrent use.
type sharedCompiler struct {
	mu       sync.Mutex
	doc      map[string]any
	compiler *jsonschema.Compiler
	err      error
}

var (
	sharedMu        sync.Mutex
	sharedCompilers = map[string]*sharedCompiler{}
)

func sharedFor(c *kube.Catalog) *sharedCompiler {
	key := c.Minor
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s := sharedCompilers[key]; s != nil {
		return s
	}
	s := &sharedCompiler{}
	s.doc, s.err = c.Definitions()
	if s.err != nil {
		sharedCompilers[key] = s
		return s
	}
	s.compiler = newDefsCompiler(schemaHost+"v"+c.Minor+"/definitions.json", s.doc, &s.err)
	sharedCompilers[key] = s
	return s
}

// sharedCompiler returns the compiler of the Validator's minor, loading it
// on first use.
func (v *Validator) sharedCompiler() *sharedCompiler {
	v.sharedOnce.Do(func() { v.shared = sharedFor(v.builtin) })
	return v.shared
}

// newDefsCompiler returns a draft-04 compiler holding the definitions
// document at url.
func newDefsCompiler(url string, doc map[string]any, errp *error) *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource(url, doc); err != nil {
		*errp = fmt.Errorf("embedded schemas: %w", err)
	}
	return c
}

// KubernetesVersion returns the minor the Validator validates for.
func (v *Validator) KubernetesVersion() string { return v.minor }

// Namespaced tells the scope of apiVersion/kind when a CRD or the built-in
// schemas know it.
func (v *Validator) Namespaced(apiVersion, kind string) (namespaced, known bool) {
	if c, ok := v.crds[apiVersion+"/"+kind]; ok {
		return c.Namespaced, true
	}
	if k, ok := v.builtin.Kinds[apiVersion+"/"+kind]; ok && k.Namespaced != nil {
		return *k.Namespaced, true
	}
	if cat := v.crdCatalog(); cat != nil {
		if e := cat.byKey[apiVersion+"/"+kind]; e != nil {
			return e.entry.Namespaced, true
		}
	}
	return false, false
}

// crdCatalog returns the embedded CRD catalog, nil when disabled or
// unreadable (an unreadable catalog is reported by the lookup of a kind).
func (v *Validator) crdCatalog() *crdCatalog {
	if !v.useCatalog {
		return nil
	}
	c, _ := loadCRDCatalog()
	return c
}

// Skipped reports whether objects of apiVersion/kind are not validated.
func (v *Validator) Skipped(apiVersion, kind string) bool {
	return v.skip[kind] || v.skip[apiVersion+"/"+kind]
}

// relax drops additionalProperties: false everywhere (the non-strict
// variant of exported schemas).
func relax(s any) any {
	switch t := s.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if k == "additionalProperties" && e == false {
				continue
			}
			out[k] = relax(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = relax(e)
		}
		return out
	}
	return s
}

// Validate checks one decoded object (JSON types: map[string]any, []any,
// string, bool, float64/int64/json.Number, nil). An object with a top-level
// "sops" key is validated as SOPS-encrypted: the metadata is set aside and
// ENC[...] values are accepted whatever the field's type.
func (v *Validator) Validate(obj map[string]any) []Problem {
	apiVersion, _ := obj["apiVersion"].(string)
	kindName, _ := obj["kind"].(string)
	switch {
	case kindName == "":
		return []Problem{{Rule: report.RuleSchemaMalformed, Severity: report.SeverityError, Message: "missing 'kind' key"}}
	case apiVersion == "":
		return []Problem{{Rule: report.RuleSchemaMalformed, Severity: report.SeverityError, Message: "missing 'apiVersion' key"}}
	}
	if v.Skipped(apiVersion, kindName) {
		return nil
	}
	sops := false
	if _, ok := obj["sops"].(map[string]any); ok {
		sops = true
		cp := make(map[string]any, len(obj))
		for k, e := range obj {
			if k != "sops" {
				cp[k] = e
			}
		}
		obj = cp
	}
	l := v.lookup(apiVersion, kindName)
	if l.err != nil {
		rule := report.RuleSchemaMissing
		if _, ok := v.crds[apiVersion+"/"+kindName]; ok {
			rule = report.RuleSchemaCRDInvalid
		}
		return []Problem{{Rule: rule, Severity: report.SeverityError,
			Message: fmt.Sprintf("schema for %s %s cannot be used: %v", apiVersion, kindName, l.err)}}
	}
	out := slices.Clone(l.problems)
	if l.fatal || l.schema == nil {
		return out
	}
	ps, invalid := v.schemaProblems(l, obj, sops)
	if !invalid {
		return out
	}
	out = append(out, ps...) // a new array: ps is shared
	out = dedupProblems(out)
	slices.SortStableFunc(out, func(a, b Problem) int {
		if c := strings.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return out
}

// schemaProblems validates obj against l's schema: the problems and whether
// the schema rejected obj. The verdict of an object equal in content to one
// already validated against the same schema (by any Validator sharing the
// Cache) is reused; the result is shared and must not be modified.
func (v *Validator) schemaProblems(l *lookup, obj map[string]any, sops bool) ([]Problem, bool) {
	if !v.keepVerdicts {
		ps := v.validateSchema(l, obj, sops)
		return ps, ps != nil
	}
	sum, ok := resource.ContentSum(obj)
	key := verdictKey{schema: l.schema, strict: v.strict, sops: sops, source: l.source, sum: sum}
	if ok {
		if ps, hit := v.cache.verdict(key); hit {
			return ps, ps != nil
		}
	}
	ps := v.validateSchema(l, obj, sops)
	if ok {
		v.cache.setVerdict(key, ps)
	}
	return ps, ps != nil
}

// validateSchema runs the schema; nil when it accepts obj, else the
// problems (possibly empty: every error was an ENC[...] value of a SOPS
// file).
func (v *Validator) validateSchema(l *lookup, obj map[string]any, sops bool) []Problem {
	err := l.schema.Validate(any(obj))
	if err == nil {
		return nil
	}
	out := []Problem{}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return append(out, Problem{Rule: report.RuleSchemaInvalid, Severity: report.SeverityError, Message: err.Error()})
	}
	var leaves []*jsonschema.ValidationError
	collectLeaves(ve, &leaves)
	for _, e := range leaves {
		out = append(out, v.problemsOf(obj, e, sops)...)
	}
	for i := range out {
		p := &out[i]
		if p.Rule != report.RuleSchemaInvalid {
			continue
		}
		if p.unknown && !v.strict {
			p.Rule, p.Severity = report.RuleSchemaPrunedField, report.SeverityWarning
			p.Message += " (the API server drops it; strict validation would reject it)"
		}
		if l.source != "" {
			p.Message += " (schema: " + l.source + ")"
		}
	}
	return out
}

func dedupProblems(ps []Problem) []Problem {
	seen := map[string]bool{}
	out := ps[:0]
	for _, p := range ps {
		k := p.Rule + "\x00" + p.Field + "\x00" + p.Message
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

// collectLeaves flattens the error tree: the deepest errors name the exact
// field. anyOf/oneOf failures are reported as one error at their location.
func collectLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		*out = append(*out, e)
		return
	}
	if len(e.Causes) == 0 {
		*out = append(*out, e)
		return
	}
	for _, c := range e.Causes {
		collectLeaves(c, out)
	}
}

func (v *Validator) problemsOf(obj map[string]any, e *jsonschema.ValidationError, sops bool) []Problem {
	path := e.InstanceLocation
	if sops {
		if s, ok := valueAt(obj, path).(string); ok && isSOPSValue(s) {
			return nil
		}
	}
	mk := func(p []string, msg string) Problem {
		return Problem{Rule: report.RuleSchemaInvalid, Severity: report.SeverityError, Path: p, Field: FormatPath(obj, p), Message: msg}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var out []Problem
		for _, name := range k.Properties {
			p := append(slices.Clone(path), name)
			pr := mk(p, fmt.Sprintf("unknown field %q", name))
			pr.unknown = true
			out = append(out, pr)
		}
		return out
	case *kind.Required:
		var out []Problem
		for _, name := range k.Missing {
			pr := mk(slices.Clone(path), fmt.Sprintf("missing required field %q", name))
			pr.Field = FormatPath(obj, append(slices.Clone(path), name))
			out = append(out, pr)
		}
		return out
	case *kind.Type:
		want := slices.DeleteFunc(slices.Clone(k.Want), func(s string) bool { return s == "null" })
		if len(want) == 0 {
			want = k.Want
		}
		return []Problem{mk(path, fmt.Sprintf("expected %s, got %s", strings.Join(want, " or "), k.Got))}
	case *kind.Enum:
		vals := make([]string, 0, len(k.Want))
		for _, w := range k.Want {
			if w == nil {
				vals = append(vals, "null")
				continue
			}
			vals = append(vals, fmt.Sprintf("%v", w))
		}
		return []Problem{mk(path, fmt.Sprintf("must be one of %s", strings.Join(vals, ", ")))}
	// the library's messages for these quote the value, which may be a secret
	case *kind.Pattern:
		return []Problem{mk(path, "does not match pattern "+strconv.Quote(k.Want))}
	case *kind.Format:
		return []Problem{mk(path, "is not a valid "+k.Want)}
	}
	return []Problem{mk(path, e.ErrorKind.LocalizedString(v.printer))}
}

// isSOPSValue reports whether s is a SOPS-encrypted value.
func isSOPSValue(s string) bool {
	return strings.HasPrefix(s, "ENC[") && strings.HasSuffix(s, "]")
}

func valueAt(v any, path []string) any {
	for _, p := range path {
		switch t := v.(type) {
		case map[string]any:
			v = t[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

// FormatPath renders a field path for messages:
// spec.template.spec.containers[0].image, metadata.annotations["a.b/c"].
func FormatPath(obj any, path []string) string {
	var b strings.Builder
	v := obj
	for _, p := range path {
		if l, ok := v.([]any); ok {
			b.WriteString("[" + p + "]")
			if i, err := strconv.Atoi(p); err == nil && i >= 0 && i < len(l) {
				v = l[i]
			} else {
				v = nil
			}
			continue
		}
		if p == "" || strings.ContainsAny(p, ".[]\" ") {
			b.WriteString("[" + strconv.Quote(p) + "]")
		} else {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
		if m, ok := v.(map[string]any); ok {
			v = m[p]
		} else {
			v = nil
		}
	}
	return b.String()
}

func (v *Validator) lookup(apiVersion, kindName string) *lookup {
	key := apiVersion + "/" + kindName
	v.mu.Lock()
	l := v.lookups[key]
	if l == nil {
		l = &lookup{}
		v.lookups[key] = l
	}
	v.mu.Unlock()
	l.once.Do(func() { v.find(l, apiVersion, kindName) })
	return l
}

// find resolves the schema of apiVersion/kind: CRDs, then the embedded
// schemas (with removed and deprecated APIs), then the schema locations.
func (v *Validator) find(l *lookup, apiVersion, kindName string) {
	key := apiVersion + "/" + kindName
	if crd, ok := v.crds[key]; ok {
		l.schema, l.err = v.compileCRD(crd)
		if crd.Cite {
			l.source = crd.Source
		}
		return
	}
	if k, ok := v.builtin.Kinds[key]; ok {
		l.schema, l.err = v.compileBuiltin(k.Definition)
		if st, err := statusOf(v.minor, apiVersion, kindName, true); err == nil && st.deprecated != "" {
			l.problems = append(l.problems, Problem{Rule: report.RuleSchemaDeprecatedAPI, Severity: report.SeverityWarning, Message: st.deprecated})
		}
		return
	}
	st, err := statusOf(v.minor, apiVersion, kindName, false)
	if err != nil {
		l.err = err
		return
	}
	if r := st.removed; r != nil {
		msg := fmt.Sprintf("%s %s was removed in Kubernetes %s (target %s)", apiVersion, kindName, r.RemovedIn, v.minor)
		switch {
		case r.Replacement != "":
			msg += fmt.Sprintf("; use %s", r.Replacement)
		case r.Note != "":
			msg += "; " + r.Note
		}
		l.problems = []Problem{{Rule: report.RuleSchemaRemovedAPI, Severity: report.SeverityError, Message: msg}}
		l.fatal = true
		return
	}
	for i, reg := range v.regs {
		s, err := v.compileRegistry(reg, apiVersion, kindName)
		if err != nil {
			l.err = err
			return
		}
		if s != nil {
			l.schema = s
			l.source = "schema location " + v.regNames[i]
			return
		}
	}
	if v.useCatalog {
		cat, err := loadCRDCatalog()
		if err != nil {
			l.err = err
			return
		}
		crd, ok, err := cat.schema(apiVersion, kindName)
		if err != nil {
			l.err = err
			return
		}
		if ok {
			l.schema, l.err = v.compileCRD(crd)
			l.source = crd.Source
			return
		}
	}
	sev := v.missing.severity(apiVersion, kindName)
	if sev == "" {
		l.fatal = true // ignored by the missingSchema policy
		return
	}
	msg := fmt.Sprintf("no schema for %s %s in Kubernetes %s", apiVersion, kindName, v.minor)
	if st.laterMinor != "" {
		msg += fmt.Sprintf(": it is first served by Kubernetes %s; raise the cluster's kubernetesVersion or use a served version", st.laterMinor)
	} else if builtinGroup(groupOf(apiVersion)) {
		msg += ": Kubernetes does not serve this kind in this group; check apiVersion and kind"
	} else {
		msg += ": add its CustomResourceDefinition to the repo or list it under validate.crds (--crds), " +
			"add a schema location (validate.schemaLocations, --schema-location), or set validate.missingSchema for it (error, warning, ignore)"
	}
	l.problems = []Problem{{Rule: report.RuleSchemaMissing, Severity: sev, Message: msg}}
	l.fatal = true
}

func (v *Validator) compileBuiltin(def string) (*jsonschema.Schema, error) {
	sc := v.sharedCompiler()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.err != nil {
		return nil, sc.err
	}
	s, err := sc.compiler.Compile(v.defsURL + "#/definitions/" + def)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", def, err)
	}
	return s, nil
}

func (v *Validator) compileCRD(crd CRDSchema) (*jsonschema.Schema, error) {
	if crd.Schema == nil {
		return nil, nil
	}
	doc := make(map[string]any, len(crd.Schema))
	for k, e := range crd.Schema {
		doc[k] = e
	}
	if props, ok := doc["properties"].(map[string]any); ok {
		cp := make(map[string]any, len(props))
		for k, e := range props {
			cp[k] = e
		}
		cp["metadata"] = map[string]any{"$ref": v.defsURL + "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
		doc["properties"] = cp
	}
	url := schemaHost + "crd/" + crd.APIVersion + "/" + crd.Kind + ".json"
	s, err := v.cache.compileCRD(v.minor, v.defsURL, v.sharedCompiler(), url, doc)
	var se *schemaError
	if errors.As(err, &se) {
		return nil, fmt.Errorf("CRD schema of %s %s (%s): %w", crd.APIVersion, crd.Kind, crd.Source, se.err)
	}
	return s, err
}

// compileRegistry fetches and compiles a schema from a kubeconform schema
// location, as kubeconform does; (nil, nil) when the location has none.
func (v *Validator) compileRegistry(reg registry.Registry, apiVersion, kindName string) (*jsonschema.Schema, error) {
	path, doc, err := reg.DownloadSchema(kindName, apiVersion, v.minor+".0")
	if err != nil {
		var nf *loader.NotFoundError
		var nj *loader.NonJSONResponseError
		if errors.As(err, &nf) || errors.As(err, &nj) {
			return nil, nil
		}
		return nil, fmt.Errorf("schema location: %w", err)
	}
	if doc == nil {
		return nil, nil
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(v.loader)
	if err := c.AddResource(path, doc); err != nil {
		return nil, nil
	}
	s, err := c.Compile(path)
	if err != nil {
		return nil, nil
	}
	return s, nil
}
