package render

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/types"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/netpolicy"
	"github.com/render-check/render-check/internal/rootfs"
)

// TestKustomizeMarks builds every app of the origin-marks case (and a few
// more) without kustomize's origin tracking where that can be trusted and
// with it: the same objects at the same file and line either way, and the
// marked build is taken exactly where it can be trusted.
func TestKustomizeMarks(t *testing.T) {
	root := extract(t, "testdata/cases/origin-marks.txtar")
	write := func(rel, data string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// a base reached through a symlink: kustomize's origin is the path as
	// written, the file read is the link's target
	if err := os.Symlink("gen", filepath.Join(root, "bases", "linked")); err != nil {
		t.Fatal(err)
	}
	write("apps/linked/kustomization.yaml", "resources:\n  - ../../bases/linked\n")
	// a resource file carrying kustomize's own origin annotation
	write("apps/ownorigin/kustomization.yaml", "resources:\n  - cm.yaml\n")
	write("apps/ownorigin/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    config.kubernetes.io/origin: |\n      path: elsewhere.yaml\n")
	// a patch copying a resource's annotations into its pod template
	write("apps/copyanns/kustomization.yaml", `resources:
  - ../../bases/gen
replacements:
  - source: {kind: Deployment, name: web, fieldPath: metadata.annotations}
    targets:
      - select: {kind: Deployment, name: web}
        fieldPaths: [spec.template.metadata.annotations]
        options: {create: true}
`)
	// a base with a remote resource (refused: the network is off)
	write("bases/remote/kustomization.yaml", "resources:\n  - https://github.com/example/repo//deploy?ref=v1\n")
	write("apps/remote/kustomization.yaml", "resources:\n  - ../../bases/remote\n")
	// kustomize reads keys whatever their case, and aliases: a base's
	// generator options spelt Options, a patch naming a resource file
	// through an alias
	write("bases/casevariant/kustomization.yaml", "configMapGenerator:\n  - name: cv\n    literals: [a=b]\n    Options:\n      disableNameSuffixHash: true\n")
	write("apps/casevariant/kustomization.yaml", "resources:\n  - ../../bases/casevariant\n")
	write("apps/alias/kustomization.yaml", "resources:\n  - inner\n")
	write("apps/alias/inner/kustomization.yaml", `resources:
  - other.yaml
  - &shared shared.yaml
patches:
  - path: *shared
    target: {kind: ConfigMap, name: other}
`)
	write("apps/alias/inner/other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n")
	write("apps/alias/inner/shared.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  labels: {patched: \"true\"}\n")
	// scalars whose YAML form is ambiguous, in a file and in a List: the
	// marked file is served re-encoded
	write("apps/scalars/kustomization.yaml", "resources:\n  - cm.yaml\n  - list.yaml\n")
	write("apps/scalars/cm.yaml", ambiguousConfigMap())
	write("apps/scalars/list.yaml", "apiVersion: v1\nkind: List\nitems:\n- "+strings.ReplaceAll(strings.Replace(ambiguousConfigMap(), "name: x", "name: y", 1), "\n", "\n  ")+"\n")
	// a folded block scalar with more-indented lines (a script in a
	// Tekton task of redhat-cop/gitops-catalog): the encoder would give it
	// another value, so the file is not served re-encoded
	write("apps/folded/kustomization.yaml", "resources:\n  - task.yaml\n")
	write("apps/folded/task.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: f\ndata:\n  script: >\n    #!/usr/bin/env bash\n\n\n    cat > settings.xml <<EOF\n\n    <settings>\n      <mirrors>\n      </mirrors>\n    </settings>\n\n    EOF\n")
	// braces in a string: the output goes the YAML way
	write("apps/braces/kustomization.yaml", "resources:\n  - cm.yaml\n")
	write("apps/braces/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  t: '{{env}}'\n")
	// a base's generator whose options are left empty (the app's own
	// kustomization is served re-encoded: no empty options there)
	write("bases/nulloptions/kustomization.yaml", "configMapGenerator:\n  - name: nul\n    options:\n    literals: [a=b]\n")
	write("apps/nulloptions/kustomization.yaml", "resources:\n  - ../../bases/nulloptions\n")

	cfg, err := config.Load(root, "")
	if err != nil {
		t.Fatal(err)
	}
	rfs, err := rootfs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rfs.Close() })
	newRenderer := func(track bool) *renderer {
		return &renderer{repo: mustOpen(t, root, cfg), cfg: cfg, fs: rfs, kreads: rootfs.NewKustomizeCache(), lines: newLineIndex(), trackOrigins: track,
			network: netpolicy.Policy{Mode: netpolicy.Off}}
	}
	marked, tracked := newRenderer(false), newRenderer(true)
	ctx := context.Background()
	for dir, trusted := range map[string]bool{
		"apps/multi":        true,
		"bases/gen":         true,
		"apps/dual":         false, // a resource file is the overlay's patch
		"apps/cmfile":       false, // a resource file is a generator's file
		"apps/annreplace":   false, // a patch replaces the annotations, mark included
		"apps/usermeta":     false, // the user's buildMetadata
		"apps/usertrans":    false,
		"apps/linked":       false,
		"apps/ownorigin":    false,
		"apps/copyanns":     false, // the mark would be copied with the annotations
		"apps/nulloptions":  false,
		"bases/nulloptions": true,
		"apps/braces":       true, // the YAML way out of kustomize
		"apps/remote":       false,
		"apps/casevariant":  false,
		"apps/alias":        false,
		"apps/scalars":      true,  // re-encoded: the same scalars
		"apps/folded":       false, // re-encoded, a different value
	} {
		t.Run(dir, func(t *testing.T) {
			req := kustomizeRequest{Dir: dir}
			kabs := filepath.Join(root, filepath.FromSlash(path.Join(dir, "kustomization.yaml")))
			data, err := os.ReadFile(kabs)
			if err != nil {
				t.Fatal(err)
			}
			var k types.Kustomization
			if err := k.Unmarshal(data); err != nil {
				t.Fatal(err)
			}
			k.FixKustomization()
			_, ok := marked.buildKustomizeMarked(ctx, req, kabs, data, &k)
			if len(k.BuildMetadata) > 0 {
				ok = false // never tried
			}
			if ok != trusted {
				t.Errorf("marked build trusted = %v, want %v", ok, trusted)
			}

			want, werr := tracked.buildKustomize(ctx, req)
			got, err := marked.buildKustomize(ctx, req)
			if werr != nil || err != nil {
				if dir != "apps/remote" || werr == nil || err == nil || err.Error() != werr.Error() {
					t.Fatalf("error %v, want %v", err, werr)
				}
				return
			}
			if len(got.resources) == 0 || len(got.resources) != len(want.resources) {
				t.Fatalf("got %d objects, want %d", len(got.resources), len(want.resources))
			}
			for i := range want.resources {
				if !reflect.DeepEqual(got.resources[i], want.resources[i]) {
					t.Errorf("object %d:\n got %+v\nwant %+v", i, *got.resources[i], *want.resources[i])
				}
			}
			if !reflect.DeepEqual(got.inputs, want.inputs) {
				t.Errorf("inputs %v, want %v", got.inputs, want.inputs)
			}
		})
	}
}
