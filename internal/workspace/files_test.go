package workspace

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
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

// A WithOverlay view reads and hashes the overlaid files as their new
// content, everywhere (documents, TrackedHash, CRDs), and shares with the
// workspace what it parsed of the other files; the workspace itself is
// unchanged.
func TestWithOverlayView(t *testing.T) {
	root := t.TempDir()
	crd := "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n"
	for rel, data := range map[string]string{"a.yaml": "x: 1\n", "b.yaml": "y: 1\n", "crd.yaml": crd} {
		if err := os.WriteFile(filepath.Join(root, rel), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}} {
		if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	ws, err := Open(t.Context(), root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := ws.Documents("a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ws.Documents("b.yaml")
	if crds, _ := ws.CRDs(t.Context()); len(crds) != 1 {
		t.Fatalf("CRDs before: %d", len(crds))
	}
	if _, ok := ws.TrackedHash("a.yaml"); !ok {
		t.Fatal("a.yaml is tracked and unmodified: TrackedHash must know it")
	}

	view := ws.WithOverlay(t.Context(), map[string][]byte{"a.yaml": []byte("x: 2\n")})
	docs, err := view.Documents("a.yaml")
	if err != nil || len(docs) != 1 || fmt.Sprint(docs[0].Object["x"]) != "2" {
		t.Fatalf("view documents %+v %v", docs, err)
	}
	if b, _ := view.ReadFile("a.yaml"); string(b) != "x: 2\n" {
		t.Fatalf("view read %q", b)
	}
	if h, _ := view.Hash(t.Context(), "a.yaml"); h != BlobID([]byte("x: 2\n")) {
		t.Fatalf("view hash %s", h)
	}
	if _, ok := view.TrackedHash("a.yaml"); ok {
		t.Fatal("TrackedHash gave git's blob id of an overlaid file (the content before the edit)")
	}
	if shared, _ := view.Documents("b.yaml"); &shared[0] != &other[0] {
		t.Error("the view parsed b.yaml again: it is not overlaid, its documents are shared")
	}
	if again, _ := ws.Documents("a.yaml"); &again[0] != &before[0] || fmt.Sprint(again[0].Object["x"]) != "1" {
		t.Errorf("the workspace changed with its view: %+v", again)
	}
	if crds, _ := view.CRDs(t.Context()); len(crds) != 1 {
		t.Errorf("view CRDs: %d, want the workspace's 1", len(crds))
	}

	// an overlay that removes the CRD: the view's CRDs are its own
	gone := ws.WithOverlay(t.Context(), map[string][]byte{"crd.yaml": []byte("kind: ConfigMap\n")})
	if crds, _ := gone.CRDs(t.Context()); len(crds) != 0 {
		t.Errorf("view without the CRD still has %d", len(crds))
	}
	if crds, _ := ws.CRDs(t.Context()); len(crds) != 1 {
		t.Errorf("workspace CRDs after a view: %d", len(crds))
	}
}

// TestReadFileKeepsBytes: ReadFile reads a file once per workspace and hands
// each caller its own copy; an overlay view reads its edited file as edited
// and shares the bytes of the others.
func TestReadFileKeepsBytes(t *testing.T) {
	root := t.TempDir()
	for rel, data := range map[string]string{"a.yaml": "x: 1\n", "b.yaml": "y: 1\n"} {
		if err := os.WriteFile(filepath.Join(root, rel), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := Open(t.Context(), root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"a.yaml", "b.yaml"} {
		b, err := ws.ReadFile(rel)
		if err != nil {
			t.Fatal(err)
		}
		b[0] = '!' // a caller's edit stays its own
	}
	// kept: the disk changing under a workspace is not seen (a snapshot)
	if err := os.WriteFile(filepath.Join(root, "b.yaml"), []byte("y: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := ws.ReadFile("b.yaml"); string(b) != "y: 1\n" {
		t.Fatalf("b.yaml read again: %q, want the kept bytes", b)
	}
	view := ws.WithOverlay(t.Context(), map[string][]byte{"a.yaml": []byte("x: 2\n")})
	if b, _ := view.ReadFile("a.yaml"); string(b) != "x: 2\n" {
		t.Fatalf("view a.yaml: %q", b)
	}
	if b, _ := view.ReadFile("b.yaml"); string(b) != "y: 1\n" {
		t.Fatalf("view b.yaml: %q, want the shared bytes", b)
	}
	if b, _ := ws.ReadFile("a.yaml"); string(b) != "x: 1\n" {
		t.Fatalf("workspace a.yaml after the view: %q", b)
	}
}

// The file list keeps the symlinks it met where a file would be listed
// (Links: git's tracked and untracked ones, not ignored ones; every one a
// walk meets without git); discovery leaves out a file over
// maxDetectFileSize (sized by the listing's stat, or its own), and sees an
// overlay's size, not the file's.
func TestFileListLinksAndSizes(t *testing.T) {
	cm := func(pad int) []byte {
		return []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\ndata:\n  kustomize.buildOptions: --enable-helm\n" + "# " + strings.Repeat("x", pad) + "\n")
	}
	for _, withGit := range []bool{true, false} {
		root := t.TempDir()
		for rel, data := range map[string][]byte{".gitignore": []byte("ign*\n"), "a.yaml": []byte("x: 1\n"), "cm.yaml": cm(maxDetectFileSize)} {
			if err := os.WriteFile(filepath.Join(root, rel), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, l := range []string{"tracked-link.yaml", "untracked-link.yaml", "ignored-link.yaml"} {
			if err := os.Symlink("a.yaml", filepath.Join(root, l)); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"ignored-link.yaml", "tracked-link.yaml", "untracked-link.yaml"}
		if withGit {
			for _, args := range [][]string{{"init", "-q"}, {"add", ".gitignore", "a.yaml", "cm.yaml", "tracked-link.yaml"}} {
				if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v %s", args, err, out)
				}
			}
			want = want[1:]
		}
		ws, err := Open(t.Context(), root, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		links, err := ws.Links(t.Context())
		if err != nil || !slices.Equal(links, want) {
			t.Errorf("git %v: links %v %v, want %v", withGit, links, err, want)
		}
		files, _ := ws.Files(t.Context())
		if slices.ContainsFunc(files, func(f string) bool { return strings.Contains(f, "link") }) {
			t.Errorf("git %v: a symlink in the file list: %v", withGit, files)
		}
		if opts, file := ws.ArgoKustomizeBuildOptions(); opts != "" {
			t.Errorf("git %v: %s over maxDetectFileSize read: %q", withGit, file, opts)
		}
		small := ws.WithOverlay(t.Context(), map[string][]byte{"cm.yaml": cm(10)})
		if opts, _ := small.ArgoKustomizeBuildOptions(); opts != "--enable-helm" {
			t.Errorf("git %v: overlaid small cm.yaml not read: %q", withGit, opts)
		}
	}
}

// The file list takes a path git tracks unmodified at its index mode
// (no stat), and asks the disk about every other one: deleted, turned into
// a symlink or from one, skip-worktree (sparse checkout), assume-unchanged
// (git does not look at it), untracked. A submodule is not a file.
func TestFileListIndexAndDisk(t *testing.T) {
	root := t.TempDir()
	for _, rel := range []string{"keep.yaml", "gone.yaml", "now-link.yaml", "sparse.yaml", "assumed.yaml"} {
		if err := os.WriteFile(filepath.Join(root, rel), []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []string{"link.yaml", "was-link.yaml"} {
		if err := os.Symlink("keep.yaml", filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("a", 40)+",sub")
	git("commit", "-qm", "x")
	git("update-index", "--skip-worktree", "sparse.yaml")
	git("update-index", "--assume-unchanged", "assumed.yaml")
	for _, rel := range []string{"gone.yaml", "now-link.yaml", "sparse.yaml", "was-link.yaml", "assumed.yaml"} {
		if err := os.Remove(filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []string{"now-link.yaml", "assumed.yaml"} {
		if err := os.Symlink("keep.yaml", filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "was-link.yaml"), []byte("x: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "new.yaml"), []byte("x: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ws, err := Open(t.Context(), root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := ws.Files(t.Context())
	if want := []string{"keep.yaml", "new.yaml", "was-link.yaml"}; err != nil || !slices.Equal(files, want) {
		t.Errorf("files %v %v, want %v", files, err, want)
	}
	links, err := ws.Links(t.Context())
	if want := []string{"assumed.yaml", "link.yaml", "now-link.yaml"}; err != nil || !slices.Equal(links, want) {
		t.Errorf("links %v %v, want %v", links, err, want)
	}
	if _, ok := ws.TrackedHash("keep.yaml"); !ok {
		t.Error("keep.yaml is tracked unmodified: its blob id is git's")
	}
	if _, ok := ws.TrackedHash("was-link.yaml"); ok {
		t.Error("was-link.yaml changed type: git's blob id is not its content's")
	}
}
