package main

import (
	"strings"
	"testing"
)

func TestDropLibraryNoise(t *testing.T) {
	in := "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead. Run 'kustomize edit fix' to update your Kustomization automatically.\n" +
		"something else\n# Warning: 'vars' is deprecated. Please use 'replacements' instead.\n# Warning: not kustomize\n"
	var out strings.Builder
	dropLibraryNoise(strings.NewReader(in), &out)
	if got, want := out.String(), "something else\n# Warning: not kustomize\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
