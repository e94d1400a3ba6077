package helm

import (
	"fmt"
	"regexp"
	"slices"
	"sync"

	"github.com/Masterminds/sprig/v3"

	"github.com/render-check/render-check/internal/suggest"
)

// undefinedFuncRE finds the function a template calls that does not exist.
var undefinedFuncRE = regexp.MustCompile(`function "([^"]+)" not defined`)

// helmOnlyFuncs are the template functions Helm adds to sprig's (and Go's
// text/template builtins).
var helmOnlyFuncs = []string{
	"toToml", "fromToml", "toYaml", "toYamlPretty", "fromYaml", "fromYamlArray", "toJson", "fromJson",
	"fromJsonArray", "include", "tpl", "required", "lookup",
	"and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println",
	"urlquery", "eq", "ge", "gt", "le", "lt", "ne",
}

var templateFuncs = sync.OnceValue(func() []string {
	out := slices.Clone(helmOnlyFuncs)
	for name := range sprig.TxtFuncMap() {
		out = append(out, name)
	}
	slices.Sort(out)
	return slices.Compact(out)
})

// suggestFunc adds "did you mean" to a template's call of a function that
// does not exist (`quot` for `quote`).
func suggestFunc(err error) error {
	m := undefinedFuncRE.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	if s, ok := suggest.Nearest(m[1], templateFuncs()); ok {
		return fmt.Errorf("%w; did you mean %q?", err, s)
	}
	return err
}
