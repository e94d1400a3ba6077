package workspace

import (
	"fmt"
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

// An overlaid file reads as its overlay and hashes as it: never git's blob
// id of the file on disk (a render cache keyed on it would serve the
// content before the edit).
func TestOverlayReadsAndHashes(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "a.yaml"), []byte("x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "a.yaml"}} {
		if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	plain, err := Open(t.Context(), root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := Open(t.Context(), root, Settings{Overlay: map[string][]byte{"a.yaml": []byte("x: 2\n")}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ws.ReadFile("a.yaml")
	if err != nil || string(b) != "x: 2\n" {
		t.Fatalf("read %q %v", b, err)
	}
	docs, err := ws.Documents("a.yaml")
	if err != nil || len(docs) != 1 || fmt.Sprint(docs[0].Object["x"]) != "2" {
		t.Fatalf("documents %+v %v", docs, err)
	}
	h1, _ := plain.Hash(t.Context(), "a.yaml")
	h2, _ := ws.Hash(t.Context(), "a.yaml")
	if h1 != BlobID([]byte("x: 1\n")) || h2 != BlobID([]byte("x: 2\n")) {
		t.Fatalf("hashes %s %s", h1, h2)
	}
	if disk, _ := os.ReadFile(filepath.Join(root, "a.yaml")); string(disk) != "x: 1\n" {
		t.Fatalf("disk changed: %q", disk)
	}
}
