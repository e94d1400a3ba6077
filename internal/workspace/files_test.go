package workspace

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestFiles(t *testing.T) {
	root := t.TempDir()
	write := func(rel string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{".gitignore", "tracked.yaml", "gen/out.yaml", "sub/new.yaml"} {
		write(f)
	}
	if err := os.WriteFile(filepath.Join(root, ".gitignore"), []byte("gen/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", ".gitignore", "tracked.yaml"}} {
		if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	got, err := Files(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{".gitignore", "sub/new.yaml", "tracked.yaml"}; !slices.Equal(got, want) {
		t.Fatalf("git work tree: %v, want %v (tracked and untracked, not ignored)", got, want)
	}
	// a root that git ignores is walked: git would list nothing
	got, err = Files(t.Context(), filepath.Join(root, "gen"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"out.yaml"}; !slices.Equal(got, want) {
		t.Fatalf("ignored root: %v, want %v", got, want)
	}
	// outside git: a walk that skips .git
	plain := t.TempDir()
	root = plain
	write("a.yaml")
	write(".git/config")
	got, err = Files(t.Context(), plain)
	if err != nil || !slices.Equal(got, []string{"a.yaml"}) {
		t.Fatalf("walk: %v %v", got, err)
	}
}
