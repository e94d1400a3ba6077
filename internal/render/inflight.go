package render

import (
	"sort"
	"sync"
)

// inflight counts the app renders whose goroutine is still running, by
// "cluster/app", including renders abandoned at their deadline (the
// renderer libraries do not stop on a context, so an abandoned render goes
// on using memory until it ends).
var inflight = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

func enterFlight(name string) func() {
	inflight.Lock()
	inflight.n[name]++
	inflight.Unlock()
	return func() {
		inflight.Lock()
		defer inflight.Unlock()
		if inflight.n[name]--; inflight.n[name] <= 0 {
			delete(inflight.n, name)
		}
	}
}

// InFlight returns the apps ("cluster/app", sorted) being rendered right
// now in this process, abandoned renders included: the suspects when the
// process runs short of memory.
func InFlight() []string {
	inflight.Lock()
	defer inflight.Unlock()
	out := make([]string, 0, len(inflight.n))
	for k := range inflight.n {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
