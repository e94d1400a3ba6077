package imagebump

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func setupFiles(t *testing.T, n int) (string, []fileWrite) {
	t.Helper()
	dir := t.TempDir()
	var fws []fileWrite
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, string(rune('a'+i)))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(sub, "values.yaml")
		old := []byte("tag: 1.0.0\n")
		mode := os.FileMode(0o640 + i) // distinct modes, kept by the write
		if err := os.WriteFile(p, old, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		fws = append(fws, fileWrite{path: p, old: old, new: []byte("tag: 2.0.0\n"), mode: mode})
	}
	return dir, fws
}

// leftovers lists temporary files left in the tree.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(info.Name(), ".render-check-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func assertContent(t *testing.T, fws []fileWrite, wantNew bool) {
	t.Helper()
	for _, f := range fws {
		got, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		want := f.old
		if wantNew {
			want = f.new
		}
		if string(got) != string(want) {
			t.Errorf("%s = %q, want %q", f.path, got, want)
		}
		st, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != f.mode {
			t.Errorf("%s mode %v, want %v", f.path, st.Mode().Perm(), f.mode)
		}
	}
}

func TestWriteAllWritesEveryFileAndKeepsModes(t *testing.T) {
	dir, fws := setupFiles(t, 3)
	if err := realFS().writeAll(fws); err != nil {
		t.Fatal(err)
	}
	assertContent(t, fws, true)
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

func TestWriteAllFailingTempLeavesEverythingUnchanged(t *testing.T) {
	dir, fws := setupFiles(t, 3)
	ops := realFS()
	calls := 0
	ops.createTemp = func(d, pattern string) (*os.File, error) {
		calls++
		if calls == 3 {
			return nil, errors.New("disk full")
		}
		return os.CreateTemp(d, pattern)
	}
	if err := ops.writeAll(fws); err == nil {
		t.Fatal("no error")
	}
	assertContent(t, fws, false)
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

func TestWriteAllFailingRenameRestoresRenamedFiles(t *testing.T) {
	dir, fws := setupFiles(t, 3)
	ops := realFS()
	calls := 0
	ops.rename = func(a, b string) error {
		calls++
		if calls == 3 { // the first two files are already replaced
			return errors.New("rename: input/output error")
		}
		return os.Rename(a, b)
	}
	err := ops.writeAll(fws)
	if err == nil {
		t.Fatal("no error")
	}
	if calls != 5 { // 3 attempts + 2 restores
		t.Errorf("%d renames, want 5", calls)
	}
	assertContent(t, fws, false)
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

// TestBumpAtomicity runs a whole bump over several files and makes the last
// rename fail: every file must keep its original bytes.
func TestBumpAtomicity(t *testing.T) {
	files := map[string][]byte{
		"clusters/prod/values/a.yaml":               []byte("image:\n  repository: registry.example/org/app\n  tag: 1.0.0\n"),
		"clusters/prod/values/b.yaml":               []byte("image: registry.example/org/app:1.0.0\n"),
		"clusters/prod/apps/app/kustomization.yaml": []byte("images:\n- name: registry.example/org/app\n  newTag: 1.0.0\n"),
	}
	dir := writeTree(t, files)
	ops := realFS()
	n := 0
	ops.rename = func(a, b string) error {
		n++
		if n == 3 {
			return errors.New("injected")
		}
		return os.Rename(a, b)
	}
	_, err := bump(t.Context(), Options{Root: dir, Image: "registry.example/org/app", Tag: "2.0.0"}, ops)
	if err == nil {
		t.Fatal("no error")
	}
	for name, want := range files {
		got, rerr := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if rerr != nil || string(got) != string(want) {
			t.Errorf("%s changed: %q", name, got)
		}
	}
	// And without the fault, all three change.
	res, err := Bump(t.Context(), Options{Root: dir, Image: "registry.example/org/app", Tag: "2.0.0"})
	if err != nil || len(res.Files) != 3 {
		t.Fatalf("bump: %v %+v", err, res)
	}
}

// TestBumpLeavesSymlinksOutOfTheRepoAlone: a values file symlinked from
// outside the root is not edited; one symlinked inside is edited through
// the link (the link stays a link).
func TestBumpLeavesSymlinksOutOfTheRepoAlone(t *testing.T) {
	outside := t.TempDir()
	ext := filepath.Join(outside, "values.yaml")
	content := []byte("image:\n  repository: registry.example/org/app\n  tag: 1.0.0\n")
	if err := os.WriteFile(ext, content, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, map[string][]byte{"shared/values.yaml": content})
	if err := os.MkdirAll(filepath.Join(dir, "clusters/prod"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(ext, filepath.Join(dir, "clusters/prod/ext.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../shared/values.yaml", filepath.Join(dir, "clusters/prod/in.yaml")); err != nil {
		t.Fatal(err)
	}
	res, err := Bump(t.Context(), Options{Root: dir, Image: "registry.example/org/app", Tag: "2.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(ext); string(got) != string(content) {
		t.Errorf("file outside the repo edited:\n%s", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "shared/values.yaml")); !strings.Contains(string(got), "tag: 2.0.0") {
		t.Errorf("in-repo target not edited:\n%s", got)
	}
	if st, err := os.Lstat(filepath.Join(dir, "clusters/prod/in.yaml")); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the in-repo symlink was replaced by a file: %v", err)
	}
	if len(res.Files) != 2 {
		t.Errorf("files %v (the target through the link and directly)", res.Files)
	}
}
