package helm

import (
	"errors"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"

	"github.com/render-check/render-check/internal/workspace"
)

func execWith(t *testing.T, funcs template.FuncMap, src string) (string, error) {
	t.Helper()
	tpl, err := template.New("x").Funcs(funcs).Parse(src)
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	var b strings.Builder
	err = tpl.Execute(&b, map[string]any{"s": "a\nb\nc", "l": []any{1, "x", 2.5}})
	return b.String(), err
}

// TestBoundedFidelity: within the bounds the bounded functions Helm now
// renders with give the original sprig functions' output, byte for byte.
func TestBoundedFidelity(t *testing.T) {
	bounded := sprig.TxtFuncMap()
	if _, ok := bounded["print"]; !ok {
		t.Fatal("the engine's sprig table is not the bounded one")
	}
	orig := template.FuncMap{}
	for k, v := range unbounded {
		orig[k] = v
	}
	for _, src := range []string{
		`{{ repeat 3 "ab" }}|{{ repeat 0 "x" }}|{{ repeat 5 "" }}`,
		`{{ until 5 }}|{{ until -3 }}|{{ until 0 }}`,
		`{{ untilStep 0 10 3 }}|{{ untilStep 10 0 -4 }}|{{ untilStep 0 10 -1 }}|{{ untilStep 3 3 1 }}|{{ untilStep 10 0 0 }}`,
		`{{ seq 5 }}|{{ seq -2 }}|{{ seq 0 }}|{{ seq 2 6 }}|{{ seq 6 2 }}|{{ seq 0 3 10 }}|{{ seq 10 -3 0 }}|{{ seq 10 3 0 }}|{{ seq }}|{{ seq 9223372036854775807 }}`,
		`{{ indent 4 .s }}|{{ nindent 2 .s }}|{{ indent 0 "x" }}|{{ indent -2 "x" }}`,
		`{{ replace "b" "XYZ" .s }}|{{ replace "" "-" "abc" }}|{{ replace "abc" "" "abcabc" }}`,
		`{{ cat "a" 1 nil "b" }}|{{ print "a" 1 2 "b" }}|{{ printf "%05d-%s" 42 "x" }}|{{ println "a" }}`,
		`{{ join "," .l }}|{{ list 1 2 3 | toString }}|{{ append .l 4 }}|{{ concat .l .l }}|{{ upper "abc" }}|{{ trunc 2 "abcdef" }}|{{ b64enc "hi" }}`,
		`{{ len (randAlphaNum 12) }}|{{ len (randAlpha 3) }}|{{ len (randAscii 7) }}|{{ len (randNumeric 9) }}|{{ len (randBytes 9) }}`,
		`{{ $s := "ab" }}{{ range until 4 }}{{ $s = cat $s $s }}{{ end }}{{ $s }}`,
		`{{ default "x" "" }}|{{ default "x" "y" }}|{{ coalesce "" "a" }}|{{ first .l }}|{{ toString 5 }}|{{ trimSuffix "-" "a-" }}|{{ upper "a" }}|{{ ternary "a" "b" true }}|{{ splitList "," "a,b" }}|{{ keys (dict "a" 1) }}`,
	} {
		want, werr := execWith(t, orig, src)
		got, gerr := execWith(t, bounded, src)
		if got != want || (werr == nil) != (gerr == nil) {
			t.Errorf("%s:\n bounded  %q (%v)\n original %q (%v)", src, got, gerr, want, werr)
		}
	}
	// A negative repeat count panics in strings.Repeat in both: an error, not a crash.
	if _, err := execWith(t, bounded, `{{ repeat -1 "x" }}`); err == nil {
		t.Error("repeat -1: no error")
	}
}

// TestBoundedLimits: past the bounds the call fails with a LimitError
// before allocating (or right after one bounded allocation for results
// that are only known afterwards).
func TestBoundedLimits(t *testing.T) {
	bounded := sprig.TxtFuncMap()
	defer maxTemplateBytes.Store(maxTemplateBytes.Load())
	maxTemplateBytes.Store(1 << 20)
	for _, src := range []string{
		`{{ repeat 2000000000 "x" }}`,
		`{{ repeat 9223372036854775807 "xy" }}`,
		`{{ until 100000000 }}`,
		`{{ until -100000000 }}`,
		`{{ untilStep 0 9223372036854775807 1 }}`,
		`{{ untilStep 0 -9223372036854775808 -1 }}`,
		`{{ seq 100000000 }}`,
		`{{ seq 0 1 100000000 }}`,
		`{{ seq -100000000 0 }}`,
		`{{ indent 2000000000 "x" }}`,
		`{{ nindent 300000 "a\nb\nc\nd" }}`,
		`{{ randAlphaNum 2000000000 }}`,
		`{{ randBytes 2000000000 }}`,
		`{{ replace "" "xxxxxxxx" (repeat 200000 "a") }}`,
		`{{ $s := "xxxxxxxxxxxxxxxx" }}{{ range until 40 }}{{ $s = cat $s $s }}{{ end }}`,
		`{{ $s := "xxxxxxxxxxxxxxxx" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}`,
		`{{ $s := "xxxxxxxxxxxxxxxx" }}{{ range until 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}`,
		`{{ $l := list 1 }}{{ range until 40 }}{{ $l = concat $l $l }}{{ end }}`,
	} {
		_, err := execWith(t, bounded, src)
		var le *workspace.LimitError
		if !errors.As(err, &le) {
			t.Errorf("%s: want a LimitError, got %v", src, err)
		}
	}
}

// BenchmarkBoundedFuncs: the cost of the bounds on a function-heavy
// template (typical chart helpers: trunc, trimSuffix, printf, default,
// quote, indent, toString), original sprig table vs bounded.
func BenchmarkBoundedFuncs(b *testing.B) {
	src := `{{ range until 50 }}{{ printf "%s-%s" "release" "name" | trunc 63 | trimSuffix "-" }} {{ default "x" "" | quote }} {{ indent 4 "a\nb" }} {{ list 1 2 3 | toString }} {{ cat "a" "b" }} {{ upper "abc" | replace "A" "B" }}
{{ end }}`
	orig := template.FuncMap{}
	for k, v := range unbounded {
		orig[k] = v
	}
	for name, funcs := range map[string]template.FuncMap{"sprig": orig, "bounded": sprig.TxtFuncMap()} {
		b.Run(name, func(b *testing.B) {
			tpl := template.Must(template.New("x").Funcs(funcs).Parse(src))
			b.ReportAllocs()
			for b.Loop() {
				var sb strings.Builder
				if err := tpl.Execute(&sb, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
