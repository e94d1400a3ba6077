// Command gen writes a synthetic Argo CD config repo for benchmarks (see
// internal/benchrepo).
//
//	go run ./bench/gen -clusters 20 -apps 30 -out /tmp/bench-repo -shell /tmp/pipeline.sh
package main

import (
	"flag"
	"log"

	"github.com/render-check/render-check/internal/benchrepo"
)

func main() {
	clusters := flag.Int("clusters", 20, "number of clusters")
	apps := flag.Int("apps", 30, "apps per cluster")
	out := flag.String("out", "", "output directory (must not exist or be empty)")
	shell := flag.String("shell", "", "also write the equivalent upstream-CLI pipeline, one shell line per app, to this file")
	flag.Parse()
	if *out == "" {
		log.Fatal("gen: -out is required")
	}
	if err := benchrepo.Generate(*out, *shell, *clusters, *apps); err != nil {
		log.Fatal(err)
	}
}
