package render

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/benchrepo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/workspace"
)

// readersByFile renders with opts and maps each input file to the apps
// ("cluster/app") that read it.
func readersByFile(t *testing.T, root string, opts Options) (map[string][]string, *Result) {
	t.Helper()
	_, res := renderRepo(t, root, opts)
	out := map[string][]string{}
	for _, c := range res.Clusters {
		for _, a := range c.Apps {
			for _, in := range a.Inputs {
				out[in] = append(out[in], c.Name+"/"+a.Name)
			}
		}
	}
	return out, res
}

// TestReadersOfNeverMissesAReader renders every test repo in full, then,
// for each file an app reads, renders again keeping only ReadersOf that
// file: every app that read it must still be rendered and read it. A miss
// would be a bump that edits a file without knowing all the clusters it
// reaches.
func TestReadersOfNeverMissesAReader(t *testing.T) {
	var roots []string
	cases, _ := filepath.Glob("testdata/cases/*.txtar")
	for _, c := range cases {
		roots = append(roots, extract(t, c))
	}
	layouts, _ := filepath.Glob("../../testdata/layouts/*")
	for _, l := range layouts {
		if st, err := os.Stat(l); err == nil && st.IsDir() {
			roots = append(roots, l)
		}
	}
	roots = append(roots, "../../testdata/clusters", "../../testdata/jsonnet")
	bench := filepath.Join(t.TempDir(), "bench")
	if err := benchrepo.Generate(bench, "", 3, 6); err != nil {
		t.Fatal(err)
	}
	roots = append(roots, bench)

	skipped, checked := 0, 0
	for _, root := range roots {
		full, _ := readersByFile(t, root, Options{})
		files := make([]string, 0, len(full))
		for f := range full {
			files = append(files, f)
		}
		sort.Strings(files)
		cfg, err := config.Load(root, "")
		if err != nil {
			t.Fatal(err)
		}
		ws, err := workspace.Open(context.Background(), root, workspace.Settings{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			sel, err := ReadersOf(context.Background(), ws, []string{f})
			if err != nil {
				t.Fatal(err)
			}
			got, res := readersByFile(t, root, Options{Select: sel})
			skipped += res.Skipped
			checked++
			if strings.Join(got[f], " ") != strings.Join(full[f], " ") {
				t.Errorf("%s: %s is read by %v, with ReadersOf only by %v", root, f, full[f], got[f])
			}
		}
	}
	if skipped == 0 || checked < 50 {
		t.Fatalf("the selection skipped %d apps over %d files: the test proves nothing", skipped, checked)
	}
	t.Logf("%d files, %d apps skipped", checked, skipped)
}
