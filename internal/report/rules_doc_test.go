package report

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryRuleDocumented finds every rule name written in the code and
// checks it has its own documentation entry and a row in docs/rules.md.
func TestEveryRuleDocumented(t *testing.T) {
	re := regexp.MustCompile(`"((render|schema|image|secret|repo)/[a-z-]+)"`)
	found := map[string]string{"schema/failed": "", "image/failed": "", "secret/failed": "", "repo/failed": ""} // st.Name + "/failed"
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
	docs, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	for rule, where := range found {
		if _, ok := ruleDocs[rule]; !ok {
			t.Errorf("rule %s (%s) has no entry in ruleDocs", rule, where)
		}
		if !strings.Contains(string(docs), "| `"+rule+"` |") {
			t.Errorf("rule %s is not in docs/rules.md", rule)
		}
	}
}
