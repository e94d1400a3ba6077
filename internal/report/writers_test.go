package report

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestCodeQualityFields checks every issue against GitLab's Code Quality
// field list: description, check_name, fingerprint, severity (one of GitLab's
// five), location.path and location.lines.begin.
func TestCodeQualityFields(t *testing.T) {
	r := sampleReport()
	var issues []map[string]any
	if err := json.Unmarshal(render(t, "codequality", r, goldenOptions), &issues); err != nil {
		t.Fatal(err)
	}
	if len(issues) != len(r.Findings) {
		t.Fatalf("%d issues for %d findings", len(issues), len(r.Findings))
	}
	severities := map[string]bool{"info": true, "minor": true, "major": true, "critical": true, "blocker": true}
	fps := map[string]bool{}
	for i, is := range issues {
		str := func(k string) string {
			s, ok := is[k].(string)
			if !ok || s == "" {
				t.Errorf("issue %d: %s missing or not a non-empty string: %v", i, k, is[k])
			}
			return s
		}
		str("description")
		if got := str("check_name"); got != r.Findings[i].Rule {
			t.Errorf("issue %d: check_name %q", i, got)
		}
		fp := str("fingerprint")
		if fps[fp] {
			t.Errorf("issue %d: duplicate fingerprint", i)
		}
		fps[fp] = true
		if sev := str("severity"); !severities[sev] {
			t.Errorf("issue %d: severity %q not a GitLab severity", i, sev)
		}
		loc, _ := is["location"].(map[string]any)
		if p, _ := loc["path"].(string); p == "" || strings.HasPrefix(p, "/") {
			t.Errorf("issue %d: location.path %q", i, p)
		} else if f := r.Findings[i].File; f != "" && p != "config/"+f {
			t.Errorf("issue %d: location.path %q, want config/%s", i, p, f)
		}
		lines, _ := loc["lines"].(map[string]any)
		if b, ok := lines["begin"].(float64); !ok || b < 1 || b != float64(int(b)) {
			t.Errorf("issue %d: location.lines.begin %v", i, lines["begin"])
		}
	}
}

var annotationRE = regexp.MustCompile(`^::(error|warning|notice) ([a-z]+=[^,:]*)(,[a-z]+=[^,:]*)*::[^\r\n]*$`)

// TestGitHubAnnotations checks the workflow command syntax, including that
// a message with a newline and "::" cannot start a second command.
func TestGitHubAnnotations(t *testing.T) {
	r := sampleReport()
	out := string(render(t, "github", r, goldenOptions))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var cmds []string
	for _, l := range lines {
		if strings.HasPrefix(l, "::") {
			if !annotationRE.MatchString(l) {
				t.Errorf("malformed workflow command: %s", l)
			}
			cmds = append(cmds, l)
		}
	}
	if want := len(r.Findings) + len(r.Skipped); len(cmds) != want {
		t.Fatalf("%d commands, want %d:\n%s", len(cmds), want, out)
	}
	if !strings.Contains(out, "::error file=config/clusters/distrib-prod/apps/warehouse.yaml,line=19,title=image/tag-not-found (distrib-prod/warehouse)::StatefulSet/distrib/warehouse: registry.example/distrib/warehouse:0.9.0: tag not found\n") {
		t.Errorf("image annotation missing or wrong:\n%s", out)
	}
	if !strings.Contains(out, "removed in 1.25%0A::error::injected") {
		t.Errorf("newline in message not escaped:\n%s", out)
	}
	if !strings.Contains(out, "100%25 sure") {
		t.Errorf("percent not escaped:\n%s", out)
	}
	if !strings.HasSuffix(out, "render-check: 2 clusters, 3 apps, 9 resources: 4 errors, 1 warning\n") {
		t.Errorf("summary line missing:\n%s", out)
	}
}

