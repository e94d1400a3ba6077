package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcPercent is the garbage collector's target (GOGC) while the heap is
// small, unless the GOGC variable sets one: a check allocates about ten
// times its live heap, and collecting at five times the live heap instead
// of twice takes about a fifth off a cold check's CPU time (notes in
// README.md, Performance).
const gcPercent = 400

// gcBudget is the heap size the relaxed target may let garbage grow to;
// past it the target falls back towards Go's default (100).
const gcBudget = 1 << 30

// gcPercentFor returns the target that lets a heap of live bytes grow to
// budget before the next collection: gcPercent for a small heap, never
// below Go's default 100, in steps of 25 so it changes rarely.
func gcPercentFor(live, budget int64) int {
	if live <= 0 {
		return gcPercent
	}
	p := (budget - live) * 100 / live
	p = max(100, min(gcPercent, p))
	return int(p / 25 * 25)
}

// tuneGC trades memory for CPU time within a bound: the collector runs
// less often (gcPercent) while that keeps the heap under gcBudget (or half
// the memory guard's limit when lower), and as often as Go's default once
// the live heap is too large for that, so a large repo uses no more memory
// than without tuning and never less CPU is spent than Go's default would
// (unlike a soft memory limit, which makes the collector run continuously
// once the live heap passes it). GOGC set by the job wins. The returned
// function stops the adjustment.
func tuneGC() (stop func()) {
	if _, ok := os.LookupEnv("GOGC"); ok {
		return func() {}
	}
	budget := int64(gcBudget)
	if limit, err := memoryLimit(); err == nil && limit > 0 && limit/2 < budget {
		budget = limit / 2
	}
	cur := gcPercent
	debug.SetGCPercent(cur)
	done := make(chan struct{})
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				continue
			}
			if p := gcPercentFor(int64(sample[0].Value.Uint64()), budget); p != cur {
				cur = p
				debug.SetGCPercent(p)
			}
		}
	}()
	return func() { close(done) }
}
