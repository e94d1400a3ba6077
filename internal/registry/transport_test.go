package registry

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]time.Duration{
		"":     0,
		"7":    7 * time.Second,
		"-3":   0,
		"soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	rt := &retryTransport{backoff: 100 * time.Millisecond, maxBackoff: 400 * time.Millisecond}
	for n, hi := range []time.Duration{100, 200, 400, 400, 400} {
		hi *= time.Millisecond
		d := rt.delay(n)
		if d < hi/2 || d > hi {
			t.Errorf("delay(%d) = %v, want in [%v, %v]", n, d, hi/2, hi)
		}
	}
}
