package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

// policyExample copies testdata/clusters into a temp dir (not a git work
// tree: the policy rules then walk the files).
func policyExample(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "clusters")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// policyEdit replaces old with new in a file of the copy (old must occur).
func policyEdit(t *testing.T, root, file, old, new string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(file))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// policyCheck runs `check --format json` on root and returns the exit code
// and the repo/... findings.
func policyCheck(t *testing.T, root string) (int, []report.Finding) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"check", "--root", root, "--format", "json", "--images", "off"}, strings.NewReader(""), &stdout, &stderr)
	if code == exitError {
		t.Fatalf("check: exit %d: %s", code, stderr.String())
	}
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("decoding report: %v\n%s", err, stdout.String())
	}
	if rep.Summary.Apps == 0 {
		t.Fatalf("the example rendered no apps: %s", stdout.String())
	}
	for _, s := range rep.Skipped {
		if strings.HasPrefix(s, "repo:") {
			t.Fatalf("repo check skipped: %s", s)
		}
	}
	var out []report.Finding
	for _, f := range rep.Findings {
		if f.Check() == "repo" {
			out = append(out, f)
		}
	}
	return code, out
}

// TestPolicyExample shows the example repo passing every repo rule, then
// breaks each rule once in a copy and finds it at the line to edit.
func TestPolicyExample(t *testing.T) {
	t.Run("example passes", func(t *testing.T) {
		_, fs := policyCheck(t, policyExample(t))
		if len(fs) != 0 {
			t.Fatalf("repo findings on the example: %+v", fs)
		}
	})

	type expect struct {
		rule, cluster, app, file string
		line                     int
		severity                 report.Severity
		contains                 string
	}
	tests := []struct {
		name   string
		break_ func(t *testing.T, root string)
		want   []expect
	}{
		{
			name: "codeowners: a cluster owned by nobody",
			break_: func(t *testing.T, root string) {
				policyEdit(t, root, ".github/CODEOWNERS", "*                          @example-org/platform\n", "")
				policyEdit(t, root, ".github/CODEOWNERS", "/clusters/distrib-prod/    @example-org/distrib @example-org/sre\n", "/clusters/distrib-prd/    @example-org/distrib\n")
			},
			want: []expect{
				{"repo/codeowners", "", "", ".github/CODEOWNERS", 8, report.SeverityError, `pattern "/clusters/distrib-prd/" matches no file`},
				{"repo/codeowners", "distrib-prod", "", ".github/CODEOWNERS", 0, report.SeverityError, "clusters/distrib-prod/ is not fully owned"},
			},
		},
		{
			name: "sync-window: the project lost its windows",
			break_: func(t *testing.T, root string) {
				policyEdit(t, root, "clusters/agritech-prod/projects/default.yaml", "  syncWindows:", "  noSyncWindows:")
			},
			// The automated apps of agritech-prod: the root and telemetry-ingest.
			want: []expect{
				{"repo/sync-window", "agritech-prod", "agritech-root", "clusters/agritech-prod/projects/default.yaml", 12, report.SeverityError, `AppProject "default" defines no sync window`},
				{"repo/sync-window", "agritech-prod", "telemetry-ingest", "clusters/agritech-prod/projects/default.yaml", 12, report.SeverityError, `Application "telemetry-ingest" has automated sync but AppProject "default" defines no sync window`},
			},
		},
		{
			name: "notifications: production app without subscription",
			break_: func(t *testing.T, root string) {
				policyEdit(t, root, "clusters/distrib-prod/projects/default.yaml", "notifications.argoproj.io/subscribe.", "example-org.io/was-subscribe.")
				policyEdit(t, root, "clusters/distrib-prod/projects/default.yaml", "notifications.argoproj.io/subscribe.", "example-org.io/was-subscribe.")
				// Subscribed itself: not a finding.
				policyEdit(t, root, "clusters/distrib-prod/apps/warehouse.yaml", "  namespace: argocd\n", "  namespace: argocd\n  annotations:\n    notifications.argoproj.io/subscribe.on-sync-failed.slack: warehouse\n")
			},
			want: []expect{
				{"repo/notifications", "distrib-prod", "distrib-root", "clusters/distrib-prod/apps/root.yaml", 5, report.SeverityWarning, `Application "distrib-root" in production cluster "distrib-prod" has no notification subscription`},
				{"repo/notifications", "distrib-prod", "edge-proxy", "clusters/distrib-prod/apps/edge-proxy.yaml", 3, report.SeverityWarning, "no notification subscription"},
				// generated for distrib-prod by the hub's ApplicationSet: found at its template
				{"repo/notifications", "distrib-prod", "node-exporter-distrib-prod", "clusters/agritech-prod/apps/appsets.yaml", 7, report.SeverityWarning, "no notification subscription"},
				{"repo/notifications", "distrib-prod", "route-planner", "clusters/distrib-prod/apps/route-planner.yaml", 5, report.SeverityWarning, "no notification subscription"},
			},
		},
		{
			name: "app-sanity: undefined project",
			break_: func(t *testing.T, root string) {
				policyEdit(t, root, "clusters/erp-saas-prod/apps/erp-db.yaml", "project: default", "project: erp")
			},
			// Without its project the app also lost the project's subscriptions.
			want: []expect{
				{"repo/notifications", "erp-saas-prod", "erp-db", "clusters/erp-saas-prod/apps/erp-db.yaml", 3, report.SeverityWarning, `to it or to AppProject "erp"`},
				{"repo/app-sanity", "erp-saas-prod", "erp-db", "clusters/erp-saas-prod/apps/erp-db.yaml", 7, report.SeverityError, `project "erp" is not defined in the repo`},
			},
		},
		{
			name: "adoption: automated app not adopted",
			break_: func(t *testing.T, root string) {
				f, err := os.OpenFile(filepath.Join(root, ".render-check.yaml"), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := f.WriteString("policy:\n  adoption:\n    adopted: ['*/*-root', agritech-prod/telemetry-ingest]\n"); err != nil {
					t.Fatal(err)
				}
				policyEdit(t, root, "clusters/erp-saas-prod/apps/billing.yaml", "  syncPolicy:\n", "  syncPolicy:\n    automated: {selfHeal: true}\n")
			},
			want: []expect{
				{"repo/adoption", "erp-saas-prod", "billing", "clusters/erp-saas-prod/apps/billing.yaml", 24, report.SeverityError, `Application "billing" has automated sync but is not in policy.adoption.adopted`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := policyExample(t)
			tt.break_(t, root)
			code, got := policyCheck(t, root)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d repo findings, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Rule != w.rule || g.Cluster != w.cluster || g.App != w.app || g.File != w.file || g.Line != w.line || g.Severity != w.severity || !strings.Contains(g.Message, w.contains) {
					t.Errorf("finding %d:\n got  %s %s %s/%s %s:%d %q\n want %s %s %s/%s %s:%d containing %q", i,
						g.Rule, g.Severity, g.Cluster, g.App, g.File, g.Line, g.Message,
						w.rule, w.severity, w.cluster, w.app, w.file, w.line, w.contains)
				}
			}
			hasError := false
			for _, w := range tt.want {
				hasError = hasError || w.severity == report.SeverityError
			}
			if hasError && code != exitFindings {
				t.Errorf("exit code %d, want %d for an error finding", code, exitFindings)
			}
		})
	}
}
