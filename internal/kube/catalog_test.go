package kube

import (
	"errors"
	"slices"
	"testing"
)

func TestVersions(t *testing.T) {
	want := []string{"1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"}
	if got := Versions(); !slices.Equal(got, want) {
		t.Fatalf("Versions() = %v, want %v", got, want)
	}
	if DefaultVersion() != "1.37" {
		t.Errorf("DefaultVersion() = %q", DefaultVersion())
	}
	for in, want := range map[string]string{"": "1.37", "1.34": "1.34", "v1.34": "1.34", "1.34.2": "1.34", "v1.30.0": "1.30"} {
		if got, err := ParseVersion(in); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"1.29", "2.0", "latest", "1", "1.x"} {
		var uv *UnknownVersionError
		if _, err := ParseVersion(bad); !errors.As(err, &uv) {
			t.Errorf("ParseVersion(%q) err = %v, want *UnknownVersionError", bad, err)
		}
	}
}

// TestEveryEmbeddedSchemaCompiles compiles every kind of every minor, strict
// and not: kubeconform would report a schema that fails to compile as
// missing, so nothing may fail here.
func TestBuiltinAPIVersions(t *testing.T) {
	got, err := BuiltinAPIVersions("1.34")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(got) {
		t.Error("not sorted")
	}
	for _, want := range []string{"v1", "v1/Pod", "apps/v1", "apps/v1/Deployment", "networking.k8s.io/v1/Ingress", "resource.k8s.io/v1/ResourceClaim"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s", want)
		}
	}
	for _, absent := range []string{"policy/v1beta1", "extensions/v1beta1/Ingress", "flowcontrol.apiserver.k8s.io/v1beta3"} {
		if slices.Contains(got, absent) {
			t.Errorf("1.34 should not serve %s", absent)
		}
	}
	old, _ := BuiltinAPIVersions("1.30")
	if !slices.Contains(old, "flowcontrol.apiserver.k8s.io/v1beta3/FlowSchema") || slices.Contains(old, "resource.k8s.io/v1/ResourceClaim") {
		t.Error("1.30 API list wrong")
	}
	if _, err := BuiltinAPIVersions("1.12"); err == nil {
		t.Error("want error for unknown minor")
	}
	for _, tc := range []struct {
		apiVersion, kind string
		namespaced       bool
	}{{"v1", "Namespace", false}, {"v1", "Pod", true}, {"rbac.authorization.k8s.io/v1", "ClusterRole", false}, {"apps/v1", "Deployment", true}, {"storage.k8s.io/v1", "StorageClass", false}} {
		info, ok, err := BuiltinKind("1.34", tc.apiVersion, tc.kind)
		if err != nil || !ok || info.Namespaced == nil || *info.Namespaced != tc.namespaced {
			t.Errorf("BuiltinKind(%s %s) = %+v %v %v", tc.apiVersion, tc.kind, info, ok, err)
		}
	}
}
