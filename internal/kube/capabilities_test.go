package kube

import (
	"slices"
	"testing"
)

func TestAPIVersions(t *testing.T) {
	for _, minor := range []string{"1.34", "1.37", "1.99"} {
		got := APIVersions(minor)
		for _, want := range []string{"v1", "v1/Pod", "apps/v1", "apps/v1/Deployment", "batch/v1/CronJob", "networking.k8s.io/v1/Ingress"} {
			if !slices.Contains(got, want) {
				t.Errorf("%s: capabilities lack %q", minor, want)
			}
		}
		for _, bad := range []string{"v1/PodList", "v1/ListOptions", "v1/Status", "__internal"} {
			if slices.Contains(got, bad) {
				t.Errorf("%s: capabilities contain %q", minor, bad)
			}
		}
		if !slices.IsSorted(got) {
			t.Errorf("%s: not sorted", minor)
		}
	}
	if FullVersion("1.34") != "1.34.0" || FullVersion("v1.30.2") != "1.30.2" {
		t.Error("FullVersion")
	}
}
