// Package images finds the container images of rendered resources, checks
// each unique reference once against its registry (internal/registry) and
// reports findings at the line where a person sets the image: a Helm values
// key, a kustomization `images:` entry, an Application's kustomize images or
// Helm parameters, or the manifest's `image:` line.
package images

import (
	"slices"
	"strconv"
)

// Use is one container's image in a rendered object.
type Use struct {
	// Image is the reference as rendered.
	Image string
	// Container is the container's name ("" when unnamed).
	Container string
	// Path is the field path of the image in the object, e.g.
	// ["spec","template","spec","containers","0","image"].
	Path []string
}

// containerLists are the pod spec fields that hold containers.
var containerLists = []string{"initContainers", "containers", "ephemeralContainers"}

// Extract returns the images of obj in document order. It walks the object's
// top-level spec and template structurally and takes every list named
// containers, initContainers or ephemeralContainers whose items are objects
// with a string image: pod specs of built-in workloads (Pod, Deployment,
// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob's
// jobTemplate, PodTemplate) and the same shapes inside custom resources
// (Argo Rollouts, Knative, ...). Text is never searched.
func Extract(obj map[string]any) []Use {
	var out []Use
	for _, top := range []string{"spec", "template"} {
		if v, ok := obj[top]; ok {
			walk(v, []string{top}, &out)
		}
	}
	return out
}

func walk(v any, path []string, out *[]Use) {
	switch n := v.(type) {
	case map[string]any:
		for _, field := range containerLists {
			items, ok := n[field].([]any)
			if !ok {
				continue
			}
			for i, it := range items {
				c, ok := it.(map[string]any)
				if !ok {
					continue
				}
				img, ok := c["image"].(string)
				if !ok {
					continue
				}
				name, _ := c["name"].(string)
				p := append(slices.Clip(path), field, strconv.Itoa(i), "image")
				*out = append(*out, Use{Image: img, Container: name, Path: p})
			}
		}
		keys := make([]string, 0, len(n))
		for k := range n {
			if !slices.Contains(containerLists, k) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			walk(n[k], append(slices.Clip(path), k), out)
		}
	case []any:
		for i, it := range n {
			walk(it, append(slices.Clip(path), strconv.Itoa(i)), out)
		}
	}
}
