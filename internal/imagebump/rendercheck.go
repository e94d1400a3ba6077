package imagebump

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// checkRendered re-renders the clusters of the changed references and
// checks that every app reading an edited file deploys the new reference.
func checkRendered(ctx context.Context, r Renderer, canonical string, t Target, refs []Reference) ([]Problem, error) {
	var clusters []string
	for _, ref := range refs {
		if ref.Status == StatusChanged {
			for _, c := range ref.Clusters {
				clusters = appendUnique(clusters, c)
			}
		}
	}
	sort.Strings(clusters)
	apps, err := r.Render(ctx, clusters)
	if err != nil {
		return nil, err
	}
	var ps []Problem
	for _, ref := range refs {
		if ref.Status != StatusChanged {
			continue
		}
		deployed := false
		var failures []string
		for _, a := range apps {
			if !slices.Contains(a.Inputs, ref.File) {
				continue
			}
			if a.Failed != "" {
				failures = append(failures, fmt.Sprintf("%s/%s: %s", a.Cluster, a.Name, a.Failed))
			}
			for _, img := range a.Images {
				if imageIs(img, canonical, t) {
					deployed = true
				}
			}
		}
		if !deployed && len(failures) > 0 {
			ps = append(ps, Problem{File: ref.File, Line: ref.Line, Message: fmt.Sprintf("after editing %s, an app reading this file does not render (%s); the edit was rolled back: fix the app (render-check check) and bump again", ref.Field, strings.Join(failures, "; "))})
		} else if !deployed {
			ps = append(ps, Problem{File: ref.File, Line: ref.Line, Message: fmt.Sprintf("edited %s to %s, but no app reading this file deploys %s afterwards (the value is ignored or overridden, e.g. by a helm parameter or a kustomize images: entry); the edit was rolled back: bump the value that wins instead", ref.Field, ref.New, t.token())})
		}
	}
	return ps, nil
}

// imageIs reports whether img is the repository at the target.
func imageIs(img, canonical string, t Target) bool {
	sp, ok := parseImage(img)
	if !ok || sp.canonical != canonical {
		return false
	}
	if t.Digest != "" {
		return sp.digStart >= 0 && img[sp.digStart:sp.digEnd] == t.Digest
	}
	return sp.digStart < 0 && sp.tagStart >= 0 && img[sp.tagStart:sp.tagEnd] == t.Tag
}
