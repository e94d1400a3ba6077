package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSecurityChartNameCannotWriteOutsideTheCache: a chart name or an
// index version with "../" never becomes a cache path.
func TestSecurityChartNameCannotWriteOutsideTheCache(t *testing.T) {
	clearCIEnv(t)
	tgz := chartArchive(t, "x", "1.0.0", map[string]string{"templates/cm.yaml": okConfigMap})
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  ../../X:\n    - {apiVersion: v2, name: ../../X, version: 1.0.0, urls: [%[1]s/x.tgz]}\n  ok:\n    - {apiVersion: v2, name: ok, version: ../../../Y, urls: [%[1]s/x.tgz]}\n", srv.URL)
		default:
			_, _ = w.Write(tgz)
		}
	}))
	defer srv.Close()
	work := t.TempDir()
	cache := filepath.Join(work, "a", "b", "cache")
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS":          checkOwners,
		".render-check.yaml":          checkConfig,
		"clusters/lab/apps/name.yaml": checkApp("name", "  source:\n    repoURL: "+srv.URL+"\n    chart: ../../X\n    targetRevision: 1.0.0\n"),
		"clusters/lab/apps/ver.yaml":  checkApp("ver", "  source:\n    repoURL: "+srv.URL+"\n    chart: ok\n    targetRevision: '*'\n"),
	})
	t.Setenv("XDG_CACHE_HOME", cache)
	code, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if f := findRule(rep, "render/failed", "name"); f == nil || !strings.Contains(f.Message, "not a valid chart name") {
		t.Errorf("want the chart name refused, got %+v", rep.Findings)
	}
	// helm's index loader drops the bad version; the app is a finding
	if f := findRule(rep, "render/failed", "ver"); f == nil {
		t.Errorf("want the bad version unrendered, got %+v", rep.Findings)
	}
	_ = filepath.WalkDir(work, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".tgz") && !strings.HasPrefix(p, cache) {
			t.Errorf("chart written outside the cache: %s", p)
		}
		return nil
	})
}

// TestSecurityRenderOutputDirNames: an Application named with "../" is
// never written outside --output-dir; it is a finding instead.
func TestSecurityRenderOutputDirNames(t *testing.T) {
	clearCIEnv(t)
	root := checkRepo(t, map[string]string{
		".render-check.yaml": checkConfig,
		"clusters/lab/apps/root.yaml": checkApp("root", `  source:
    repoURL: https://git.example.com/platform/config.git
    targetRevision: main
    path: children
`),
		"children/evil.yaml": strings.Replace(checkApp("x", `  source:
    repoURL: https://git.example.com/platform/config.git
    targetRevision: main
    path: m
`), "name: x", "name: ../../escaped", 1),
		"m/cm.yaml": okConfigMap,
	})
	work := t.TempDir()
	out := filepath.Join(work, "a", "b", "out")
	var stdout, stderr bytes.Buffer
	run(t.Context(), []string{"render", "--root", root, "--output-dir", out}, strings.NewReader(""), &stdout, &stderr)
	if _, err := os.Stat(filepath.Join(work, "a", "escaped.yaml")); err == nil {
		t.Fatal("render wrote outside --output-dir")
	}
	if !strings.Contains(stderr.String(), "not written to --output-dir") {
		t.Fatalf("no finding for the bad name; stderr:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "lab", "root.yaml")); err != nil {
		t.Fatalf("the good app was not written: %v", err)
	}
}

// TestSecurityReportFilesNotThroughSymlinks: report files are not written
// through a symlink committed in the checkout (the file itself, or a
// directory on the way).
func TestSecurityReportFilesNotThroughSymlinks(t *testing.T) {
	clearCIEnv(t)
	victim := filepath.Join(t.TempDir(), "authorized_keys")
	if err := os.WriteFile(victim, []byte("ssh-ed25519 AAAA owner\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := checkRepo(t, map[string]string{".render-check.yaml": checkConfig, ".github/CODEOWNERS": checkOwners, "clusters/lab/m/cm.yaml": okConfigMap})
	symlink(t, victim, filepath.Join(root, "report.json"))
	symlink(t, filepath.Dir(victim), filepath.Join(root, "reports"))
	for _, p := range []string{filepath.Join(root, "report.json"), filepath.Join(root, "reports", "authorized_keys")} {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), []string{"check", "--root", root, "--images", "off", "--output", "json=" + p}, strings.NewReader(""), &stdout, &stderr)
		if code != exitError || !strings.Contains(stderr.String(), "symlink") {
			t.Errorf("%s: exit %d, stderr %s", p, code, stderr.String())
		}
		if b, _ := os.ReadFile(victim); string(b) != "ssh-ed25519 AAAA owner\n" {
			t.Fatalf("%s: the file behind the symlink was overwritten: %q", p, b)
		}
	}
}

// TestSecurityUntarDuplicateEntry: diff's revision extraction never writes
// through a symlink made by an earlier entry of the same tree.
func TestSecurityUntarDuplicateEntry(t *testing.T) {
	outside := t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "a", Typeflag: tar.TypeSymlink, Linkname: outside})
	_ = tw.WriteHeader(&tar.Header{Name: "a/pwned", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()
	err := untar(&buf, t.TempDir())
	if err == nil {
		t.Error("untar accepted a write through a symlink")
	}
	if _, serr := os.Stat(filepath.Join(outside, "pwned")); serr == nil {
		t.Fatal("untar wrote outside the directory")
	}
}

// TestSecurityStepOutputsCannotBeForged: a value carrying go-githubactions'
// fixed delimiter (a file name from the repo) cannot end its output early
// and set another one.
func TestSecurityStepOutputsCannotBeForged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "output")
	t.Setenv("GITHUB_OUTPUT", path)
	forged := "a.yaml\n_GitHubActionsFileCommandDelimeter_\nexit-code<<_GitHubActionsFileCommandDelimeter_\n0"
	if err := setStepOutput("files", forged); err != nil {
		t.Fatal(err)
	}
	if err := setStepOutput("exit-code", "1"); err != nil {
		t.Fatal(err)
	}
	got := parseStepOutputs(t, path)
	if got["files"] != forged || got["exit-code"] != "1" || len(got) != 2 {
		t.Fatalf("outputs = %q", got)
	}
}

