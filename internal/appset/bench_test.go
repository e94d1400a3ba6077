package appset

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkExpand100x20 expands 100 ApplicationSets of 20 list elements
// each (2000 Applications), half in goTemplate mode.
func BenchmarkExpand100x20(b *testing.B) {
	var ins []Input
	for i := range 100 {
		var sb strings.Builder
		fmt.Fprintf(&sb, "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: set%d, namespace: argocd}\nspec:\n", i)
		gt := i%2 == 0
		fmt.Fprintf(&sb, "  goTemplate: %v\n  generators:\n  - list:\n      elements:\n", gt)
		for j := range 20 {
			fmt.Fprintf(&sb, "      - {name: app%d-%d, ns: team%d, tier: gold}\n", i, j, j)
		}
		if gt {
			sb.WriteString("  template:\n    metadata: {name: '{{.name}}', labels: {tier: '{{.tier | upper}}'}}\n    spec:\n      project: default\n      source: {repoURL: https://git.example/config.git, path: 'apps/{{.name}}', targetRevision: main}\n      destination: {server: https://kubernetes.default.svc, namespace: '{{.ns}}'}\n")
		} else {
			sb.WriteString("  template:\n    metadata: {name: '{{name}}', labels: {tier: '{{tier}}'}}\n    spec:\n      project: default\n      source: {repoURL: https://git.example/config.git, path: 'apps/{{name}}', targetRevision: main}\n      destination: {server: https://kubernetes.default.svc, namespace: '{{ns}}'}\n")
		}
		ins = append(ins, input(b, sb.String()))
	}
	b.ResetTimer()
	for b.Loop() {
		res := ExpandAll(ins, &Env{})
		if len(res.Apps) != 2000 || len(res.Findings) != 0 {
			b.Fatalf("%d apps, findings %v", len(res.Apps), res.Findings)
		}
	}
}
