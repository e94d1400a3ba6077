package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzNames checks the path and name validators: whatever they accept
// stays one element (or, for charts, a relative path) inside its parent
// directory, and FS.Rel never returns a path that leaves the root. A plain
// `go test` runs the seed corpus; `go test -fuzz FuzzNames ./internal/rootfs`
// explores.
func FuzzNames(f *testing.F) {
	for _, s := range []string{
		"web", "../../x", "..", ".", "", "a/b", "a\\b", "ns_app", "_x", "x_", "a..b", "/etc/passwd",
		"bitnamicharts/nginx", "charts/../../x", "UPPER", "a\x00b", "a\nb", strings.Repeat("a", 300),
		"./x", "x/.", "x//y", "-rf", "café",
	} {
		f.Add(s)
	}
	root := f.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		f.Fatal(err)
	}
	fsys, err := Open(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fsys.Close() })
	f.Fuzz(func(t *testing.T, s string) {
		inside := func(p string) bool {
			rel, err := filepath.Rel("/base", filepath.Join("/base", p))
			return err == nil && filepath.IsLocal(rel)
		}
		if ValidPathElement(s) == nil {
			if !inside(s) || strings.ContainsAny(s, `/\`) || filepath.Base(filepath.Join("/base", s)) != s {
				t.Fatalf("ValidPathElement accepted %q", s)
			}
		}
		if ValidAppName(s) == nil {
			if !inside(s+".yaml") || strings.ContainsAny(s, `/\.`) && strings.Contains(s, "..") || strings.ContainsAny(s, `/\`) {
				t.Fatalf("ValidAppName accepted %q", s)
			}
		}
		if ValidChartName(s) == nil {
			if !inside(s) || strings.Contains(s, "..") || strings.HasPrefix(s, "/") {
				t.Fatalf("ValidChartName accepted %q", s)
			}
		}
		for _, name := range []string{s, filepath.Join(root, s), filepath.Join("sub", s)} {
			if rel, err := fsys.Rel(name); err == nil && !local(rel) {
				t.Fatalf("Rel(%q) = %q leaves the root", name, rel)
			}
		}
	})
}
