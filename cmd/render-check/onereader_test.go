package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

// TestOneReaderSymlinksNotRead: every read of the checkout goes through the
// one rooted reader, so a symlink out of the root is never read: not a file
// or a subdirectory of a directory source (check and render), not a file
// named to `secrets`, not a configured CRD path.
func TestOneReaderSymlinksNotRead(t *testing.T) {
	clearCIEnv(t)
	out := outsideDir(t)
	writeFiles(t, out, map[string]string{
		"token.yaml": "token: " + e2eToken + "\n",
		"crds/crd.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`,
	})
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS": checkOwners,
		".render-check.yaml": checkConfig,
		"clusters/lab/apps/plain.yaml": checkApp("plain", `  source:
    repoURL: https://git.example.com/platform/config.git
    targetRevision: main
    path: apps/plain
    directory:
      recurse: true
`),
		"apps/plain/cm.yaml": okConfigMap,
	})
	symlink(t, filepath.Join(out, "manifests", "cm.yaml"), filepath.Join(root, "apps/plain/leak.yaml"))
	symlink(t, filepath.Join(out, "manifests"), filepath.Join(root, "apps/plain/sub"))

	t.Run("directory source", func(t *testing.T) {
		args := []string{"check", "--root", root, "--format", "json", "--images", "off"}
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
		if strings.Contains(stdout.String()+stderr.String(), outsideSecretValue) || strings.Contains(stdout.String(), "stolen") {
			t.Fatalf("content from outside the root reached the report:\n%s", stdout.String())
		}
		if code != exitFindings {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		rep := decodeReport(t, stdout.String())
		var links []string
		for _, f := range rep.Findings {
			if f.Rule == "render/symlink-out-of-bounds" {
				links = append(links, f.File)
				if f.File == "apps/plain/leak.yaml" && !slices.Contains(f.Targets(), report.Target{Cluster: "lab", App: "plain"}) {
					t.Errorf("the link that broke app plain does not name it: %+v", f)
				}
			}
		}
		slices.Sort(links)
		if !slices.Equal(links, []string{"apps/plain/leak.yaml", "apps/plain/sub"}) {
			t.Errorf("symlink findings at %v, want one at each link: %+v", links, rep.Findings)
		}

		dir := t.TempDir()
		stdout.Reset()
		run(context.Background(), []string{"render", "--root", root, "--output-dir", dir}, strings.NewReader(""), &stdout, &stderr)
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), "stolen") {
					t.Errorf("render wrote outside content into %s", p)
				}
			}
			return nil
		})
	})

	t.Run("secrets of a named link", func(t *testing.T) {
		symlink(t, filepath.Join(out, "token.yaml"), filepath.Join(root, "leak.yaml"))
		writeFiles(t, root, map[string]string{"own.yaml": "token: " + e2eToken + "\n"})
		r := runSecretsCmd(t, "--root", root, "--format", "json", filepath.Join(root, "leak.yaml"), filepath.Join(root, "own.yaml"))
		fs := findingsOf(t, r.stdout)
		var files []string
		for _, f := range fs {
			files = append(files, f.File)
		}
		// the file in the root is scanned (so the scan ran), the link out of it is not read
		if !slices.Contains(files, "own.yaml") {
			t.Fatalf("own.yaml not scanned: %v\n%s%s", files, r.stdout, r.stderr)
		}
		if slices.Contains(files, "leak.yaml") {
			t.Errorf("the link out of the root was read: %+v", fs)
		}
	})

	t.Run("configured CRD path", func(t *testing.T) {
		symlink(t, filepath.Join(out, "crds", "crd.yaml"), filepath.Join(root, "crds-link"))
		writeFiles(t, root, map[string]string{
			".render-check.yaml":           checkConfig + "validate:\n  crds: [crds-link]\n",
			"apps/plain/gadget.yaml":       "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n",
			"clusters/lab/apps/plain.yaml": checkApp("plain", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    targetRevision: main\n    path: apps/plain\n"),
		})
		if err := os.Remove(filepath.Join(root, "apps/plain/leak.yaml")); err != nil {
			t.Fatal(err)
		}
		_, rep, stderr := checkJSON(t, root)
		if rep == nil {
			t.Fatalf("check failed: %s", stderr)
		}
		// the CRD behind the link is never read: the configured path is
		// refused (read, the outside CRD would have let Gadget validate)
		f := findRule(rep, "schema/failed", "")
		if f == nil || !strings.Contains(f.Message, "crds-link") || !strings.Contains(f.Message, "outside the repository") {
			t.Errorf("want schema/failed refusing crds-link, got %+v", rep.Findings)
		}
	})
}
