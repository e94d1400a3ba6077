package report

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryRuleHasItsOwnDoc: every rule constant of the code base has its
// own help text (SARIF rule help), distinct from every other rule's.
func TestEveryRuleHasItsOwnDoc(t *testing.T) {
	re := regexp.MustCompile(`"((?:render|schema|image|secret|repo)/[a-z-]+)"`)
	rules := map[string]bool{"render/no-clusters": true}
	err := filepath.WalkDir(filepath.Join("..", ".."), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			rules[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 30 {
		t.Fatalf("found only %d rules: %v", len(rules), rules)
	}
	helps := map[string]string{}
	for r := range rules {
		d, ok := LookupRule(r)
		if !ok || d.Help == "" {
			t.Errorf("rule %s has no help text of its own in the rule table", r)
			continue
		}
		if other, dup := helps[d.Help]; dup {
			t.Errorf("rules %s and %s share a help text", r, other)
		}
		helps[d.Help] = r
	}
}
