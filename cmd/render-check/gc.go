package main

import (
	"os"
	"runtime/debug"
)

// gcPercent is the garbage collector's target (GOGC) unless the GOGC
// variable sets one: a check allocates about ten times its live heap, and
// collecting at five times the live heap instead of twice takes about a
// fifth off a cold check's CPU time for about 80 MB more peak memory on
// 600 apps (notes in bench/README.md).
const gcPercent = 400

// maxSoftMemory caps the heap size past which the collector runs as often
// as it must to stay under it (a soft limit: never an error), unless the
// GOMEMLIMIT variable sets one.
const maxSoftMemory = 1 << 30

// tuneGC trades memory for CPU time within bounds: the collector runs less
// often (gcPercent), but harder as the heap nears the soft limit, which is
// maxSoftMemory or half the memory guard's limit when that is lower, so a
// large repo keeps close to the memory it used before and the guard
// (startMemoryGuard) still sees garbage collected first. GOGC and GOMEMLIMIT
// set by the job win.
func tuneGC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(gcPercent)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		soft := int64(maxSoftMemory)
		if limit, err := memoryLimit(); err == nil && limit > 0 && limit/2 < soft {
			soft = limit / 2
		}
		debug.SetMemoryLimit(soft)
	}
}
