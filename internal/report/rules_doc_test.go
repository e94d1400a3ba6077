package report

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// rulesMarkdown is docs/rules.md, generated from the rule table.
func rulesMarkdown() string {
	var b strings.Builder
	b.WriteString("# Rules\n\nGenerated from the rule table (internal/report/rules.go) by `go test ./internal/report -run TestEveryRuleDocumented -update`; do not edit.\n")
	b.WriteString("Severities can be changed per rule (`policy.severity`, a cluster's `severity`; see [policy.md](policy.md)).\n\n")
	b.WriteString("| Rule | Default | What | What to do |\n|------|---------|------|------------|\n")
	for _, r := range Rules() {
		d := DocFor(r.Name)
		b.WriteString("| `" + r.Name + "` | " + string(r.Severity) + " | " + strings.ReplaceAll(d.Short, "|", "\\|") + " | " + strings.ReplaceAll(d.Help, "|", "\\|") + " |\n")
	}
	return b.String()
}

// TestEveryRuleDocumented finds every rule name written in the code and
// checks it is in the rule table and in docs/rules.md (generated from it).
func TestEveryRuleDocumented(t *testing.T) {
	re := regexp.MustCompile(`"((render|schema|image|secret|repo)/[a-z-]+)"`)
	found := map[string]string{}
	for _, dir := range []string{"../../internal", "../../cmd"} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range re.FindAllStringSubmatch(string(data), -1) {
				found[m[1]] = p
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for rule, where := range found {
		if _, ok := LookupRule(rule); !ok {
			t.Errorf("rule %s (%s) is not in the rule table", rule, where)
		}
	}
	want := rulesMarkdown()
	if *update {
		if err := os.WriteFile("../../docs/rules.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Error("docs/rules.md differs from the rule table (go test ./internal/report -run TestEveryRuleDocumented -update)")
	}
}
