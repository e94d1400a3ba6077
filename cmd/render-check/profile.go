package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile to the file named by
// RENDER_CHECK_CPUPROFILE, when set, until the returned function is called
// (bench/README.md: profiling the binary). The variable comes from the
// environment the job sets, never from the checkout.
func startProfile(stderr io.Writer) (stop func()) {
	name := os.Getenv("RENDER_CHECK_CPUPROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintf(stderr, "RENDER_CHECK_CPUPROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "RENDER_CHECK_CPUPROFILE: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "RENDER_CHECK_CPUPROFILE: %v\n", err)
		}
	}
}
