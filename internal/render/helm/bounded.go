package helm

import (
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	_ "unsafe" // go:linkname to sprig's function table, see below

	"github.com/render-check/render-check/internal/workspace"
)

// Helm v3.22's engine.Engine takes no custom template functions: every
// render builds its function map from sprig.TxtFuncMap(), a fresh copy of
// sprig's package-level table, and then adds Helm's own (include, tpl,
// toYaml, ...). A chart can therefore allocate without bound in one call
// (`repeat 2000000000 "x"`, `until 100000000`) or by doubling a value a few
// dozen times (`$s = cat $s $s`), long before the per-app render deadline,
// and the deadline cannot stop an allocation in progress.
//
// The only way in, short of copying Helm's engine, is sprig's table itself:
// at init the functions that allocate in proportion to an argument are
// replaced with versions that check the size first, and every other
// function returning a string or a list (plus text/template's print,
// printf and println, which a function map may override) checks its result.
// Within the bounds each function is the original one, called with the
// same arguments, so the output is identical (TestBoundedFidelity); past
// them the call fails with a *workspace.LimitError, reported as
// render/limit.
//
//go:linkname sprigFuncs github.com/Masterminds/sprig/v3.genericMap
var sprigFuncs map[string]any

// MaxTemplateList is the longest list a template function may build
// (until, untilStep, seq, and the list functions): far above real charts,
// which loop over replicas or ports.
const MaxTemplateList = 1 << 20

// maxTemplateBytes is the longest string a template function may build; it
// follows render.limits.maxBytes (WithMaxBytes) and is process-wide because
// sprig's table is.
var maxTemplateBytes atomic.Int64

// unbounded holds sprig's original functions (and print, printf, println),
// for the fidelity test.
var unbounded map[string]any

func init() {
	maxTemplateBytes.Store(64 << 20)
	boundSprig(sprigFuncs)
}

// WithMaxBytes caps one rendered chart's output (render.limits.maxBytes)
// and, process-wide, the size of any string a template function builds.
func WithMaxBytes(n int) Option {
	return func(r *Renderer) {
		if n > 0 {
			r.maxBytes = n
			maxTemplateBytes.Store(int64(n))
		}
	}
}

// limitErr is the error of a template function past a bound.
func limitErr(fn, detail string) *workspace.LimitError {
	return &workspace.LimitError{Limit: "template value size", Detail: fn + " " + detail}
}

// checkBytes panics (text/template turns a function's panic into an
// execution error) when a function would build n bytes.
func checkBytes(fn string, n uint64) {
	if limit := uint64(maxTemplateBytes.Load()); n > limit {
		panic(limitErr(fn, fmt.Sprintf("would build %d bytes, the limit is %d (render.limits.maxBytes)", n, limit)))
	}
}

func checkList(fn string, n uint64) {
	if n > MaxTemplateList {
		panic(limitErr(fn, fmt.Sprintf("would build a list of %d elements, the limit is %d", n, MaxTemplateList)))
	}
}

// mulSat multiplies without overflow (saturating at the maximum).
func mulSat(a, b uint64) uint64 {
	if a != 0 && b > ^uint64(0)/a {
		return ^uint64(0)
	}
	return a * b
}

// stepCount is the length of sprig's untilStep(start, stop, step).
func stepCount(start, stop, step int) uint64 {
	switch {
	case stop < start && step < 0:
		d, s := uint64(start)-uint64(stop), uint64(-(step+1))+1
		return (d + s - 1) / s
	case stop > start && step > 0:
		d, s := uint64(stop)-uint64(start), uint64(step)
		return (d + s - 1) / s
	}
	return 0
}

// seqCount is the length of sprig's seq(params...), mirroring its
// arithmetic (including int wrap-around).
func seqCount(p []int) uint64 {
	switch len(p) {
	case 1:
		inc := 1
		if p[0] < 1 {
			inc = -1
		}
		return stepCount(1, p[0]+inc, inc)
	case 2:
		step := 1
		if p[1] < p[0] {
			step = -1
		}
		return stepCount(p[0], p[1]+step, step)
	case 3:
		inc := 1
		if p[2] < p[0] {
			inc = -1
			if p[1] > 0 {
				return 0
			}
		}
		return stepCount(p[0], p[2]+inc, p[1])
	}
	return 0
}

