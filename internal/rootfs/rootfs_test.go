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

// TestKustomizeCached: adapters sharing a cache read a file of the root
// once (a later change on disk is not seen: one run reads an unchanging
// checkout), each caller gets its own copy, failed reads are tried again,
// and the root is enforced as without a cache.
func TestKustomizeCached(t *testing.T) {
	outside := t.TempDir()
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "base"), 0o755))
	file := filepath.Join(root, "base", "deployment.yaml")
	must(os.WriteFile(file, []byte("kind: Deployment\n"), 0o644))
	must(os.Symlink(outside, filepath.Join(root, "out")))
	must(os.WriteFile(filepath.Join(outside, "secret"), []byte("s3cr3t"), 0o600))
	f, err := Open(root)
	must(err)
	defer f.Close()

	c := NewKustomizeCache()
	a, b := KustomizeCached(f, nil, c), KustomizeCached(f, nil, c)
	got, err := a.ReadFile(file)
	must(err)
	got[0] = 'X' // a caller's copy
	dir, name, err := a.CleanedAbs(file)
	must(err)
	if !a.IsDir(filepath.Join(root, "base")) || !a.Exists(file) {
		t.Fatal("base/ is not a directory or its file does not exist")
	}
	must(os.WriteFile(file, []byte("kind: Changed\n"), 0o644))
	must(os.Rename(filepath.Join(root, "base"), filepath.Join(root, "moved")))
	if got, err := b.ReadFile(file); err != nil || string(got) != "kind: Deployment\n" {
		t.Errorf("second adapter read %q, %v; want the content read first", got, err)
	}
	if d, n, err := b.CleanedAbs(file); err != nil || d != dir || n != name {
		t.Errorf("second adapter CleanedAbs = %s %s %v; want %s %s", d, n, err, dir, name)
	}
	if !b.IsDir(filepath.Join(root, "base")) || !b.Exists(file) {
		t.Error("IsDir/Exists not answered from the cache")
	}
	if _, err := Kustomize(f, nil).ReadFile(file); err == nil {
		t.Error("an adapter without the cache read a file that no longer exists")
	}

	missing := filepath.Join(root, "later.yaml")
	if _, err := a.ReadFile(missing); err == nil {
		t.Fatal("read a missing file")
	}
	must(os.WriteFile(missing, []byte("ok"), 0o644))
	if got, err := b.ReadFile(missing); err != nil || string(got) != "ok" {
		t.Errorf("a failed read was kept: %q, %v", got, err)
	}

	for range 2 {
		if _, err := a.ReadFile(filepath.Join(root, "out", "secret")); err == nil {
			t.Error("read through a link out of the root")
		}
		if a.Exists(filepath.Join(root, "out", "secret")) {
			t.Error("a file outside the root exists")
		}
	}
}

// ReadFiles answers every file exactly as ReadFile does (content, or the
// same error: a link out of the root is never read), while reading each
// directory's files through one handle on it; an overlay view answers with
// the overlay.
func TestReadFilesIsReadFile(t *testing.T) {
	outside := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(outside, "secret"), []byte("s3cr3t"), 0o600))
	root := t.TempDir()
	for rel, data := range map[string]string{"top.yaml": "t", "a/in.yaml": "ok", "a/b/deep.yaml": "d", "c/other.yaml": "o"} {
		must(os.MkdirAll(filepath.Join(root, filepath.Dir(rel)), 0o755))
		must(os.WriteFile(filepath.Join(root, rel), []byte(data), 0o644))
	}
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "a", "abs-out")))
	must(os.Symlink("../../"+filepath.Base(outside)+"/secret", filepath.Join(root, "a", "rel-out")))
	must(os.Symlink(outside, filepath.Join(root, "dir-out")))
	must(os.Symlink("../c/other.yaml", filepath.Join(root, "a", "sibling")))
	must(os.Symlink(filepath.Join(root, "a", "in.yaml"), filepath.Join(root, "a", "abs-in")))
	must(os.Symlink("a", filepath.Join(root, "a-link")))
	f, err := Open(root)
	must(err)
	defer f.Close()
	names := []string{"top.yaml", "missing.yaml", "a/abs-in", "a/abs-out", "a/in.yaml", "a/missing", "a/rel-out", "a/sibling",
		"a-link/in.yaml", "a-link/sibling", "a/b/deep.yaml", "dir-out/secret", "c/other.yaml", "../x"}
	check := func(f *FS) {
		t.Helper()
		seen := 0
		f.ReadFiles(names, func(name string, got []byte, gotErr error) {
			seen++
			want, wantErr := f.ReadFile(name)
			if string(got) != string(want) || (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Errorf("%s: ReadFiles %q, %v; ReadFile %q, %v", name, got, gotErr, want, wantErr)
			}
			if string(got) == "s3cr3t" {
				t.Errorf("%s: read outside the root", name)
			}
		})
		if seen != len(names) {
			t.Errorf("%d answers for %d names", seen, len(names))
		}
	}
	check(f)
	check(f.WithOverlay(map[string][]byte{"a/in.yaml": []byte("edited")}))
}
