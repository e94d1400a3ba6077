package registry_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/registry/registrytest"
)

// front is an httptest registry (go-containerregistry's in-process one)
// behind a raw handler that injects faults on manifest requests and counts
// every request by method and path.
type front struct {
	srv    *httptest.Server
	host   string
	faults atomic.Bool
	fault  func(w http.ResponseWriter, r *http.Request, n int) bool

	mu     sync.Mutex
	counts map[string]int
	times  map[string][]time.Time
}

func newFront(t *testing.T, fault func(w http.ResponseWriter, r *http.Request, n int) bool) *front {
	t.Helper()
	f := &front{fault: fault, counts: map[string]int{}, times: map[string][]time.Time{}}
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.faults.Load() {
			inner.ServeHTTP(w, r)
			return
		}
		key := r.Method + " " + r.URL.Path
		f.mu.Lock()
		f.counts[key]++
		n := f.counts[key]
		f.times[key] = append(f.times[key], time.Now())
		fault := f.fault
		f.mu.Unlock()
		if strings.Contains(r.URL.Path, "/manifests/") && fault(w, r, n) {
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.host = strings.TrimPrefix(f.srv.URL, "http://")
	return f
}

func (f *front) push(t *testing.T, repoTag string) {
	t.Helper()
	tag, err := name.NewTag(f.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, registrytest.RandomImage(t, "")); err != nil {
		t.Fatal(err)
	}
}

func (f *front) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[key]
}

func (f *front) gaps(key string) []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	ts := f.times[key]
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].Sub(ts[i-1]))
	}
	return out
}

// checkMany asks for the same reference several times, concurrently and in
// several spellings, to assert it is fetched once.
func checkMany(t *testing.T, c *registry.Client, f *front) []registry.Result {
	t.Helper()
	ref := f.host + "/team/app:1.0"
	return c.CheckAll(context.Background(), []string{ref, ref, ref, " " + ref, ref}, nil)
}

func assertAll(t *testing.T, rs []registry.Result, want registry.Status, detail string) {
	t.Helper()
	for _, r := range rs {
		if r.Status != want || !strings.Contains(r.Detail, detail) {
			t.Fatalf("%s: %v (%s), want %v containing %q", r.Ref, r.Status, r.Detail, want, detail)
		}
	}
}

const headApp = "HEAD /v2/team/app/manifests/1.0"

