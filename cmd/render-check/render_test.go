package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func runRenderCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"render"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestRenderCommandExample writes one file per cluster/app, byte-identical
// across runs.
func TestRenderCommandExample(t *testing.T) {
	root, _ := filepath.Abs("../../testdata/clusters")
	out1, out2 := t.TempDir(), t.TempDir()
	if code, _, stderr := runRenderCmd(t, "--root", root, "--output-dir", out1); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runRenderCmd(t, "--root", root, "--output-dir", out2); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	files := listFiles(t, out1)
	if len(files) != 16 || files[0] != "agritech-prod/addon-cluster-info.yaml" || files[8] != "distrib-prod/node-exporter-distrib-prod.yaml" {
		t.Fatalf("files = %v", files)
	}
	for _, f := range files {
		a, _ := os.ReadFile(filepath.Join(out1, f))
		b, _ := os.ReadFile(filepath.Join(out2, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between runs", f)
		}
		if len(a) == 0 {
			t.Errorf("%s is empty", f)
		}
	}
	warehouse, _ := os.ReadFile(filepath.Join(out1, "distrib-prod/warehouse.yaml"))
	for _, want := range []string{"name: warehouse-worker", "replicas: 3", "image: ghcr.io/example-org/warehouse-worker:3.2.0", "# Source: _base/kustomize/worker/deployment.yaml:1", "namespace: distrib"} {
		if !bytes.Contains(warehouse, []byte(want)) {
			t.Errorf("warehouse.yaml lacks %q:\n%s", want, warehouse)
		}
	}
}

// TestRenderCommandRedactsSecrets never writes a Secret value.
func TestRenderCommandRedactsSecrets(t *testing.T) {
	root := checkRepo(t, map[string]string{
		".render-check.yaml":    checkConfig,
		"m/secret.yaml":         "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ntype: Opaque\ndata:\n  password: c3VwZXJzZWNyZXQtdmFsdWU=\nstringData:\n  token: plain-token-value\n",
		"clusters/lab/app.yaml": checkApp("creds", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: m\n"),
	})
	out := t.TempDir()
	code, _, stderr := runRenderCmd(t, "--root", root, "--output-dir", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "lab", "creds.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"c3VwZXJzZWNyZXQtdmFsdWU=", "plain-token-value"} {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("output contains a secret value %q:\n%s", secret, data)
		}
	}
	if !bytes.Contains(data, []byte("password: <redacted>")) || !bytes.Contains(data, []byte("token: <redacted>")) {
		t.Errorf("keys not kept with the redaction marker:\n%s", data)
	}
}

// TestRenderCommandFindingsAndExitCodes: render errors go to stderr with
// exit 1; bad usage exits 2.
func TestRenderCommandFindingsAndExitCodes(t *testing.T) {
	root := checkRepo(t, map[string]string{
		".render-check.yaml":    checkConfig,
		"k/kustomization.yaml":  "resources:\n  - missing.yaml\n",
		"clusters/lab/app.yaml": checkApp("broken", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: k\n"),
	})
	out := t.TempDir()
	code, stdout, stderr := runRenderCmd(t, "--root", root, "--output-dir", out)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1", code)
	}
	if stdout != "" || !strings.Contains(stderr, "k/kustomization.yaml:2: error render/failed [lab/broken]") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "lab", "broken.yaml")); err != nil {
		t.Errorf("a failed app still gets its (empty) file: %v", err)
	}
	if code, _, _ := runRenderCmd(t, "--root", root); code != exitError {
		t.Errorf("no --output-dir: exit %d, want 2", code)
	}
	if code, _, _ := runRenderCmd(t, "--root", root, "--output-dir", out, "--cluster", "nope"); code != exitError {
		t.Errorf("unknown cluster: exit %d, want 2", code)
	}
	if code, _, _ := runRenderCmd(t, "--root", filepath.Join(root, "nope"), "--output-dir", out); code != exitError {
		t.Errorf("missing root: exit %d, want 2", code)
	}
}
