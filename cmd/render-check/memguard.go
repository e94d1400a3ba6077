package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/render-check/render-check/internal/render"
)

// defaultMaxMemory is the heap the memory guard allows when
// RENDER_CHECK_MAX_MEMORY is unset (lowered to three quarters of a cgroup
// memory limit): a 2,400-app check peaks near 300 MB.
const defaultMaxMemory = 3 << 30

// memoryGuardEnv names the variable that sets the guard's limit
// ("512MiB", "8GiB", a number of bytes; "0" or "off" turns it off).
const memoryGuardEnv = "RENDER_CHECK_MAX_MEMORY"

// parseMemory reads a size such as "512MiB", "8G" or "1048576".
func parseMemory(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%s: %q is not a size such as 512MiB or 8GiB", memoryGuardEnv, s)
	}
	return n * mult, nil
}

// memoryLimit is the guard's limit: the variable when set, else the default
// capped by the cgroup's memory limit. 0 means no guard.
func memoryLimit() (int64, error) {
	if v, ok := os.LookupEnv(memoryGuardEnv); ok && v != "" {
		if v == "off" {
			return 0, nil
		}
		return parseMemory(v)
	}
	limit := int64(defaultMaxMemory)
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && n/4*3 < limit {
			limit = n / 4 * 3
		}
	}
	return limit, nil
}

// startMemoryGuard stops the process with exit code 2 and one clear line
// naming the apps being rendered when the heap outgrows the limit, before
// the runner runs out of memory: a Helm template can build output without
// bound in a loop, and the renderer libraries do not stop on a deadline
// (docs/security.md). The limit comes from the environment the job sets,
// never from the checkout.
func startMemoryGuard(stderr io.Writer) (stop func(), err error) {
	limit, err := memoryLimit()
	if err != nil || limit == 0 {
		return func() {}, err
	}
	done := make(chan struct{})
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		heap := func() int64 {
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return 0
			}
			return int64(sample[0].Value.Uint64())
		}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if heap() <= limit {
				continue
			}
			runtime.GC() // garbage is not usage
			if h := heap(); h > limit {
				apps := render.InFlight()
				which := "no app is being rendered"
				if len(apps) > 0 {
					which = "rendering " + strings.Join(apps, ", ")
				}
				fmt.Fprintf(stderr, "render-check: memory limit exceeded: the heap reached %d MiB, the limit is %d MiB (%s), while %s; stopped before the runner runs out of memory: a template that builds output without bound? (docs/security.md)\n",
					h>>20, limit>>20, memoryGuardEnv, which)
				os.Exit(exitError)
			}
		}
	}()
	return func() { close(done) }, nil
}