// boundSprig replaces the functions of sprig's table with bounded ones.
func boundSprig(m map[string]any) {
	if m == nil {
		panic("helm: sprig's function table is not linked")
	}
	orig := make(map[string]any, len(m))
	for k, v := range m {
		orig[k] = v
	}
	unbounded = orig
	repeat := orig["repeat"].(func(int, string) string)
	until := orig["until"].(func(int) []int)
	untilStep := orig["untilStep"].(func(int, int, int) []int)
	seq := orig["seq"].(func(...int) string)
	indent := orig["indent"].(func(int, string) string)
	nindent := orig["nindent"].(func(int, string) string)
	replace := orig["replace"].(func(string, string, string) string)
	randBytes := orig["randBytes"].(func(int) (string, error))

	// Pre-checked: the size follows from the arguments.
	pre := map[string]any{
		"repeat": func(count int, s string) string {
			if count > 0 {
				checkBytes("repeat", mulSat(uint64(count), uint64(len(s))))
			}
			return repeat(count, s)
		},
		"until": func(n int) []int {
			step := 1
			if n < 0 {
				step = -1
			}
			checkList("until", stepCount(0, n, step))
			return until(n)
		},
		"untilStep": func(start, stop, step int) []int {
			checkList("untilStep", stepCount(start, stop, step))
			return untilStep(start, stop, step)
		},
		"seq": func(p ...int) string {
			checkList("seq", seqCount(p))
			return seq(p...)
		},
		"indent": func(n int, s string) string {
			if n > 0 {
				checkBytes("indent", mulSat(uint64(n), uint64(strings.Count(s, "\n")+1))+uint64(len(s)))
			}
			return indent(n, s)
		},
		"nindent": func(n int, s string) string {
			if n > 0 {
				checkBytes("nindent", mulSat(uint64(n), uint64(strings.Count(s, "\n")+1))+uint64(len(s))+1)
			}
			return nindent(n, s)
		},
		"replace": func(old, repl, src string) string {
			if len(repl) > len(old) {
				n := uint64(strings.Count(src, old))
				checkBytes("replace", uint64(len(src))+mulSat(n, uint64(len(repl)-len(old))))
			}
			return replace(old, repl, src)
		},
		"randBytes": func(n int) (string, error) {
			if n > 0 {
				checkBytes("randBytes", mulSat(uint64(n), 2))
			}
			return randBytes(n)
		},
	}
	for _, name := range []string{"randAlphaNum", "randAlpha", "randAscii", "randNumeric"} {
		f := orig[name].(func(int) string)
		pre[name] = func(n int) string {
			if n > 0 {
				checkBytes(name, uint64(n))
			}
			return f(n)
		}
	}
	for k, v := range pre {
		m[k] = v
	}
	// Post-checked: every other function that returns a string or a list,
	// and text/template's print builtins (a function map overrides them).
	builtins := map[string]any{"print": fmt.Sprint, "printf": fmt.Sprintf, "println": fmt.Sprintln}
	for k, v := range builtins {
		if _, ok := m[k]; !ok {
			orig[k] = v
			m[k] = v
		}
	}
	for k, v := range orig {
		if _, done := pre[k]; done {
			continue
		}
		if w, ok := checkResult(k, v); ok {
			m[k] = w
		}
	}
}

// checkAny checks a function's interface result: a string by its length,
// a list by its elements.
func checkAny(name string, v any) any {
	switch x := v.(type) {
	case nil:
	case string:
		checkBytes(name, uint64(len(x)))
	case []any:
		checkList(name, uint64(len(x)))
	case []string:
		checkList(name, uint64(len(x)))
	default:
		if r := reflect.ValueOf(v); r.Kind() == reflect.String {
			checkBytes(name, uint64(r.Len()))
		} else if r.Kind() == reflect.Slice {
			checkList(name, uint64(r.Len()))
		}
	}
	return v
}

// checkResult wraps fn so that a string result (also in an interface) longer than the byte limit
// or a list result longer than MaxTemplateList fails the call.
func checkResult(name string, fn any) (any, bool) {
	// the common signatures without reflection (a reflect.MakeFunc call
	// allocates its arguments and results)
	str := func(s string) string { checkBytes(name, uint64(len(s))); return s }
	switch f := fn.(type) {
	case func(string) string:
		return func(a string) string { return str(f(a)) }, true
	case func(string, string) string:
		return func(a, b string) string { return str(f(a, b)) }, true
	case func(string, string, string) string:
		return func(a, b, c string) string { return str(f(a, b, c)) }, true
	case func(int, string) string:
		return func(n int, a string) string { return str(f(n, a)) }, true
	case func(any) string:
		return func(a any) string { return str(f(a)) }, true
	case func(...any) string:
		return func(a ...any) string { return str(f(a...)) }, true
	case func(string, ...any) string:
		return func(a string, b ...any) string { return str(f(a, b...)) }, true
	case func(string, any) string:
		return func(a string, b any) string { return str(f(a, b)) }, true
	case func(any, ...any) any: // default
		return func(a any, b ...any) any { return checkAny(name, f(a, b...)) }, true
	case func(...any) any: // coalesce, first, ...
		return func(a ...any) any { return checkAny(name, f(a...)) }, true
	case func(any) any:
		return func(a any) any { return checkAny(name, f(a)) }, true
	case func(...any) []any:
		return func(a ...any) []any {
			out := f(a...)
			checkList(name, uint64(len(out)))
			return out
		}, true
	}
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func || t.NumOut() == 0 {
		return nil, false
	}
	switch t.Out(0).Kind() {
	case reflect.String, reflect.Slice, reflect.Interface:
	default:
		return nil, false
	}
	w := reflect.MakeFunc(t, func(args []reflect.Value) []reflect.Value {
		var out []reflect.Value
		if t.IsVariadic() {
			out = v.CallSlice(args)
		} else {
			out = v.Call(args)
		}
		r := out[0]
		if r.Kind() == reflect.Interface {
			r = r.Elem()
		}
		switch r.Kind() {
		case reflect.String:
			checkBytes(name, uint64(r.Len()))
		case reflect.Slice:
			if r.Type().Elem().Kind() == reflect.Uint8 {
				checkBytes(name, uint64(r.Len()))
			} else {
				checkList(name, uint64(r.Len()))
			}
		}
		return out
	})
	return w.Interface(), true
}
