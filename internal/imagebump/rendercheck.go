package imagebump

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// checkRendered renders, with the edits applied in memory (overlay), the
// apps of the changed references' clusters that may read an edited file,
// and checks that every app reading an edited file deploys the new
// reference. Nothing is written.
func checkRendered(ctx context.Context, r Renderer, canonical string, t Target, refs []Reference, overlay map[string][]byte) ([]Problem, int, error) {
	var clusters, files []string
	for _, ref := range refs {
		if ref.Status == StatusChanged {
			for _, c := range ref.Clusters {
				clusters = appendUnique(clusters, c)
			}
			files = appendUnique(files, ref.File)
		}
	}
	sort.Strings(clusters)
	sort.Strings(files)
	out, err := r.Render(ctx, RenderRequest{Clusters: clusters, Files: files, Overlay: overlay})
	if err != nil {
		return nil, 0, err
	}
	apps := out.Apps
	checked := 0
	for _, a := range apps {
		if slices.ContainsFunc(files, func(f string) bool { return slices.Contains(a.Inputs, f) }) {
			checked++
		}
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
			ps = append(ps, Problem{File: ref.File, Line: ref.Line, Message: fmt.Sprintf("with %s edited, an app reading this file does not render (%s); nothing was written: fix the app (render-check check) and bump again", ref.Field, strings.Join(failures, "; "))})
		} else if !deployed {
			ps = append(ps, Problem{File: ref.File, Line: ref.Line, Message: fmt.Sprintf("with %s set to %s, no app reading this file would deploy %s (the value is ignored or overridden, e.g. by a helm parameter or a kustomize images: entry); nothing was written: bump the value that wins instead", ref.Field, ref.New, t.token())})
		}
	}
	return ps, checked, nil
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
