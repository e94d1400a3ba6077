package render

import (
	"net/url"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/netpolicy"
)

// FuzzRemoteEntry: a kustomize remote entry accepted by checkRemoteEntry
// never carries a git option (a part or ref starting with '-'), a
// protocol other than https/ssh, or whitespace.
func FuzzRemoteEntry(f *testing.F) {
	for _, s := range []string{
		"https://github.com/org/repo//base?ref=v1", "git@github.com:org/repo.git", "github.com/org/repo",
		"file:///x?ref=--upload-pack=touch%20x", "https://h/--upload-pack=x/r", "ssh://h/r?ref=-c",
		"https://h/r?timeout=10h", "git::https://h/r", "base", "../base", "user@host:-oProxyCommand=x/r",
		"https://h/r?ref=%2Dx", "https://h/r?version=-x&ref=v1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		sc := remoteScheme(entry)
		if sc == "" {
			return
		}
		if checkRemoteEntry(entry, sc, netpolicy.Policy{Mode: netpolicy.All}) != nil {
			return
		}
		if sc != "https" && sc != "ssh" || strings.ContainsAny(entry, " \t\n\r") {
			t.Fatalf("accepted %q (scheme %s)", entry, sc)
		}
		body, query, _ := strings.Cut(entry, "?")
		q, _ := url.ParseQuery(query)
		for _, k := range []string{"ref", "version"} {
			for _, v := range q[k] {
				if strings.HasPrefix(v, "-") {
					t.Fatalf("accepted %q with %s %q", entry, k, v)
				}
			}
		}
		if strings.Contains(body, "/-") || strings.Contains(body, ":-") || strings.Contains(body, "@-") {
			t.Fatalf("accepted %q with a '-' part", entry)
		}
	})
}
