package report

import "testing"

// TestMergeSumsCacheCounts: shards' render cache counts add up; reports
// without a cache merge without one.
func TestMergeSumsCacheCounts(t *testing.T) {
	a := &Report{Version: Version, Summary: Summary{Cache: &CacheSummary{Hits: 3, Misses: 1}}}
	b := &Report{Version: Version, Summary: Summary{Cache: &CacheSummary{Hits: 2, Misses: 4}}}
	if got := Merge(a, b).Summary.Cache; got == nil || *got != (CacheSummary{Hits: 5, Misses: 5}) {
		t.Errorf("merged cache = %+v, want 5 hits, 5 misses", got)
	}
	if got := Merge(&Report{Version: Version}, &Report{Version: Version}).Summary.Cache; got != nil {
		t.Errorf("merged reports without a cache got %+v", got)
	}
}
