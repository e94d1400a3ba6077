package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestContainment(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "a"), 0o755))
	must(os.WriteFile(filepath.Join(root, "a", "in.yaml"), []byte("ok"), 0o644))
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "a", "abs-out")))
	must(os.Symlink("../../"+filepath.Base(outside)+"/secret", filepath.Join(root, "a", "rel-out")))
	must(os.Symlink(outside, filepath.Join(root, "dir-out")))
	must(os.Symlink(filepath.Join(root, "a", "in.yaml"), filepath.Join(root, "abs-in")))
	must(os.Symlink("a/in.yaml", filepath.Join(root, "rel-in")))

	f, err := Open(root)
	must(err)
	defer f.Close()
	for _, name := range []string{"a/in.yaml", "abs-in", "rel-in", filepath.Join(root, "rel-in")} {
		if b, err := f.ReadFile(name); err != nil || string(b) != "ok" {
			t.Errorf("%s: %q, %v", name, b, err)
		}
	}
	for name, link := range map[string]string{
		"a/abs-out":      "a/abs-out",
		"dir-out/secret": "dir-out",
		"../x":           "",
		"a/../../x":      "",
		"/etc/passwd":    "",
	} {
		b, err := f.ReadFile(name)
		var oob *OutOfBoundsError
		if !errors.As(err, &oob) || oob.Link != link {
			t.Errorf("%s: want an OutOfBoundsError naming %q, got %q, %v", name, link, b, err)
		}
	}
	bad, err := f.OutOfBounds(".")
	must(err)
	var links []string
	for _, b := range bad {
		links = append(links, b.Link)
	}
	if got := len(links); got != 3 {
		t.Errorf("OutOfBounds = %v, want a/abs-out a/rel-out dir-out", links)
	}
	k := Kustomize(f, nil)
	if k.Exists(filepath.Join(root, "dir-out", "secret")) || k.WriteFile(filepath.Join(root, "x"), nil) == nil {
		t.Error("kustomize adapter: read outside or write allowed")
	}
	if _, _, err := k.CleanedAbs(filepath.Join(root, "dir-out")); err == nil {
		t.Error("CleanedAbs followed a link outside")
	}
}
