package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestCLIReference keeps docs/cli.md equal to the commands' own help: the
// reference is generated (go test ./cmd/render-check -run TestCLIReference
// -update) and this test fails when it drifts.
func TestCLIReference(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("# render-check command reference\n\nGenerated from the commands' help by `go test ./cmd/render-check -run TestCLIReference -update`; do not edit.\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if c.HasParent() {
			fmt.Fprintf(&b, "\n## %s\n\n", c.CommandPath())
			if c.Long != "" {
				b.WriteString(strings.TrimSpace(c.Long) + "\n\n")
			} else {
				b.WriteString(c.Short + "\n\n")
			}
			fmt.Fprintf(&b, "```\n%s\n", c.UseLine())
			if fl := c.LocalFlags().FlagUsages(); fl != "" {
				b.WriteString("\n" + fl)
			}
			b.WriteString("```\n")
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	// golden() reads testdata/<name>: climb out of it to the repo's docs/
	golden(t, filepath.Join("..", "..", "..", "docs", "cli.md"), b.String())
}
