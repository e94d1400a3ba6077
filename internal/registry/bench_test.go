package registry_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/render-check/render-check/internal/registry"
)

// BenchmarkCheck1000Unique checks 1,000 unique tags against an in-process
// registry that adds 20 ms to every request, and reports the elapsed time
// next to the ideal ceil(1000/concurrency) x 20 ms.
//
//	go test -run '^$' -bench Check1000Unique -benchtime 1x ./internal/registry/
func BenchmarkCheck1000Unique(b *testing.B) {
	const (
		refs    = 1000
		latency = 20 * time.Millisecond
	)
	b.Setenv("DOCKER_CONFIG", b.TempDir())
	var slow atomic.Bool
	var requests atomic.Int64
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			requests.Add(1)
			time.Sleep(latency)
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(128, 1)
	if err != nil {
		b.Fatal(err)
	}
	var list []string
	for i := range refs {
		tag, err := name.NewTag(fmt.Sprintf("%s/bench/app:v%d", host, i))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			err = remote.Write(tag, img)
		} else {
			err = remote.Tag(tag, img)
		}
		if err != nil {
			b.Fatal(err)
		}
		list = append(list, tag.String(), tag.String()) // every reference twice: checked once
	}
	slow.Store(true)
	for _, conc := range []int{16, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			for range b.N {
				requests.Store(0)
				c := registry.New(registry.WithConcurrency(conc))
				start := time.Now()
				for _, r := range c.CheckAll(context.Background(), list, nil) {
					if r.Status != registry.Found {
						b.Fatalf("%s: %v %s", r.Ref, r.Status, r.Detail)
					}
				}
				elapsed := time.Since(start)
				ideal := time.Duration(math.Ceil(float64(refs)/float64(conc))) * latency
				b.ReportMetric(elapsed.Seconds(), "s/run")
				b.ReportMetric(float64(requests.Load()), "requests/run")
				b.Logf("%d unique refs (x2), concurrency %d, %v latency: %v elapsed, ideal %v, serial %v, %d requests",
					refs, conc, latency, elapsed.Round(time.Millisecond), ideal, refs*latency, requests.Load())
			}
		})
	}
}
