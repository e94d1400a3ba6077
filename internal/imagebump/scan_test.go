package imagebump

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBumpScansTheWorkspaceFileList: the scan reads the files of the
// workspace's file list (git's, or a walk's without git) and the symlinks
// met on the way: an in-root link is scanned under its path and edited in
// its target; a link leaving the root is never read (its target is not
// valid YAML and mentions the image: reading it would refuse the bump);
// hidden directories, node_modules and chart templates (a Chart.yaml
// that is itself an in-root link too) are skipped; a file git ignores is
// not edited (a commit could not carry the edit), one it does not track
// yet is.
func TestBumpScansTheWorkspaceFileList(t *testing.T) {
	ref := []byte("image:\n  repository: registry.example/org/app\n  tag: 1.0.0\n")
	for _, withGit := range []bool{true, false} {
		name := "git"
		if !withGit {
			name = "walk"
		}
		t.Run(name, func(t *testing.T) {
			outside := filepath.Join(t.TempDir(), "values.yaml")
			bad := []byte("image: registry.example/org/app:1.0.0\n  broken: [\n")
			if err := os.WriteFile(outside, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			dir := writeTree(t, map[string][]byte{
				"shared/values.yaml":          ref,
				"chart/Chart.yaml":            []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"),
				"chart/values.yaml":           ref,
				"chart/templates/deploy.yaml": []byte("image: registry.example/org/app:1.0.0\n"),
				"chart2/templates/x.yaml":     []byte("image: registry.example/org/app:1.0.0\n"),
				".hidden/values.yaml":         ref,
				"node_modules/pkg/x.yaml":     ref,
				"ignored/values.yaml":         ref,
				"untracked/values.yaml":       ref,
				".gitignore":                  []byte("ignored/\n"),
				"clusters/prod/keep.txt":      []byte("x\n"),
			})
			for link, target := range map[string]string{
				"clusters/prod/in.yaml":  "../../shared/values.yaml",
				"clusters/prod/ext.yaml": outside,
				"chart2/Chart.yaml":      "../chart/Chart.yaml",
			} {
				if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
					t.Fatal(err)
				}
			}
			want := []string{"chart/values.yaml", "clusters/prod/in.yaml", "ignored/values.yaml", "shared/values.yaml", "untracked/values.yaml"}
			if withGit {
				git := func(args ...string) {
					t.Helper()
					cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("git %v: %v %s", args, err, out)
					}
				}
				git("init", "-q")
				git("add", "-f", ".gitignore", "shared", "chart", "chart2", ".hidden", "node_modules", "clusters")
				git("commit", "-qm", "x")
				want = slices.DeleteFunc(want, func(f string) bool { return f == "ignored/values.yaml" })
			}
			res, err := Bump(t.Context(), Options{Root: dir, Image: "registry.example/org/app", Tag: "2.0.0"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Files, want) {
				t.Errorf("files %v, want %v", res.Files, want)
			}
			if got, _ := os.ReadFile(outside); string(got) != string(bad) {
				t.Errorf("file outside the repo edited:\n%s", got)
			}
			for _, f := range []string{"chart/templates/deploy.yaml", "chart2/templates/x.yaml", ".hidden/values.yaml", "node_modules/pkg/x.yaml"} {
				if got, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f))); strings.Contains(string(got), "2.0.0") {
					t.Errorf("%s edited:\n%s", f, got)
				}
			}
			if st, err := os.Lstat(filepath.Join(dir, "clusters/prod/in.yaml")); err != nil || st.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the in-repo symlink was replaced by a file: %v", err)
			}
		})
	}
}
