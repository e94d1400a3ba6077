package config

import (
	"strings"
	"testing"
)

func TestParseRejectsBadValues(t *testing.T) {
	for _, tt := range []struct{ yaml, err string }{
		{"images: {mode: maybe}", "images.mode"},
		{"images: {timeout: soon}", "images.timeout"},
		{"images: {concurrency: -1}", "images.concurrency"},
		{"clustres: [x]", "unknown field"},
	} {
		if _, err := Parse("c.yaml", []byte(tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.yaml, err, tt.err)
		}
	}
	c, err := Parse("c.yaml", []byte("kubernetesVersion: '1.33'\nclusterSettings: {a: {kubernetesVersion: '1.31'}}"))
	if err != nil {
		t.Fatal(err)
	}
	if c.KubernetesVersionFor("a") != "1.31" || c.KubernetesVersionFor("b") != "1.33" || c.Images.Mode != "verify" || c.Clusters[0] != "clusters/*" {
		t.Fatalf("defaults/overrides wrong: %+v", c)
	}
}

func TestArgoClusters(t *testing.T) {
	c, err := Parse("x", []byte("kubernetesVersion: '1.30'\nclusterSettings: {a: {kubernetesVersion: '1.31'}}\nargoClusters:\n- {name: a, server: 'https://a', kubernetesVersion: '1.33'}\n- {name: b, server: 'https://b', kubernetesVersion: '1.34', labels: {env: prod}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.KubernetesVersionFor("a") + " " + c.KubernetesVersionFor("b") + " " + c.KubernetesVersionFor("c"); got != "1.31 1.34 1.30" {
		t.Errorf("versions %q", got)
	}
	for _, bad := range []string{"argoClusters: [{name: a}]\n", "argoClusters: [{name: a, server: x}, {name: a, server: y}]\n", "argoClusters: [{name: a, server: x, color: red}]\n"} {
		if _, err := Parse("x", []byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
