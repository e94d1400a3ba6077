package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

// gitInit makes root a git repository with everything committed.
func gitInit(t *testing.T, root string) {
	t.Helper()
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-q", "-m", "initial"},
	} {
		cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// checkedApps returns cluster/app of every app in a check report.
func checkedApps(rep *report.Report) []string {
	var out []string
	for _, c := range rep.Clusters {
		for _, a := range c.Apps {
			out = append(out, c.Name+"/"+a.Name)
		}
	}
	slices.Sort(out)
	return out
}

func TestCheckChangedSince(t *testing.T) {
	cases := []struct {
		name     string
		edit     func(t *testing.T, root string)
		want     []string // exact apps, when set
		atLeast  int      // else at least this many apps, across clusters
		clusters int
	}{
		{
			name: "values file: one app",
			edit: func(t *testing.T, root string) {
				policyEdit(t, root, "clusters/agritech-prod/values/telemetry-ingest.yaml", "\n", "\n# tuned\n")
			},
			want: []string{"agritech-prod/telemetry-ingest"},
		},
		{
			name: "shared component: every user",
			edit: func(t *testing.T, root string) {
				policyEdit(t, root, "_base/components/standard-probes/kustomization.yaml", "\n", "\n# shared edit\n")
			},
			atLeast: 2, clusters: 2,
		},
		{
			name: "unrelated file: none",
			edit: func(t *testing.T, root string) {
				if err := os.WriteFile(filepath.Join(root, "NOTES.md"), []byte("unrelated\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := policyExample(t)
			gitInit(t, root)
			tc.edit(t, root)
			code, rep, stderr := checkJSON(t, root, "--changed-since", "HEAD")
			if rep == nil {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got := checkedApps(rep)
			if tc.atLeast > 0 {
				clusters := map[string]bool{}
				for _, a := range got {
					clusters[strings.SplitN(a, "/", 2)[0]] = true
				}
				if len(got) < tc.atLeast || len(clusters) < tc.clusters {
					t.Fatalf("apps %v: want at least %d apps in %d clusters", got, tc.atLeast, tc.clusters)
				}
				_, full, _ := checkJSON(t, root)
				if len(got) >= len(checkedApps(full)) {
					t.Fatalf("a shared-component edit selected every app (%d): the selection is not by input", len(got))
				}
			} else if !slices.Equal(got, tc.want) {
				t.Fatalf("apps checked = %v, want %v", got, tc.want)
			}
			if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], "changed-since HEAD") {
				t.Fatalf("the report does not say how the run was scoped: %v", rep.Notes)
			}
		})
	}
	t.Run("config change: everything, and says so", func(t *testing.T) {
		root := policyExample(t)
		gitInit(t, root)
		policyEdit(t, root, ".render-check.yaml", "\n", "\n# edited\n")
		_, rep, stderr := checkJSON(t, root, "--changed-since", "HEAD")
		if rep == nil {
			t.Fatal(stderr)
		}
		_, full, _ := checkJSON(t, root)
		if !slices.Equal(checkedApps(rep), checkedApps(full)) || !strings.Contains(strings.Join(rep.Notes, ""), "checking everything") {
			t.Fatalf("apps %v notes %v", checkedApps(rep), rep.Notes)
		}
	})
	t.Run("bad revision: exit 2", func(t *testing.T) {
		root := policyExample(t)
		gitInit(t, root)
		if code, _, stderr := checkJSON(t, root, "--changed-since", "no-such-ref"); code != exitError {
			t.Fatalf("exit %d, want 2; stderr %s", code, stderr)
		}
	})
}

func TestCheckShardsMergeToTheFullRun(t *testing.T) {
	root := policyExample(t)
	// give the run findings in several clusters and at repo level
	policyEdit(t, root, "clusters/agritech-prod/values/telemetry-ingest.yaml", "\n", "\nextraEnv: {API_PASSWORD: \"s3cr3t-Value-9f8e7d\"}\n")
	if err := os.WriteFile(filepath.Join(root, "clusters", "distrib-prod", "manifests", "broken.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, full, _ := checkJSON(t, root)
	if len(full.Findings) == 0 {
		t.Fatal("the full run has no findings; the equivalence would prove nothing")
	}
	dir := t.TempDir()
	var parts []string
	for _, s := range []string{"1/2", "2/2"} {
		p := filepath.Join(dir, strings.ReplaceAll(s, "/", "-")+".json")
		code, out, errOut := runCLI(t, "check", "--root", root, "--images", "off", "--shard", s, "--format", "json", "--output", "json="+p)
		if code == exitError {
			t.Fatalf("shard %s: %s", s, errOut)
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Clusters) == 0 {
			t.Fatalf("shard %s checked no cluster (%v)", s, err)
		}
		parts = append(parts, p)
	}
	code, merged, errOut := runCLI(t, append([]string{"merge", "--format", "json"}, parts...)...)
	if code == exitError {
		t.Fatal(errOut)
	}
	var got report.Report
	if err := json.Unmarshal([]byte(merged), &got); err != nil {
		t.Fatal(err)
	}
	want := *full
	want.Notes, got.Notes = nil, nil
	// how many apps came from the render cache is a fact of each run
	want.Summary.Cache, got.Summary.Cache = nil, nil
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Fatalf("merged shards differ from the full run:\nfull:   %s\nmerged: %s", a, b)
	}
}

func TestListShardsIsStable(t *testing.T) {
	root := policyExample(t)
	code, out, errOut := runCLI(t, "list", "--root", root, "--shards", "2", "--format", "json")
	if code != exitOK {
		t.Fatal(errOut)
	}
	var l listOutput
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Clusters) != 3 || !slices.Equal(l.Matrix.Shard, []string{"1/2", "2/2"}) {
		t.Fatalf("list: %+v", l)
	}
	seen := map[int]bool{}
	for _, c := range l.Clusters {
		seen[c.Shard] = true
	}
	if !seen[1] || !seen[2] {
		t.Fatalf("clusters not spread over both shards: %+v", l.Clusters)
	}
	_, again, _ := runCLI(t, "list", "--root", root, "--shards", "2", "--format", "json")
	if again != out {
		t.Fatal("list output differs between two runs")
	}
	if code, _, _ := runCLI(t, "check", "--root", root, "--shard", "3/2"); code != exitError {
		t.Fatalf("--shard 3/2: exit %d, want 2", code)
	}
}

func TestCheckWithoutClustersFails(t *testing.T) {
	root := t.TempDir()
	code, rep, stderr := checkJSON(t, root)
	if code != exitFindings || rep == nil || findRule(rep, "render/no-clusters", "") == nil {
		t.Fatalf("a repo where the cluster glob matches nothing: exit %d, report %+v, stderr %s", code, rep, stderr)
	}
}

func TestCheckBadSecretsConfigIsExit2(t *testing.T) {
	root := policyExample(t)
	policyEdit(t, root, ".render-check.yaml", "render:", "secrets:\n  allow:\n  - {paths: ['**'], rules: [secret/no-such-rule]}\nrender:")
	code, _, stderr := checkJSON(t, root)
	if code != exitError || !strings.Contains(stderr, "no-such-rule") {
		t.Fatalf("exit %d, stderr %q: want 2 naming the bad rule", code, stderr)
	}
}
