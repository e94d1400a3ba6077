package main

import (
	"strings"
	"testing"
)

func TestCheckProgress(t *testing.T) {
	root := policyExample(t)
	code, _, stderr := runCLI(t, "check", "--root", root, "--images", "off", "--format", "json", "--progress", "plain")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"render-check: render: discovering and rendering clusters\n",
		"render-check: render: 3 clusters, 16 apps, ",
		"render-check: schema: 0 findings (",
		"render-check: image: 0 findings, skipped: --images off (",
		"render-check: repo: 0 findings (",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	_, _, stderr = runCLI(t, "check", "--root", root, "--images", "off", "--format", "json", "--progress", "tty")
	if !strings.Contains(stderr, "\r\x1b[Krender: ") || !strings.HasSuffix(stderr, "\r\x1b[K") {
		t.Errorf("tty progress is not one rewritten line cleared at the end: %q", stderr)
	}
	// auto: not a terminal and not in a CI runner: silent
	t.Setenv("GITHUB_ACTIONS", "")
	t.Setenv("GITLAB_CI", "")
	if _, _, stderr = runCLI(t, "check", "--root", root, "--images", "off", "--format", "json"); strings.Contains(stderr, "render-check: render") {
		t.Errorf("auto progress printed outside a terminal or CI runner: %q", stderr)
	}
	if code, _, _ := runCLI(t, "check", "--root", root, "--progress", "fancy"); code != exitError {
		t.Errorf("--progress fancy: exit %d, want 2", code)
	}
}
