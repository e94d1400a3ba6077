package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/inventory"
)

func TestActionInventory(t *testing.T) {
	bin := buildShipBinary(t)
	ws, commits := historyRepo(t, "registry.example/org/web")
	r := runActionBin(t, bin, ws, map[string]string{"command": "inventory", "clusters": "prod"})
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r.outputs["inventory"] != "render-check-reports/inventory.json" || r.outputs["exit-code"] != "0" {
		t.Fatalf("outputs %v", r.outputs)
	}
	row := "| web | registry.example/org/web | 1.2.0 |  | clusters/prod/overlays/web/kustomization.yaml:6 | " + commits[3][:12]
	if !strings.Contains(r.summary, "### prod") || !strings.Contains(r.summary, row) || strings.Contains(r.summary, "### staging") {
		t.Fatalf("job summary:\n%s", r.summary)
	}
	data, err := os.ReadFile(filepath.Join(ws, "render-check-reports", "inventory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal(data, &inv); err != nil || len(inv.Clusters) != 1 || inv.Clusters[0].Name != "prod" {
		t.Fatalf("inventory.json: %v\n%s", err, data)
	}

	r = runActionBin(t, bin, ws, map[string]string{"command": "inventory", "clusters": "nope"})
	if r.code != exitError || !strings.Contains(r.stdout, "::error") {
		t.Fatalf("unknown cluster: exit %d\n%s", r.code, r.stdout)
	}
}
