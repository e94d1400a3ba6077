package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpEveryCommandHasExamplesAndExitCodes walks the command tree: every
// visible command's --help shows examples and its exit codes.
func TestHelpEveryCommandHasExamplesAndExitCodes(t *testing.T) {
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		seen++
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q: no Example", c.CommandPath())
		} else if !strings.Contains(c.Example, "render-check ") {
			t.Errorf("%q: Example does not invoke render-check: %q", c.CommandPath(), c.Example)
		}
		if !strings.Contains(c.Long, "Exit codes") {
			t.Errorf("%q: Long does not mention \"Exit codes\"", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	// root, 14 commands (appset and schemas with their subcommands)
	if seen < 17 {
		t.Errorf("walked %d commands, want at least 17", seen)
	}
}

// TestHelpOutputShowsExamplesAndExitCodes checks what a user sees: --help of
// a command prints its examples and exit codes.
func TestHelpOutputShowsExamplesAndExitCodes(t *testing.T) {
	for _, args := range [][]string{{"bump", "--help"}, {"diff", "--help"}, {"schemas", "export", "--help"}} {
		var out, errb strings.Builder
		code := run(t.Context(), args, strings.NewReader(""), &out, &errb)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		for _, want := range []string{"Examples:", "Exit codes:", "  0  "} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out.String())
			}
		}
	}
}