func TestSummaryMarkdown(t *testing.T) {
	out := string(render(t, "summary", sampleReport(), goldenOptions))
	for _, want := range []string{
		"## render-check: ❌ 4 errors, 1 warning",
		"| distrib-prod | 1.33 | 2 | 7 | 2 | 1 |",
		"| agritech-prod | 1.34 | 1 | 2 | 1 | 0 |",
		"<details open><summary><b>repository</b>: 1 error, 0 warnings</summary>",
		"<details open><summary><b>distrib-prod</b>: 2 errors, 1 warning</summary>",
		"`config/clusters/distrib-prod/apps/warehouse.yaml:19`",
		"- image: --images off for agritech-prod",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// every table row keeps its column count despite | and newlines in messages
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "| ") {
			continue
		}
		cells := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|")
		if cells != 7 {
			t.Errorf("row has %d separators, want 7: %s", cells, l)
		}
	}
	if strings.Contains(out, "<b>not html</b>") {
		t.Error("HTML from a message reached the summary unescaped")
	}
	// collapsed when a cluster has only warnings or notes
	r := sampleReport()
	var keep []Finding
	for _, f := range r.Findings {
		if f.Severity != SeverityError {
			keep = append(keep, f)
		}
	}
	r.Findings = keep
	r.Finalize()
	out = string(render(t, "summary", r, Options{}))
	if !strings.Contains(out, "<details><summary><b>distrib-prod</b>: 0 errors, 1 warning</summary>") ||
		!strings.Contains(out, "## render-check: ⚠️ 0 errors, 1 warning") {
		t.Errorf("warnings-only summary:\n%s", out)
	}
}

func TestSummaryCapsRows(t *testing.T) {
	r := &Report{Clusters: []Cluster{{Name: "c", Apps: []App{{Name: "a"}}}}}
	for i := 0; i < summaryMaxRows+7; i++ {
		r.Findings = append(r.Findings, Finding{Rule: "schema/x", Severity: SeverityError, Cluster: "c", App: "a", Message: strings.Repeat("m", i+1)})
	}
	r.Finalize()
	out := string(render(t, "summary", r, Options{}))
	if !strings.Contains(out, "… and 7 more") {
		t.Errorf("rows not capped:\n%s", out)
	}
}

func TestTextColour(t *testing.T) {
	r := sampleReport()
	plain := string(render(t, "text", r, Options{}))
	if strings.Contains(plain, "\x1b[") {
		t.Error("escape codes without Color")
	}
	coloured := string(render(t, "text", r, Options{Color: true}))
	if !strings.Contains(coloured, "\x1b[31;1merror\x1b[0m") {
		t.Error("no red error with Color")
	}
	if stripANSI(coloured) != plain {
		t.Error("colour changes the text beyond escape codes")
	}
}

func stripANSI(s string) string {
	return regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(s, "")
}

// TestTotalsWithoutClusters: a secrets or validate run renders no cluster,
// and the summaries do not claim "0 clusters, 0 apps".
func TestTotalsWithoutClusters(t *testing.T) {
	r := &Report{Findings: []Finding{{Rule: "secret/plaintext-secret", Severity: SeverityError, File: "a.yaml", Line: 1, Message: "m"}}}
	r.Finalize()
	for format, want := range map[string]string{
		"text":   "\n1 error, 0 warnings\n",
		"github": "\nrender-check: 1 error, 0 warnings\n",
	} {
		if out := string(render(t, format, r, Options{})); !strings.HasSuffix(out, want) || strings.Contains(out, "clusters") {
			t.Errorf("%s: %q", format, out)
		}
	}
	if out := string(render(t, "summary", r, Options{})); strings.Contains(out, "rendered") || strings.Contains(out, "| Cluster |") {
		t.Errorf("summary of a file scan talks about clusters:\n%s", out)
	}
	r.Summary.Resources = 12
	if out := string(render(t, "text", r, Options{})); !strings.HasSuffix(out, "\n12 resources: 1 error, 0 warnings\n") {
		t.Errorf("validate-style totals: %q", out)
	}
}
