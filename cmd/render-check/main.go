// Command render-check renders every cluster of an Argo CD config repo as
// Argo CD would and checks the result. See README.md.
package main

import (
	"context"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Embedded libraries (kustomize, helm) print warnings through the global
	// logger, interleaved across parallel renders; findings are our output.
	log.SetOutput(io.Discard)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
