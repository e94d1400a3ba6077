package inventory

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/benchrepo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/render"
)

// BenchmarkInventory measures the inventory of the 600-app synthetic repo
// (internal/benchrepo, 20 clusters x 30 apps) with 60 tag bumps on top of
// the initial commit: the render and the images' locations alone
// (history=false), the whole inventory with the last change of every line
// (history=true), and the history walk alone. Compare with
// internal/pipeline's BenchmarkRender.
func BenchmarkInventory(b *testing.B) {
	root := b.TempDir()
	if err := benchrepo.Generate(root, "", 20, 30); err != nil {
		b.Fatal(err)
	}
	gitB := func(args ...string) {
		b.Helper()
		out, err := gitCmd(root, args...)
		if err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitB("init", "-q", "-b", "main")
	gitB("add", "-A")
	gitB("commit", "-q", "-m", "initial")
	for i := 0; i < 60; i++ {
		rel := fmt.Sprintf("clusters/cluster-%02d/overlays/svc-%03d/kustomization.yaml", i%20, 3*(i%10)+1)
		p := filepath.Join(root, filepath.FromSlash(rel))
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		for j, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "newTag:") {
				lines[j] = fmt.Sprintf("  newTag: \"3.%d.0\"", i)
			}
		}
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			b.Fatal(err)
		}
		gitB("commit", "-q", "-am", fmt.Sprintf("bump %d", i))
	}
	cfg, err := config.Load(root, "")
	if err != nil {
		b.Fatal(err)
	}
	for _, history := range []bool{false, true} {
		b.Run(fmt.Sprintf("apps=600/history=%v", history), func(b *testing.B) {
			for b.Loop() {
				inv, err := Build(context.Background(), Options{Root: root, Config: cfg, History: history})
				if err != nil || inv.HistoryError != "" {
					b.Fatal(err, inv.HistoryError)
				}
			}
		})
	}
	res, err := render.Render(context.Background(), render.Options{Root: root, Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	inv := fromRender(root, res, "")
	var lines []LineRef
	inv.each(func(file string, line int, _ **Change) { lines = append(lines, LineRef{file, line}) })
	b.Run(fmt.Sprintf("blame/lines=%d", len(lines)), func(b *testing.B) {
		for b.Loop() {
			got, err := Blame(context.Background(), root, lines)
			if err != nil || len(got) == 0 {
				b.Fatal(err)
			}
		}
	})
}
