package rootfs_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// guardedCalls are the calls that read the filesystem, walk a tree or
// decode a multi-document YAML stream, by import path and function.
var guardedCalls = map[string][]string{
	"os":                                {"ReadFile", "Open", "OpenFile", "ReadDir", "Stat", "Lstat", "DirFS", "Readlink", "OpenRoot", "OpenInRoot"},
	"path/filepath":                     {"WalkDir", "Walk", "Glob", "EvalSymlinks"},
	"io/fs":                             {"WalkDir", "Glob"},
	"github.com/bmatcuk/doublestar/v4":  {"Glob", "GlobWalk", "FilepathGlob"},
	"gopkg.in/yaml.v3":                  {"NewDecoder"},
	"k8s.io/apimachinery/pkg/util/yaml": {"NewYAMLOrJSONDecoder", "NewDocumentDecoder", "NewYAMLReader"},
}

// allowed is every non-test file that may make a guarded call, with the
// calls it makes and why. The checkout is read through rootfs (the one
// contained reader) and the workspace (the one file list and the one
// guarded YAML decoder); what is left here reads something else (a cache,
// a trusted file the job names, the runner) or is a deliberately different
// upstream semantic kept for fidelity.
var allowed = []struct {
	file  string
	calls []string
	why   string
}{
	// the one place
	{"internal/rootfs/rootfs.go", []string{"filepath.EvalSymlinks", "os.OpenRoot", "os.Readlink", "fs.WalkDir"}, "the one rooted reader of the checkout (os.Root) and its out-of-bounds walk"},
	{"internal/rootfs/kustomize.go", []string{"filepath.Glob", "fs.WalkDir"}, "kustomize's filesys over the rooted reader (Glob results are filtered by containment)"},
	{"internal/rootfs/write.go", []string{"os.Lstat", "os.OpenFile", "os.OpenRoot"}, "output writes that refuse symlinks (report files, summaries)"},
	{"internal/workspace/files.go", []string{"fs.WalkDir"}, "the one file list (the walk when git cannot list), over the rooted reader"},
	{"internal/workspace/yaml.go", []string{"yaml.NewDecoder"}, "the one guarded multi-document YAML decoder (bounds, panics recovered)"},
	{"internal/workspace/workspace.go", []string{"os.Stat", "doublestar.Glob"}, "the root itself is a directory; cluster globs over the workspace's rooted FS"},
	{"internal/workspace/clusters.go", []string{"doublestar.Glob"}, "cluster globs over the workspace's rooted FS"},
	{"internal/render/directory.go", []string{"fs.WalkDir"}, "a directory source's walk, over rootfs, in Argo CD's findManifests order"},

	// deliberately different decoders, for fidelity
	{"internal/render/decode.go", []string{"yaml.NewYAMLOrJSONDecoder", "yaml.NewYAMLReader"}, "Argo CD's YAML-or-JSON decoder for directory sources, for fidelity"},
	{"internal/render/helm/template.go", []string{"yaml.NewYAMLReader"}, "Helm's and Argo CD's splitter of rendered chart output, for fidelity"},
	{"internal/render/jsonnet.go", []string{"os.OpenRoot"}, "jsonnet's importer reads through its own os.Root of the checkout (contained)"},

	// the checkout, not yet routed (TODO(#13)): absolute paths inside render
	{"internal/render/helm/chart.go", []string{"os.Stat", "filepath.WalkDir"}, "a chart directory, local or in the chart cache, as Helm's loader reads it (contained by helm/contain.go)"},
	{"internal/render/helm/inflate.go", []string{"os.Stat"}, "a chart directory, local or in the chart cache"},
	{"internal/render/helm/overlay.go", []string{"filepath.EvalSymlinks"}, "resolves the bump overlay's root for Helm's own reader"},
	{"internal/render/helm/remote.go", []string{"os.ReadDir", "os.Stat"}, "the chart cache directory"},
	{"internal/render/helm/values.go", []string{"filepath.EvalSymlinks", "os.Stat", "doublestar.Glob"}, "value files: containment check against the root before Helm reads them; value-file globs expand over rootfs (IOFS)"},
	{"internal/render/discover.go", []string{"os.ReadFile"}, "`appset generate` reads the files named on its command line (anywhere)"},
	{"internal/inventory/chartrollback.go", []string{"os.Lstat"}, "the write target of an edit must be a regular file (writes, not reads)"},
	{"internal/imagebump/bump.go", []string{"filepath.EvalSymlinks"}, "resolves the write target of an edit (writes, not reads)"},
	{"internal/imagebump/write.go", []string{"os.Open"}, "fsyncs the directory of a written file"},
	{"internal/rendercache/entry.go", []string{"os.Lstat", "os.Open"}, "hashes a chart file outside the checkout (the chart cache) for the render cache key"},

	// not the checkout: caches, trusted files, the runner, the user's arguments
	{"internal/rendercache/pack.go", []string{"os.Open", "os.ReadDir"}, "the render cache's own directory (its pack files)"},
	{"internal/rendercache/key.go", []string{"os.Open", "os.ReadFile"}, "the render-check binary, hashed into the cache key, and its remembered hash in the cache directory"},
	{"internal/registry/registrytest/registrytest.go", []string{"os.Stat"}, "test helper: the docker-registry binary"},
	{"internal/config/trust.go", []string{"os.ReadFile", "filepath.EvalSymlinks"}, "the config file (--config, possibly outside the checkout) and whether it is inside it"},
	{"internal/images/check.go", []string{"os.ReadFile"}, "a CA bundle named by trusted config"},
	{"internal/secrets/agekeys.go", []string{"os.ReadFile"}, "age key files named by the job's environment"},
	{"internal/secrets/allow.go", []string{"os.ReadFile"}, "the secrets baseline, named by config (ignored in the checkout on an untrusted run)"},
	{"internal/secrets/files.go", []string{"os.Stat"}, "command-line paths must exist"},
	{"internal/secrets/run.go", []string{"os.Stat"}, "whether a baseline exists, to warn that it is not applied"},
	{"internal/secrets/sopstest/sopstest.go", []string{"yaml.NewDecoder"}, "test helper: re-encodes SOPS test files"},
	{"internal/validate/files.go", []string{"os.Open", "os.DirFS", "fs.WalkDir"}, "the one walk of manifest trees (ManifestFiles): `validate` of files the user names anywhere (host FS), CRD paths in the checkout (rootfs)"},
	{"internal/kube/gen/main.go", []string{"os.ReadDir", "os.ReadFile"}, "go:generate tool reading its input directory"},
	{"internal/validate/gen/catalog.go", []string{"os.ReadFile"}, "go:generate tool reading its input directory"},
	{"cmd/render-check/action.go", []string{"os.OpenFile"}, "appends to the runner's $GITHUB_OUTPUT"},
	{"cmd/render-check/check.go", []string{"os.Stat"}, "the --root argument is a directory"},
	{"cmd/render-check/init.go", []string{"os.Stat"}, "init does not overwrite an existing config"},
	{"cmd/render-check/memguard.go", []string{"os.ReadFile"}, "the cgroup memory limit"},
	{"cmd/render-check/merge.go", []string{"os.Open"}, "report files named on the command line"},
	{"cmd/render-check/validate.go", []string{"os.Stat", "os.DirFS"}, "`validate` of paths the user names, anywhere (walked by validate.ManifestFiles)"},
	{"cmd/render-check/diff.go", []string{"os.Stat", "os.ReadFile", "os.DirFS", "os.OpenRoot"}, "`diff --live` manifests the user names (walked by validate.ManifestFiles); the revision extracted into a temp dir through os.Root"},
}

