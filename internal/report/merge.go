package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// ReadJSON reads a report written by the json format.
func ReadJSON(r io.Reader) (*Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("decoding json report: %w", err)
	}
	if rep.Version != Version {
		return nil, fmt.Errorf("json report version %d, want %d", rep.Version, Version)
	}
	return &rep, nil
}

// Merge combines reports of disjoint runs (e.g. shards) into one: clusters
// and their apps are united, findings concatenated (exact duplicates, such
// as repo-wide findings present in every shard, kept once), and the summary
// recomputed (the render cache counts summed). A check skipped in any shard is reported as skipped.
func Merge(reports ...*Report) *Report {
	out := &Report{}
	idx := map[string]int{}
	for _, r := range reports {
		for _, c := range r.Clusters {
			i, ok := idx[c.Name]
			if !ok {
				idx[c.Name] = len(out.Clusters)
				out.Clusters = append(out.Clusters, Cluster{Name: c.Name, KubernetesVersion: c.KubernetesVersion, Production: c.Production, ProductionReason: c.ProductionReason})
				i = len(out.Clusters) - 1
			}
			have := map[string]bool{}
			for _, a := range out.Clusters[i].Apps {
				have[a.Name] = true
			}
			for _, a := range c.Apps {
				if !have[a.Name] {
					out.Clusters[i].Apps = append(out.Clusters[i].Apps, a)
				}
			}
		}
		if c := r.Summary.Cache; c != nil {
			// the render cache counts of the shards add up
			if out.Summary.Cache == nil {
				out.Summary.Cache = &CacheSummary{}
			}
			out.Summary.Cache.Hits += c.Hits
			out.Summary.Cache.Misses += c.Misses
			out.Summary.Cache.VerdictHits += c.VerdictHits
			out.Summary.Cache.VerdictMisses += c.VerdictMisses
		}
		out.Findings = append(out.Findings, r.Findings...)
		out.Skipped = append(out.Skipped, r.Skipped...)
		for _, n := range r.Notes {
			if !slices.Contains(out.Notes, n) {
				out.Notes = append(out.Notes, n) // e.g. how clusters were detected, the same in every shard
			}
		}
	}
	out.Finalize()
	return out
}
