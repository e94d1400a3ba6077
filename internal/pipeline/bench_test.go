package pipeline

import (
	"context"
	"fmt"
	"testing"

	"github.com/render-check/render-check/internal/benchrepo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/render"
)

// BenchmarkRender and BenchmarkCheck measure the render stage alone and a
// whole `check --images off` on a synthetic repo of 150 and 600 apps (see
// bench/run.sh for the comparison with the upstream CLIs).
func BenchmarkRender(b *testing.B) {
	for _, size := range [][2]int{{5, 30}, {20, 30}} {
		root, cfg := benchRepo(b, size[0], size[1])
		b.Run(fmt.Sprintf("apps=%d", size[0]*size[1]), func(b *testing.B) {
			for b.Loop() {
				res, err := render.Render(context.Background(), render.Options{Root: root, Config: cfg})
				if err != nil || len(res.Findings) != 0 {
					b.Fatalf("render: %v %v", err, res.Findings)
				}
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	for _, size := range [][2]int{{5, 30}, {20, 30}} {
		root, cfg := benchRepo(b, size[0], size[1])
		b.Run(fmt.Sprintf("apps=%d", size[0]*size[1]), func(b *testing.B) {
			for b.Loop() {
				rep, err := Check(context.Background(), Options{Root: root, Config: cfg, Images: "off", KubeVersion: "1.34"})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(rep.Summary.Resources), "resources")
			}
		})
	}
}

func benchRepo(b *testing.B, clusters, apps int) (string, *config.Config) {
	b.Helper()
	root := b.TempDir()
	if err := benchrepo.Generate(root, "", clusters, apps); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(root, "")
	if err != nil {
		b.Fatal(err)
	}
	return root, cfg
}
