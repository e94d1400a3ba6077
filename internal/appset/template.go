package appset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
	"text/template"
	"unicode"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// funcMap is sprig's generic function map as the ApplicationSet controller
// offers it: no environment or DNS lookups, plus Argo CD's own helpers.
var funcMap = func() template.FuncMap {
	m := sprig.GenericFuncMap()
	delete(m, "env")
	delete(m, "expandenv")
	delete(m, "getHostByName")
	m["normalize"] = sanitizeName
	m["slugify"] = slugify
	m["toYaml"] = toYAML
	m["fromYaml"] = fromYAML
	m["fromYamlArray"] = fromYAMLArray
	// bounded versions of the functions that allocate what a template asks
	// for: the repo is hostile input and must not exhaust the runner
	until, untilStep, repeat := m["until"].(func(int) []int), m["untilStep"].(func(int, int, int) []int), m["repeat"].(func(int, string) string)
	m["until"] = func(n int) ([]int, error) {
		if n > maxListLen || n < -maxListLen {
			return nil, fmt.Errorf("until %d: more than %d items", n, maxListLen)
		}
		return until(n), nil
	}
	m["untilStep"] = func(start, stop, step int) ([]int, error) {
		if step == 0 || (stop-start)/step > maxListLen || (stop-start)/step < -maxListLen {
			if step != 0 {
				return nil, fmt.Errorf("untilStep: more than %d items", maxListLen)
			}
			return []int{}, nil
		}
		return untilStep(start, stop, step), nil
	}
	m["repeat"] = func(n int, s string) (string, error) {
		if n > 0 && len(s)*n > maxOutput {
			return "", fmt.Errorf("repeat: more than %d bytes", maxOutput)
		}
		return repeat(n, s), nil
	}
	delete(m, "seq")
	return template.FuncMap(m)
}()

// Bounds on what one template string may produce.
const (
	maxListLen = 100000
	maxOutput  = 1 << 20
)

// limitedBuffer fails a template once its output passes maxOutput.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > maxOutput {
		return 0, fmt.Errorf("template output larger than %d bytes", maxOutput)
	}
	return b.Buffer.Write(p)
}

var invalidDNSChars = regexp.MustCompile(`[^-a-z0-9.]`)

// sanitizeName is Argo CD's `normalize`: lowercase, every character outside
// [-a-z0-9.] replaced by '-', at most 253 characters, no leading or trailing
// '-' or '.'.
func sanitizeName(name string) string {
	name = invalidDNSChars.ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.Trim(name, "-.")
}

