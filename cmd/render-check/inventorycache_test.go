package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// oldTime is a modification time long before any test ran.
var oldTime = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// ageEntries sets every render cache pack's modification time far in the
// past, so that a later hit (which refreshes its pack) shows; it returns
// the packs.
func ageEntries(t *testing.T, cache string) []string {
	t.Helper()
	packs := cachePacks(t, cache, "render", "trusted")
	for _, p := range packs {
		if err := os.Chtimes(p, oldTime, oldTime); err != nil {
			t.Fatal(err)
		}
	}
	return packs
}

// hitEntries lists the keys used since ageEntries aged the packs: those in
// a refreshed aged pack and not stored again since (a render stores its
// result in a new pack).
func hitEntries(t *testing.T, cache string, aged []string) []string {
	t.Helper()
	wasAged := map[string]bool{}
	for _, p := range aged {
		wasAged[p] = true
	}
	stored := map[string]bool{}
	var refreshed []string
	for _, p := range cachePacks(t, cache, "render", "trusted") {
		if !wasAged[p] {
			for _, k := range packKeys(t, p) {
				stored[k] = true
			}
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.ModTime().Year() > 2001 {
			refreshed = append(refreshed, packKeys(t, p)...)
		}
	}
	var out []string
	for _, k := range refreshed {
		if !stored[k] {
			out = append(out, k)
		}
	}
	return out
}

// TestInventoryAndRollbackUseRenderCache: inventory and rollback render
// through the render cache as check does: inventory stores the entries
// check then hits, a warm inventory reads every entry and lists what a run
// without the cache lists, an edit is seen, and an image rollback's
// inventory and render are served from the cache for what it did not edit.
func TestInventoryAndRollbackUseRenderCache(t *testing.T) {
	const web = "registry.example/org/web"
	root, _ := historyRepo(t, web)
	cache := t.TempDir()
	inv := func(extra ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"inventory", "--root", root, "--format", "json"}, extra...)...)
		if code != exitOK {
			t.Fatalf("inventory %v: exit %d\n%s", extra, code, stderr)
		}
		return stdout
	}
	fresh := inv("--no-cache")
	if got := cacheEntries(t, cache, "trusted"); len(got) != 0 {
		t.Fatalf("entries before any cached run: %v", got)
	}
	if cold := inv("--cache-dir", cache); cold != fresh {
		t.Errorf("inventory with an empty cache differs from one without:\n%s\nwant:\n%s", cold, fresh)
	}
	stored := cacheEntries(t, cache, "trusted")
	if len(stored) != 3 {
		t.Fatalf("inventory stored %d entries, want one per app (3)", len(stored))
	}
	// check finds every app inventory stored: the same keys
	_, raw, _ := runCheckJSON(t, root, "--cache-dir", cache)
	if st := cacheStats(t, raw); st.Hits != 3 || st.Misses != 0 {
		t.Errorf("check after inventory: %+v, want 3 hits", st)
	}

	aged := ageEntries(t, cache)
	if warm := inv("--cache-dir", cache); warm != fresh {
		t.Errorf("warm inventory differs from one without cache:\n%s\nwant:\n%s", warm, fresh)
	}
	if hit := hitEntries(t, cache, aged); len(hit) != 3 {
		t.Errorf("warm inventory used %d of 3 entries", len(hit))
	}

	// an uncommitted edit is rendered, not taken from the cache
	overlay := filepath.Join(root, "clusters/staging/overlays/web/kustomization.yaml")
	writeFiles(t, root, map[string]string{"clusters/staging/overlays/web/kustomization.yaml": strings.Replace(readFile(t, overlay), `"1.0.0"`, `"1.0.1"`, 1)})
	code, stdout, stderr := runCLI(t, "inventory", "--root", root, "--cluster", "staging", "--no-history", "--cache-dir", cache)
	if want := "staging/web\timage\t" + web + ":1.0.1\t"; code != exitOK || !strings.HasPrefix(stdout, want) {
		t.Errorf("after the edit: exit %d\n%s\nwant prefix %q\n%s", code, stdout, want, stderr)
	}
	if n := len(cacheEntries(t, cache, "trusted")); n != 3 {
		t.Errorf("%d entries after the edit, want 3 (the edited app's result replaced under its key)", n)
	}

	// rollback of prod's web: its inventory is served from the cache
	aged = ageEntries(t, cache)
	code, stdout, stderr = runCLI(t, "rollback", "--root", root, "--image", web, "--cluster", "prod", "--no-verify", "--format", "json", "--cache-dir", cache)
	var out struct {
		From, To string
		Bump     struct{ RenderChecked bool }
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &out) != nil || out.From != "1.2.0" || out.To != "1.1.0" || !out.Bump.RenderChecked {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
	}
	prod := readFile(t, filepath.Join(root, "clusters/prod/overlays/web/kustomization.yaml"))
	if !strings.Contains(prod, `newTag: "1.1.0"`) {
		t.Errorf("prod after rollback:\n%s", prod)
	}
	hit := hitEntries(t, cache, aged)
	if len(hit) < 2 {
		t.Errorf("rollback used %d entries, want at least prod's two apps", len(hit))
	}
	// and after it, inventory shows the rolled-back tag (the old entry of
	// prod/web no longer matches its files)
	code, stdout, _ = runCLI(t, "inventory", "--root", root, "--cluster", "prod", "--image", web, "--no-history", "--cache-dir", cache)
	if want := "prod/web\timage\t" + web + ":1.1.0\t"; code != exitOK || !strings.HasPrefix(stdout, want) {
		t.Errorf("inventory after the rollback:\n%s\nwant prefix %q", stdout, want)
	}
}
