// Command render-check renders every cluster of an Argo CD config repo as
// Argo CD would and checks the result. See README.md.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	// Embedded libraries (kustomize, helm) print warnings through the global
	// logger, interleaved across parallel renders; findings are our output.
	log.SetOutput(io.Discard)
	stderr := os.Stderr
	restore := filterLibraryStderr()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile(stderr)
	stopGC := tuneGC()
	stopGuard, err := startMemoryGuard(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "render-check:", err)
		os.Exit(exitError)
	}
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, stderr)
	stopGuard()
	stopGC()
	stopProfile()
	stop()
	restore()
	os.Exit(code)
}

// filterLibraryStderr routes what libraries write to os.Stderr through
// dropLibraryNoise: kustomize prints deprecation warnings there directly
// (reported as render/deprecated findings instead). The commands write to
// the stderr they were given, never os.Stderr. The returned function
// restores os.Stderr and flushes what was written.
func filterLibraryStderr() (restore func()) {
	orig := os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		return func() {}
	}
	os.Stderr = w
	done := make(chan struct{})
	go func() {
		dropLibraryNoise(r, orig)
		close(done)
	}()
	return func() {
		os.Stderr = orig
		w.Close()
		<-done
		r.Close()
	}
}

// dropLibraryNoise copies lines from r to w, leaving out kustomize's
// deprecation warnings ("# Warning: 'commonLabels' is deprecated...").
func dropLibraryNoise(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# Warning: '") && strings.Contains(line, "is deprecated") {
			continue
		}
		io.WriteString(w, line+"\n")
	}
	// a line longer than the buffer: pass the rest through unfiltered
	io.Copy(w, r)
}