func TestRetryAfterIsHonoured(t *testing.T) {
	hermetic(t)
	f := newFront(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	f.push(t, "team/app:1.0")
	f.faults.Store(true)
	c := registry.New(registry.WithRetries(3, time.Millisecond, 2*time.Millisecond))
	assertAll(t, checkMany(t, c, f), registry.Found, "")
	if n := f.count(headApp); n != 2 {
		t.Fatalf("%d HEADs for one unique reference, want 2 (one 429, one retry)", n)
	}
	// A lower bound only: the retry must not come before Retry-After.
	if g := f.gaps(headApp); len(g) != 1 || g[0] < time.Second {
		t.Fatalf("retry came after %v, want >= 1s (Retry-After: 1)", g)
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	hermetic(t)
	f := newFront(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	f.push(t, "team/app:1.0")
	f.faults.Store(true)
	c := registry.New(registry.WithRetries(3, time.Millisecond, 2*time.Millisecond))
	assertAll(t, checkMany(t, c, f), registry.Found, "")
	if n := f.count(headApp); n != 2 {
		t.Fatalf("%d HEADs, want 2", n)
	}
}

func TestPersistentServerErrorIsUnreachable(t *testing.T) {
	hermetic(t)
	f := newFront(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	f.push(t, "team/app:1.0")
	f.faults.Store(true)
	c := registry.New(registry.WithRetries(2, time.Millisecond, 2*time.Millisecond))
	assertAll(t, checkMany(t, c, f), registry.Unreachable, "HTTP 503")
	if n := f.count(headApp); n != 3 {
		t.Fatalf("%d HEADs, want 3 (1 + 2 retries)", n)
	}
	if n := f.count("GET /v2/team/app/manifests/1.0"); n != 0 {
		t.Fatalf("a 503 must not fall back to GET (%d GETs)", n)
	}
}

func TestHangingRegistryTimesOut(t *testing.T) {
	hermetic(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f := newFront(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	})
	f.push(t, "team/app:1.0")
	f.faults.Store(true)
	c := registry.New(registry.WithTimeout(100*time.Millisecond), registry.WithRetries(1, time.Millisecond, 2*time.Millisecond))
	assertAll(t, checkMany(t, c, f), registry.Unreachable, "timed out")
	if n := f.count(headApp); n != 2 {
		t.Fatalf("%d HEADs, want 2 (1 + 1 retry)", n)
	}
}

func TestHeadRefusedFallsBackToGet(t *testing.T) {
	hermetic(t)
	f := newFront(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return true
		}
		return false
	})
	f.push(t, "team/app:1.0")
	f.faults.Store(true)
	c := registry.New(registry.WithRetries(1, time.Millisecond, 2*time.Millisecond))
	assertAll(t, checkMany(t, c, f), registry.Found, "")
	if h, g := f.count(headApp), f.count("GET /v2/team/app/manifests/1.0"); h != 1 || g != 1 {
		t.Fatalf("HEAD %d, GET %d; want 1 and 1", h, g)
	}
}

func TestCancelledContext(t *testing.T) {
	hermetic(t)
	f := newFront(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		<-r.Context().Done()
		return true
	})
	f.push(t, "team/app:1.0")
	f.faults.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	c := registry.New()
	res := c.Check(ctx, f.host+"/team/app:1.0", nil)
	if res.Status != registry.Unreachable || res.Err == nil {
		t.Fatalf("cancelled: %v (%s)", res.Status, res.Detail)
	}
	// The cancelled check is not cached: a live context checks again.
	f.mu.Lock()
	f.fault = func(http.ResponseWriter, *http.Request, int) bool { return false }
	f.mu.Unlock()
	if res := c.Check(context.Background(), f.host+"/team/app:1.0", nil); res.Status != registry.Found {
		t.Fatalf("after cancel: %v (%s)", res.Status, res.Detail)
	}
}

func TestUnreachableHostFailsFastAfterFirstFailure(t *testing.T) {
	hermetic(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f := newFront(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	})
	f.push(t, "team/app:1.0")
	f.faults.Store(true)
	c := registry.New(registry.WithConcurrency(1), registry.WithTimeout(100*time.Millisecond), registry.WithRetries(1, time.Millisecond, 2*time.Millisecond))
	rs := c.CheckAll(context.Background(), []string{f.host + "/team/app:1.0", f.host + "/team/app:2.0", f.host + "/team/other:1.0"}, nil)
	for i, r := range rs {
		if r.Status != registry.Unreachable {
			t.Fatalf("%s: %v (%s)", r.Ref, r.Status, r.Detail)
		}
		if i > 0 && !strings.Contains(r.Detail, "an earlier request failed") {
			t.Errorf("%s: %s; want a fast failure", r.Ref, r.Detail)
		}
	}
	total := 0
	for _, p := range []string{"/v2/team/app/manifests/1.0", "/v2/team/app/manifests/2.0", "/v2/team/other/manifests/1.0"} {
		total += f.count("HEAD " + p)
	}
	if total != 2 {
		t.Fatalf("%d manifest requests, want 2 (the first reference and its retry)", total)
	}
}

func TestExcessiveRetryAfterIsReportedNotAwaited(t *testing.T) {
	hermetic(t)
	f := newFront(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	})
	f.push(t, "team/app:1.0")
	f.faults.Store(true)
	c := registry.New(registry.WithRetries(3, time.Millisecond, 2*time.Millisecond))
	assertAll(t, checkMany(t, c, f), registry.Unreachable, "rate limiting (HTTP 429)")
	if n := f.count(headApp); n != 1 {
		t.Fatalf("%d HEADs, want 1: an hour-long Retry-After is reported, not awaited", n)
	}
}

func TestRateLimitSpacesRequests(t *testing.T) {
	hermetic(t)
	f := newFront(t, func(http.ResponseWriter, *http.Request, int) bool { return false })
	f.push(t, "team/app:1.0")
	f.faults.Store(true)
	c := registry.New(registry.WithRateLimit(20, 1))
	refs := []string{}
	for i := range 5 {
		refs = append(refs, fmt.Sprintf("%s/team/app:%d", f.host, i))
	}
	start := time.Now()
	c.CheckAll(context.Background(), refs, nil)
	// A lower bound only: 1 ping + 5 HEADs + GETs and tag probes for the
	// missing tags at 20 requests/s with a burst of 1 cannot take less than
	// (requests-1) x 50ms.
	f.mu.Lock()
	n := 0
	for _, v := range f.counts {
		n += v
	}
	f.mu.Unlock()
	if min := time.Duration(n-1) * 50 * time.Millisecond; time.Since(start) < min {
		t.Fatalf("%d requests in %v; a 20/s limit needs at least %v", n, time.Since(start), min)
	}
}
