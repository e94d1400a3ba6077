package registry_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/registry/registrytest"
	"github.com/render-check/render-check/internal/rendercache"
)

// TestVerdictTTLs: with a fake clock, a found tag is believed from the
// verdict cache for the tag TTL and a found digest for the digest TTL,
// each by a new client (a new run); a missing tag is never kept.
func TestVerdictTTLs(t *testing.T) {
	hermetic(t)
	reg := registrytest.Start(t, registrytest.Options{})
	digest := reg.Push(t, reg.Ref("app/web", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	cache, err := rendercache.Open(rendercache.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	client := func() *registry.Client {
		return registry.New(registry.WithInsecure(reg.Host), fastRetries(), registry.WithTimeout(2*time.Second),
			registry.WithVerdicts(cache.Verdicts(), 10*time.Minute, 24*time.Hour), registry.WithClock(clock))
	}
	tag, dig, missing := reg.Ref("app/web", ":1.0"), reg.Ref("app/web", "@"+digest), reg.Ref("app/web", ":2.0")
	status := func(ref string) registry.Status {
		return client().Check(context.Background(), ref, nil).Status
	}
	for _, ref := range []string{tag, dig} {
		if s := status(ref); s != registry.Found {
			t.Fatalf("%s: %v, want found", ref, s)
		}
	}
	if s := status(missing); s != registry.NotFound {
		t.Fatalf("%s: %v, want not found", missing, s)
	}
	reg.Push(t, missing, registrytest.RandomImage(t, "linux/amd64"))
	if s := status(missing); s != registry.Found {
		t.Fatalf("%s pushed after a miss: %v, want found (a miss is never kept)", missing, s)
	}
	reg.Stop()
	advance(9 * time.Minute)
	for _, ref := range []string{tag, dig, missing} {
		if s := status(ref); s != registry.Found {
			t.Errorf("registry stopped, 9m later: %s %v, want found from the cache", ref, s)
		}
	}
	advance(2 * time.Minute)
	for ref, want := range map[string]registry.Status{tag: registry.Unreachable, missing: registry.Unreachable, dig: registry.Found} {
		if s := status(ref); s != want {
			t.Errorf("registry stopped, 11m later: %s %v, want %v", ref, s, want)
		}
	}
	advance(24 * time.Hour)
	if s := status(dig); s != registry.Unreachable {
		t.Errorf("registry stopped, a day later: digest %v, want unreachable (asked again)", s)
	}
	if n := cache.Verdicts().Notes(); len(n) != 0 {
		t.Errorf("notes: %v", n)
	}
}
