package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/render-check/render-check/internal/workspace"
)

// Shard is one of Count deterministic slices of a run (1-based Index).
type Shard struct {
	Index, Count int
}

// String renders the shard as I/N.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard parses "I/N" with 1 <= I <= N.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("shard %q: want I/N with 1 <= I <= N", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// ClusterInfo is a cluster found by discovery, before rendering.
type ClusterInfo struct {
	Name string `json:"name"`
	Dir  string `json:"dir"`
	// Applications counts the Application manifests under the cluster
	// directory (children rendered by app-of-apps are not counted).
	Applications int `json:"applications"`
	// Shard is the 1-based shard the cluster is assigned to.
	Shard int `json:"shard,omitempty"`
}

// Discover lists the clusters of the repo with their Application counts,
// without rendering anything.
func Discover(ctx context.Context, rp *workspace.Workspace) ([]ClusterInfo, error) {
	dirs, err := rp.Clusters()
	if err != nil {
		return nil, err
	}
	out := make([]ClusterInfo, 0, len(dirs))
	for _, d := range dirs {
		apps, _, err := rp.Applications(ctx, d)
		if err != nil {
			return nil, err
		}
		out = append(out, ClusterInfo{Name: d.Name, Dir: d.Dir, Applications: len(apps)})
	}
	return out, nil
}

// AssignShards spreads clusters over n shards, balancing Application
// counts: heaviest cluster first onto the lightest shard (lowest index on
// ties). A shard is a set of whole clusters, because some checks (duplicate
// resources, two apps managing one object) need a whole cluster. The result
// depends only on names and counts, so every CI job computes the same split.
func AssignShards(clusters []ClusterInfo, n int) []ClusterInfo {
	out := slices.Clone(clusters)
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(out[b].Applications, out[a].Applications); c != 0 {
			return c
		}
		return cmp.Compare(out[a].Name, out[b].Name)
	})
	load := make([]int, n)
	for _, i := range order {
		best := 0
		for s := 1; s < n; s++ {
			if load[s] < load[best] {
				best = s
			}
		}
		out[i].Shard = best + 1
		load[best] += max(out[i].Applications, 1)
	}
	return out
}

// ShardClusters returns the names of the clusters of one shard, sorted.
func ShardClusters(ctx context.Context, ws *workspace.Workspace, s Shard) ([]string, error) {
	all, err := Discover(ctx, ws)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range AssignShards(all, s.Count) {
		if c.Shard == s.Index {
			names = append(names, c.Name)
		}
	}
	return names, nil
}