// parseStepOutputs reads a $GITHUB_OUTPUT file as the runner does.
func parseStepOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			k, v, _ := strings.Cut(lines[i], "=")
			out[k] = v
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// TestSecurityInventoryAndInitNotThroughSymlinks: `inventory --output` and
// `init --force` never write through a symlink the checkout holds.
func TestSecurityInventoryAndInitNotThroughSymlinks(t *testing.T) {
	clearCIEnv(t)
	victim := filepath.Join(t.TempDir(), "authorized_keys")
	const content = "ssh-ed25519 AAAA owner\n"
	if err := os.WriteFile(victim, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	root := checkRepo(t, map[string]string{"clusters/lab/m/cm.yaml": okConfigMap})
	symlink(t, victim, filepath.Join(root, "inventory.json"))
	// a symlinked config is refused when read, so init gets its own checkout
	initRoot := checkRepo(t, map[string]string{"clusters/lab/m/cm.yaml": okConfigMap})
	symlink(t, victim, filepath.Join(initRoot, ".render-check.yaml"))
	for _, args := range [][]string{
		{"inventory", "--root", root, "--no-history", "--output", "json=" + filepath.Join(root, "inventory.json")},
		{"init", "--root", initRoot, "--force"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), args, strings.NewReader(""), &stdout, &stderr)
		if code == exitOK || !strings.Contains(stderr.String(), "symlink") {
			t.Errorf("%s: exit %d, stderr %s", args[0], code, stderr.String())
		}
		if b, _ := os.ReadFile(victim); string(b) != content {
			t.Fatalf("%s: the file behind the symlink was overwritten: %q", args[0], b)
		}
	}
}

// TestSecurityBumpOutputsCannotBeForged: through the bump command, a values
// file whose name carries go-githubactions' fixed delimiter and a line
// setting another output cannot set that output; the runner reads exactly
// the outputs bump wrote.
func TestSecurityBumpOutputsCannotBeForged(t *testing.T) {
	const delim = "_GitHubActionsFileCommandDelimeter_"
	evil := "app.yaml\n" + delim + "\nchanged<<" + delim + "\nforged\n" + delim + "\ntag<<EOF\n6.6.6\nEOF\nx.yaml"
	values := strings.ReplaceAll(valuesTmpl, "REPO", "registry.example/org/app")
	root := bumpRepo(t, map[string]string{"clusters/prod/values/" + evil: values})
	outFile := filepath.Join(t.TempDir(), "github_output")
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", outFile)
	code, _, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/app", "--tag", "1.8.3", "--no-verify")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := readFile(t, filepath.Join(root, "clusters/prod/values", evil)); !strings.Contains(got, `"1.8.3"`) {
		t.Fatalf("the file was not bumped, the test proves nothing:\n%s", got)
	}
	got := parseStepOutputs(t, outFile)
	if got["changed"] != "true" || got["tag"] != "1.8.3" || got["image"] != "registry.example/org/app" {
		t.Errorf("outputs forged: %q", got)
	}
	if got["files"] != "clusters/prod/values/"+evil {
		t.Errorf("files = %q", got["files"])
	}
	for k := range got {
		if !slices.Contains([]string{"changed", "files", "image", "tag", "digest"}, k) {
			t.Errorf("an output bump did not write: %q", k)
		}
	}
}

// TestSecurityDiffDuplicateTreeEntry: `diff` against a revision whose git
// tree holds both a symlink "a" (to a directory outside) and a directory
// "a/" with a file (built with git mktree, as a hostile push can) refuses
// the revision and writes nothing outside, whichever side it is on.
func TestSecurityDiffDuplicateTreeEntry(t *testing.T) {
	clearCIEnv(t)
	root := diffRepo(t)
	outside := t.TempDir()
	git := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.email=ci@example.com", "-c", "user.name=ci"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	link := git(outside, "hash-object", "-w", "--stdin")
	pwned := git("pwned\n", "hash-object", "-w", "--stdin")
	sub := git("100644 blob "+pwned+"\tpwned\n", "mktree")
	head := git("", "rev-parse", "HEAD^{tree}")
	entries := git("", "ls-tree", head)
	tree := git(entries+"\n120000 blob "+link+"\ta\n040000 tree "+sub+"\ta\n", "mktree")
	if ls := git("", "ls-tree", tree); strings.Count(ls, "\ta\n") != 2 {
		t.Fatalf("the tree has no duplicate entry:\n%s", ls)
	}
	evil := git("", "commit-tree", tree, "-p", "HEAD", "-m", "evil")
	for _, revs := range [][2]string{{"HEAD", evil}, {evil, "HEAD"}} {
		code, out, stderr := runCLI(t, "diff", "--root", root, "--base", revs[0], "--head", revs[1], "--format", "json")
		if code != exitError || !strings.Contains(stderr, "duplicate entry") && !strings.Contains(stderr, "path escapes") {
			t.Errorf("diff %s..%s: exit %d, want a refusal:\n%s\n%s", revs[0], revs[1], code, stderr, out)
		}
		entries, _ := os.ReadDir(outside)
		if len(entries) != 0 {
			t.Fatalf("diff wrote outside: %v", entries)
		}
	}
}