// slugify approximates Argo CD's `slugify` (gosimple/slug over normalize):
// optional max size (default 50) and smart truncation (default true), then
// the name. Non-ASCII letters are dropped rather than transliterated.
func slugify(args ...any) (string, error) {
	maxSize, smart, name := 50, true, ""
	for i, a := range args {
		var ok bool
		switch i {
		case len(args) - 1:
			name, ok = a.(string)
		case 0:
			maxSize, ok = a.(int)
		case 1:
			smart, ok = a.(bool)
		}
		if !ok {
			return "", errors.New("slugify: bad arguments")
		}
	}
	var b strings.Builder
	dash := false
	for _, r := range sanitizeName(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if maxSize > 0 && len(s) > maxSize {
		if smart {
			cut := strings.LastIndexByte(s[:maxSize+1], '-')
			if cut > 0 {
				s = s[:cut]
			} else {
				s = s[:maxSize]
			}
		} else {
			s = s[:maxSize]
		}
	}
	return strings.Trim(s, "-"), nil
}

func toYAML(v any) (string, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

func fromYAML(s string) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

func fromYAMLArray(s string) ([]any, error) {
	a := []any{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		return nil, err
	}
	return a, nil
}

// renderer replaces parameters in strings, as the controller's Replace does:
// text/template with sprig in goTemplate mode, else the legacy `{{key}}`
// substitution. Parsed templates are cached (they are immutable once parsed).
type renderer struct {
	goTemplate bool
	options    []string
	mu         sync.Mutex
	cache      map[string]*template.Template
	base       *template.Template
}

func newRenderer(goTemplate bool, options []string) *renderer {
	return &renderer{goTemplate: goTemplate, options: options, cache: map[string]*template.Template{}}
}

// withOptions returns a renderer with other goTemplate options.
func (r *renderer) withOptions(options []string) *renderer {
	return newRenderer(r.goTemplate, options)
}

var isTemplated = regexp.MustCompile(`{{.*}}`)

// replace renders one string with the parameters.
func (r *renderer) replace(s string, params map[string]any) (string, error) {
	if !r.goTemplate {
		return legacyReplace(s, params)
	}
	if !strings.Contains(s, "{{") {
		return s, nil // nothing to parse: the same output, faster
	}
	r.mu.Lock()
	t, ok := r.cache[s]
	r.mu.Unlock()
	if !ok {
		base, err := r.baseTemplate(s)
		if err != nil {
			return "", err
		}
		if t, err = base.New(fmt.Sprintf("t%d", len(r.cache))).Parse(s); err != nil {
			return "", fmt.Errorf("failed to parse template %s: %w", s, err)
		}
		r.mu.Lock()
		r.cache[s] = t
		r.mu.Unlock()
	}
	var buf limitedBuffer
	if err := t.Execute(&buf, params); err != nil {
		return "", fmt.Errorf("failed to execute go template %s: %w", s, err)
	}
	return buf.String(), nil
}

// baseTemplate returns the template a string is parsed into: the sprig
// functions and options are set once per renderer and shared (parsing into
// a fresh copy per string, as the controller does, costs a copy of ~200
// functions each time); a string defining named templates gets its own.
// Called with r.mu unlocked.
func (r *renderer) baseTemplate(s string) (*template.Template, error) {
	fresh := strings.Contains(s, "define") || strings.Contains(s, "block")
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.base != nil && !fresh {
		return r.base, nil
	}
	t := template.New("base").Funcs(funcMap)
	for _, o := range r.options {
		// text/template panics on an unknown option: make it an error.
		if err := checkOption(o); err != nil {
			return nil, err
		}
		t = t.Option(o)
	}
	if !fresh {
		r.base = t
	}
	return t, nil
}

func checkOption(o string) error {
	switch o {
	case "missingkey=default", "missingkey=invalid", "missingkey=zero", "missingkey=error":
		return nil
	}
	return fmt.Errorf("unrecognized goTemplateOptions option %q", o)
}

// legacyReplace is fasttemplate's `{{tag}}` substitution as the controller
// uses it: a tag naming a string parameter (spaces trimmed) is replaced;
// anything else stays literally in place.
func legacyReplace(s string, params map[string]any) (string, error) {
	if !isTemplated.MatchString(s) {
		return s, nil
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return "", fmt.Errorf("invalid template: cannot find end tag \"}}\" in the template %q", s)
		}
		tag := rest[:j]
		rest = rest[j+2:]
		if v, ok := params[strings.TrimSpace(tag)].(string); ok && strings.TrimSpace(tag) != "" {
			b.WriteString(v)
		} else {
			b.WriteString("{{" + tag + "}}")
		}
	}
}

// deepReplace renders every string (map keys included) of a decoded JSON
// value. Nil map values are dropped, as the controller's reflection walk
// drops them.
func (r *renderer) deepReplace(v any, params map[string]any) (any, error) {
	switch t := v.(type) {
	case string:
		return r.replace(t, params)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if e == nil {
				continue
			}
			ne, err := r.deepReplace(e, params)
			if err != nil {
				return nil, err
			}
			nk, err := r.replace(k, params)
			if err != nil {
				return nil, err
			}
			out[nk] = ne
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			ne, err := r.deepReplace(e, params)
			if err != nil {
				return nil, err
			}
			out[i] = ne
		}
		return out, nil
	}
	return v, nil
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// isEmpty reports whether a value is what mergo treats as empty (a zero
// value): missing, "", 0, false, an empty map or list.
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case bool:
		return !t
	case int64:
		return t == 0
	case float64:
		return t == 0
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// fillEmpty merges src into dst where dst is empty, recursing into maps: the
// controller's merge of a generator's own template over the ApplicationSet's
// (mergo.Merge without override).
func fillEmpty(dst, src map[string]any) {
	for k, sv := range src {
		dv, ok := dst[k]
		if !ok || isEmpty(dv) {
			dst[k] = deepCopy(sv)
			continue
		}
		dm, ok1 := dv.(map[string]any)
		sm, ok2 := sv.(map[string]any)
		if ok1 && ok2 {
			fillEmpty(dm, sm)
		}
	}
}

// mergeOverride merges src into dst, src winning, nested maps merged
// (mergo.Merge WithOverride on parameter maps). An empty src value does not
// replace a dst value.
func mergeOverride(dst, src map[string]any) {
	for k, sv := range src {
		dm, ok1 := dst[k].(map[string]any)
		sm, ok2 := sv.(map[string]any)
		if ok1 && ok2 {
			nm := maps.Clone(dm)
			mergeOverride(nm, sm)
			dst[k] = nm
			continue
		}
		if _, ok := dst[k]; ok && isEmpty(sv) {
			continue
		}
		dst[k] = sv
	}
}

// mergePatch applies an RFC 7386 JSON merge patch to target, in place.
// metadata.finalizers are merged as a set (their strategic-merge strategy).
func mergePatch(target, patch map[string]any, path string) {
	for k, pv := range patch {
		if pv == nil {
			delete(target, k)
			continue
		}
		here := path + "." + k
		if here == ".metadata.finalizers" {
			if pl, ok := pv.([]any); ok {
				tl, _ := target[k].([]any)
				for _, f := range pl {
					found := false
					for _, e := range tl {
						if e == f {
							found = true
						}
					}
					if !found {
						tl = append(tl, f)
					}
				}
				target[k] = tl
				continue
			}
		}
		pm, ok := pv.(map[string]any)
		if !ok {
			target[k] = deepCopy(pv)
			continue
		}
		tm, ok := target[k].(map[string]any)
		if !ok {
			tm = map[string]any{}
		}
		mergePatch(tm, pm, here)
		target[k] = tm
	}
}

// toJSONValue converts a value through JSON, the way the controller sees
// parameters (numbers become float64).
func toJSONValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}
