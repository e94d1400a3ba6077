package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEExampleParses keeps the README's configuration example valid:
// unknown keys are an error, so a stale example would mislead every user.
func TestREADMEExampleParses(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, "### Configuration")
	if i < 0 {
		t.Fatal("README has no Configuration section")
	}
	s = s[i:]
	start := strings.Index(s, "```yaml\n")
	end := strings.Index(s[start+8:], "```")
	if start < 0 || end < 0 {
		t.Fatal("README's Configuration section has no yaml block")
	}
	block := s[start+8 : start+8+end]
	c, err := Parse("README.md", []byte(block))
	if err != nil {
		t.Fatalf("README configuration example: %v", err)
	}
	if c.KubernetesVersionFor("agritech-prod") != "1.33" || c.Images.Mode != "verify" {
		t.Fatalf("example decoded wrong: %+v", c)
	}
}