// TestOneReader fails when a non-test file reads the filesystem, walks a
// tree or decodes a YAML stream outside the allow-list: the checkout is
// read through rootfs and the workspace, and nowhere else.
func TestOneReader(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	allow := map[string]map[string]bool{}
	for _, a := range allowed {
		if a.why == "" {
			t.Errorf("%s: allow-list entry without a reason", a.file)
		}
		allow[a.file] = map[string]bool{}
		for _, c := range a.calls {
			allow[a.file][c] = true
		}
	}
	used := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (n == "testdata" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, c := range guardedIn(f) {
			if !allow[rel][c.name] {
				t.Errorf("%s:%d: %s outside the one reader: read the checkout through rootfs or the workspace (file list, Documents), or add %s to the allow-list in this test with the reason", rel, fset.Position(c.pos).Line, c.name, rel)
			}
			if used[rel] == nil {
				used[rel] = map[string]bool{}
			}
			used[rel][c.name] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range allowed {
		for _, c := range a.calls {
			if !used[a.file][c] {
				t.Errorf("allow-list entry %s %s is no longer used: remove it", a.file, c)
			}
		}
	}
}

type guardedCall struct {
	name string // short package name and function, e.g. "os.ReadFile"
	pos  token.Pos
}

// guardedIn returns the guarded calls (and references: a function passed
// as a value counts too) of a file.
func guardedIn(f *ast.File) []guardedCall {
	local := map[string]string{} // local package name -> import path
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		if _, ok := guardedCalls[p]; !ok {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		switch {
		case im.Name != nil:
			name = im.Name.Name
		case strings.HasPrefix(name, "v") && strings.Contains(p, "/"):
			// a major-version suffix: the package name is the element before
			parts := strings.Split(p, "/")
			name = parts[len(parts)-2]
		case name == "yaml.v3":
			name = "yaml"
		}
		local[name] = p
	}
	var out []guardedCall
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		p, ok := local[id.Name]
		if !ok || !slices.Contains(guardedCalls[p], sel.Sel.Name) {
			return true
		}
		short := p[strings.LastIndex(p, "/")+1:]
		switch short {
		case "v4":
			short = "doublestar"
		case "yaml.v3":
			short = "yaml"
		}
		out = append(out, guardedCall{name: fmt.Sprintf("%s.%s", short, sel.Sel.Name), pos: sel.Pos()})
		return true
	})
	return out
}
