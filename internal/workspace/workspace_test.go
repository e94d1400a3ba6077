package workspace

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/render-check/render-check/internal/config"
)

func TestNormalizeURL(t *testing.T) {
	same := []string{
		"https://github.com/example-org/config.git",
		"https://github.com/example-org/config",
		"https://github.com/example-org/config/",
		"https://GitHub.com/Example-Org/Config.git/",
		"git@github.com:example-org/config.git",
		"ssh://git@github.com/example-org/config.git",
		"ssh://git@github.com:22/example-org/config",
		"https://user:token@github.com/example-org/config.git",
		"http://github.com/example-org/config.git",
	}
	want := "github.com/example-org/config"
	for _, u := range same {
		if got := NormalizeURL(u); got != want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", u, got, want)
		}
	}
	different := []string{
		"https://github.com/example-org/config-other.git",
		"https://gitlab.com/example-org/config.git",
		"https://github.com/other-org/config.git",
	}
	for _, u := range different {
		if got := NormalizeURL(u); got == want {
			t.Errorf("NormalizeURL(%q) = %q, should differ", u, got)
		}
	}
	if NormalizeURL("") != "" {
		t.Error("empty URL should normalise to empty")
	}
}

func write(t *testing.T, root, rel, data string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestGitFacts: the git facts come from git itself (one runner), for a
// checkout, a linked worktree (packed refs and a .git file are git's
// business) and a subdirectory (no origin: it is not the repository).
func TestGitFacts(t *testing.T) {
	ctx := t.Context()
	plain := t.TempDir()
	r, err := Open(ctx, plain, Settings{})
	if err != nil || r.Git.InWorkTree() || r.Origin != "" || r.Head != "" {
		t.Fatalf("no git: %+v, %v", r, err)
	}
	root := t.TempDir()
	gitRun(t, root, "init", "-q", "-b", "main")
	gitRun(t, root, "remote", "add", "upstream", "https://example.com/up.git")
	gitRun(t, root, "remote", "add", "origin", "git@example.com:org/repo.git")
	write(t, root, "clusters/prod/app.yaml", "a: 1\n")
	gitRun(t, root, "add", ".")
	gitRun(t, root, "commit", "-qm", "init")
	gitRun(t, root, "pack-refs", "--all")
	head := gitRun(t, root, "rev-parse", "HEAD")
	r, err = Open(ctx, root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Origin != "git@example.com:org/repo.git" || r.Head != head || r.Git.Prefix != "" {
		t.Fatalf("facts %+v, want origin and HEAD %s", r.Git, head)
	}
	if !r.IsThisRepo("https://example.com/org/repo") || r.IsThisRepo("https://example.com/up.git") {
		t.Error("IsThisRepo does not follow the origin")
	}
	wt := filepath.Join(t.TempDir(), "wt")
	gitRun(t, root, "worktree", "add", "-q", wt)
	if w, err := Open(ctx, wt, Settings{}); err != nil || w.Origin != "git@example.com:org/repo.git" || w.Head != head {
		t.Fatalf("worktree: %+v, %v", w, err)
	}
	sub, err := Open(ctx, filepath.Join(root, "clusters"), Settings{})
	if err != nil || sub.Git.Prefix != "clusters/" || sub.Origin != "" || sub.Head != head {
		t.Fatalf("subdirectory: %+v, %v", sub.Git, err)
	}
}

// TestHashes: a file's hash is git's blob id, from git for a tracked
// unmodified file, computed the same way otherwise.
func TestHashes(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	gitRun(t, root, "init", "-q")
	write(t, root, "tracked.yaml", "a: 1\n")
	write(t, root, "modified.yaml", "b: 1\n")
	gitRun(t, root, "add", ".")
	write(t, root, "modified.yaml", "b: 2\n")
	write(t, root, "untracked.yaml", "c: 1\n")
	w, err := Open(ctx, root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tracked.yaml", "modified.yaml", "untracked.yaml"} {
		got, err := w.Hash(ctx, f)
		if want := gitRun(t, root, "hash-object", f); err != nil || got != want {
			t.Errorf("%s: hash %q, %v; git says %q", f, got, err, want)
		}
	}
	if w.files.blobs["modified.yaml"] != "" || w.files.blobs["tracked.yaml"] == "" {
		t.Errorf("blob ids from git: %v", w.files.blobs)
	}
	// the same content outside git hashes the same
	plain := t.TempDir()
	write(t, plain, "tracked.yaml", "a: 1\n")
	p, _ := Open(ctx, plain, Settings{})
	h1, _ := p.Hash(ctx, "tracked.yaml")
	h2, _ := w.Hash(ctx, "tracked.yaml")
	if h1 != h2 {
		t.Errorf("outside git %s, inside %s", h1, h2)
	}
}

func TestParseDocuments(t *testing.T) {
	data := "# comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  n: 3\n---\n---\n- a list\n---\nkind: Second\nsize: 1.5\nbig: 123456789012\n"
	docs, err := ParseDocuments("f.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, d := range docs {
		lines = append(lines, d.Line)
	}
	if len(docs) != 4 {
		t.Fatalf("got %d documents (%v), want 4", len(docs), lines)
	}
	if docs[0].Line != 2 || docs[0].Object["kind"] != "ConfigMap" {
		t.Errorf("doc 0 = line %d %v", docs[0].Line, docs[0].Object)
	}
	if n := docs[0].Object["data"].(map[string]any)["n"]; n != int64(3) {
		t.Errorf("integer decoded as %T %v, want int64", n, n)
	}
	if docs[1].Object != nil || docs[1].Value != nil {
		t.Errorf("empty document decoded as %v", docs[1])
	}
	if docs[2].Value == nil || docs[2].Object != nil {
		t.Errorf("list document: %+v", docs[2])
	}
	if docs[3].Line != 12 || docs[3].Object["size"] != 1.5 || docs[3].Object["big"] != int64(123456789012) {
		t.Errorf("doc 3 = line %d %v", docs[3].Line, docs[3].Object)
	}

	_, err = ParseDocuments("bad.yaml", []byte("a: 1\n---\nb: [1, 2\nc: 3\n"))
	var ye *YAMLError
	if !errors.As(err, &ye) || ye.File != "bad.yaml" || ye.Line < 2 {
		t.Fatalf("err = %#v, want a YAMLError at line >= 2 (the second document)", err)
	}
}

func TestClustersAndApplications(t *testing.T) {
	root := t.TempDir()
	write(t, root, "clusters/b/apps/x.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: x\nspec:\n  destination:\n    namespace: n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-an-app\n---\n# second app\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: y\n")
	write(t, root, "clusters/b/.hidden/z.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: hidden\n")
	write(t, root, "clusters/b/values/broken.yaml", "a: [\n")
	write(t, root, "clusters/a/README.md", "x")
	write(t, root, "clusters/_shared/x.yaml", "a: 1\n")
	write(t, root, "regions/eu/c/k.yaml", "a: 1\n")
	write(t, root, "clusters/file.yaml", "a: 1\n")

	r, err := Open(t.Context(), root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := r.Clusters()
	if err != nil {
		t.Fatal(err)
	}
	want := []ClusterDir{{Name: "a", Dir: "clusters/a"}, {Name: "b", Dir: "clusters/b"}}
	if !reflect.DeepEqual(cs, want) {
		t.Fatalf("Clusters = %v, want %v", cs, want)
	}
	apps, problems, err := r.Applications(t.Context(), cs[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 2 || apps[0].Metadata.Name != "x" || apps[0].Line != 1 || apps[1].Metadata.Name != "y" || apps[1].Line != 15 {
		t.Fatalf("apps = %+v", apps)
	}
	if apps[0].File != "clusters/b/apps/x.yaml" {
		t.Errorf("file = %q", apps[0].File)
	}
	// namespace: n and name: y are booleans for kubectl (YAML 1.1): the API
	// server would reject both Applications
	if len(problems) != 3 || problems[0].Kind != ProblemYAML11Boolean || problems[0].Line != 7 ||
		problems[1].Kind != ProblemYAML11Boolean || problems[1].Line != 18 ||
		problems[2].Kind != ProblemMalformedYAML || problems[2].File != "clusters/b/values/broken.yaml" || problems[2].Line == 0 {
		t.Fatalf("problems = %+v", problems)
	}

	cfg := config.Default()
	cfg.Clusters = []string{"regions/**/c", "clusters/a"}
	r2, _ := Open(t.Context(), root, Settings{Config: cfg})
	cs, err = r2.Clusters()
	if err != nil || len(cs) != 2 || cs[0].Name != "a" || cs[1].Dir != "regions/eu/c" {
		t.Fatalf("custom globs: %v, %v", cs, err)
	}
	write(t, root, "regions/us/a/k.yaml", "a: 1\n")
	cfg.Clusters = []string{"regions/*/*", "clusters/a"}
	r3, _ := Open(t.Context(), root, Settings{Config: cfg})
	if _, err := r3.Clusters(); err == nil {
		t.Fatal("two clusters named a: want an error")
	}
}

// TestMemo: a derived fact is computed once per workspace and key, however
// many callers ask at once; another key or another workspace computes anew.
func TestMemo(t *testing.T) {
	root := t.TempDir()
	type keyA struct{}
	type keyB struct{}
	w1, err := Open(t.Context(), root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	w2, _ := Open(t.Context(), root, Settings{})
	var calls atomic.Int32
	compute := func() (any, error) { return int(calls.Add(1)), nil }
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v, err := w1.Memo(keyA{}, compute); err != nil || v != 1 {
				t.Errorf("Memo = %v, %v; want the first computation", v, err)
			}
		})
	}
	wg.Wait()
	if v, _ := w1.Memo(keyB{}, compute); v != 2 {
		t.Errorf("another key: %v", v)
	}
	if v, _ := w2.Memo(keyA{}, compute); v != 3 {
		t.Errorf("another workspace: %v", v)
	}
	if calls.Load() != 3 {
		t.Errorf("computed %d times, want 3", calls.Load())
	}
}
