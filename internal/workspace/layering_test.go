package workspace

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

const modulePath = "github.com/render-check/render-check"

// packageImports parses the non-test Go files of the module package at dir
// (relative to the module root) and returns their imports and string
// literals.
func packageImports(t *testing.T, dir string) (imports []string, literals []token.Position, values []string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(root, filepath.FromSlash(dir), name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range f.Imports {
			p, _ := strconv.Unquote(is.Path.Value)
			if !slices.Contains(imports, p) {
				imports = append(imports, p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if bl, ok := n.(*ast.BasicLit); ok && bl.Kind == token.STRING {
				if s, err := strconv.Unquote(bl.Value); err == nil {
					literals = append(literals, fset.Position(bl.Pos()))
					values = append(values, s)
				}
			}
			return true
		})
	}
	return imports, literals, values
}

// TestWorkspaceDecidesFactsNotFindings pins the layering: workspace decides
// facts about the checkout (Problem) and never names a finding rule or
// knows ApplicationSets' rules. It imports neither the rule table (report)
// nor appset nor render, reaches neither appset nor render through its
// imports, and no string in it is a rule name.
func TestWorkspaceDecidesFactsNotFindings(t *testing.T) {
	forbiddenDirect := []string{modulePath + "/internal/report", modulePath + "/internal/appset", modulePath + "/internal/render"}
	forbiddenAnywhere := []string{modulePath + "/internal/appset", modulePath + "/internal/render"}

	imports, lits, values := packageImports(t, "internal/workspace")
	for _, p := range imports {
		if slices.Contains(forbiddenDirect, p) {
			t.Errorf("workspace imports %s: its facts are Problems, render names the rules", p)
		}
	}
	rules := map[string]bool{}
	for _, r := range report.Rules() {
		rules[r.Name] = true
	}
	for i, v := range values {
		if rules[v] {
			t.Errorf("%s: the rule name %q in workspace", lits[i], v)
		}
	}

	// transitively, through the module's own packages
	seen := map[string]bool{}
	var walk func(pkg string, via []string)
	walk = func(pkg string, via []string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		dir, _ := strings.CutPrefix(pkg, modulePath+"/")
		imps, _, _ := packageImports(t, dir)
		for _, p := range imps {
			if !strings.HasPrefix(p, modulePath+"/") {
				continue
			}
			path := append(slices.Clone(via), p)
			if slices.Contains(forbiddenAnywhere, p) {
				t.Errorf("workspace reaches %s through %s", p, strings.Join(path, " -> "))
				continue
			}
			walk(p, path)
		}
	}
	walk(modulePath+"/internal/workspace", nil)
	if len(seen) < 3 {
		t.Fatalf("walked only %v: the import walk is broken", seen)
	}
}
