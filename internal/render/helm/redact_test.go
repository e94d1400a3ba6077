package helm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRemoteURLsNeverCarryCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pa55@example.com/v.yaml":         "https://example.com/v.yaml",
		"https://example.com/v.yaml?token=s3cr3t#frag": "https://example.com/v.yaml",
		"https://example.com/v.yaml":                   "https://example.com/v.yaml",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // connection refused: the client error names the URL
	r := NewRenderer(t.TempDir())
	_, err := r.read(context.Background(), resolved{path: srv.URL + "/values.yaml?token=s3cr3t", remote: true})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error %v: want an error without the token", err)
	}
	if !strings.Contains(err.Error(), "/values.yaml") {
		t.Fatalf("error %v does not name the file", err)
	}
}
