package registry_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/registry/registrytest"
	"github.com/render-check/render-check/internal/rendercache"
)

// hermetic keeps tests away from the runner's docker config.
func hermetic(t *testing.T) {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
}

func platforms(t *testing.T, ss ...string) []v1.Platform {
	t.Helper()
	var out []v1.Platform
	for _, s := range ss {
		p, err := v1.ParsePlatform(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *p)
	}
	return out
}

func fastRetries() registry.Option {
	return registry.WithRetries(1, time.Millisecond, 5*time.Millisecond)
}

func TestCheckAgainstPlainRegistry(t *testing.T) {
	hermetic(t)
	reg := registrytest.Start(t, registrytest.Options{})
	appDigest := reg.Push(t, reg.Ref("team/app", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	multiDigest := reg.PushIndex(t, reg.Ref("team/multi", ":1.0"), registrytest.RandomIndex(t, "linux/amd64", "linux/arm64"))
	oldDigest := reg.Push(t, reg.Ref("team/moved", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	reg.Push(t, reg.Ref("team/moved", ":old"), mustImage(t, reg, "team/moved:1.0"))
	newDigest := reg.Push(t, reg.Ref("team/moved", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	missingDigest := "sha256:" + strings.Repeat("0", 64)

	c := registry.New(fastRetries())
	ctx := context.Background()
	cases := []struct {
		name      string
		ref       string
		platforms []v1.Platform
		want      registry.Status
		detail    string
		digest    string
	}{
		{name: "tag found", ref: reg.Ref("team/app", ":1.0"), want: registry.Found, digest: appDigest},
		{name: "missing tag", ref: reg.Ref("team/app", ":2.0"), want: registry.NotFound, detail: "tag not found"},
		{name: "missing repo", ref: reg.Ref("team/nope", ":1.0"), want: registry.NotFound, detail: "repository not found"},
		{name: "digest found", ref: reg.Ref("team/app", "@"+appDigest), want: registry.Found, digest: appDigest},
		{name: "digest missing", ref: reg.Ref("team/app", "@"+missingDigest), want: registry.NotFound, detail: "digest not found"},
		{name: "tag and digest agree", ref: reg.Ref("team/app", ":1.0@"+appDigest), want: registry.Found, digest: appDigest},
		{name: "tag moved", ref: reg.Ref("team/moved", ":1.0@"+oldDigest), want: registry.DigestMismatch, detail: "moved to " + newDigest[:19]},
		{name: "tag gone, digest kept", ref: reg.Ref("team/moved", ":gone@"+oldDigest), want: registry.DigestMismatch, detail: "no longer exists"},
		{name: "index has platforms", ref: reg.Ref("team/multi", ":1.0"), platforms: platforms(t, "linux/amd64", "linux/arm64"), want: registry.Found, digest: multiDigest},
		{name: "index lacks platform", ref: reg.Ref("team/multi", ":1.0"), platforms: platforms(t, "linux/amd64", "linux/s390x"), want: registry.PlatformMissing, detail: "missing platform linux/s390x (has linux/amd64, linux/arm64)"},
		{name: "image lacks platform", ref: reg.Ref("team/app", ":1.0"), platforms: platforms(t, "linux/arm64"), want: registry.PlatformMissing, detail: "has linux/amd64"},
		{name: "image has platform", ref: reg.Ref("team/app", ":1.0"), platforms: platforms(t, "linux/amd64"), want: registry.Found},
		{name: "invalid", ref: "UPPER/Case:tag", want: registry.Invalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.Check(ctx, tc.ref, tc.platforms)
			if res.Status != tc.want {
				t.Fatalf("Check(%s) = %v (%s, %v), want %v", tc.ref, res.Status, res.Detail, res.Err, tc.want)
			}
			if !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", res.Detail, tc.detail)
			}
			if tc.digest != "" && res.Digest != tc.digest {
				t.Errorf("digest %s, want %s", res.Digest, tc.digest)
			}
			if res.Ref != tc.ref {
				t.Errorf("Ref %q, want %q", res.Ref, tc.ref)
			}
		})
	}

	tags, err := c.Tags(ctx, reg.Ref("team/moved", ""))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tags, ",") != "1.0,old" {
		t.Errorf("Tags = %v, want [1.0 old]", tags)
	}
	if _, err := c.Tags(ctx, reg.Ref("team/nope", "")); registry.StatusOf(err) != registry.NotFound {
		t.Errorf("Tags of a missing repo: %v (%v), want NotFound", registry.StatusOf(err), err)
	}
}

func mustImage(t *testing.T, reg *registrytest.Registry, ref string) v1.Image {
	t.Helper()
	img, err := registrytest.Pull(reg, ref)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestCheckWithBasicAuth(t *testing.T) {
	hermetic(t)
	reg := registrytest.Start(t, registrytest.Options{Auth: true})
	ref := reg.Ref("private/app", ":1.0")
	reg.Push(t, ref, registrytest.RandomImage(t, ""))
	ctx := context.Background()

	env := map[string]string{"REG_USER": reg.Username, "REG_PASS": reg.Password, "BAD_PASS": "wrong"}
	getenv := func(k string) string { return env[k] }
	creds := registry.EnvKeychain([]registry.Credential{{Registry: reg.Host, UsernameEnv: "REG_USER", PasswordEnv: "REG_PASS"}}, getenv)
	if res := registry.New(registry.WithKeychain(authn.NewMultiKeychain(creds, authn.DefaultKeychain)), fastRetries()).Check(ctx, ref, nil); res.Status != registry.Found {
		t.Fatalf("with credentials: %v (%s)", res.Status, res.Detail)
	}
	if res := registry.New(registry.WithKeychain(creds), fastRetries()).Check(ctx, reg.Ref("private/app", ":2.0"), nil); res.Status != registry.NotFound {
		t.Fatalf("missing tag with credentials: %v (%s)", res.Status, res.Detail)
	}

	anon := registry.New(fastRetries()).Check(ctx, ref, nil)
	if anon.Status != registry.Unauthorized || !strings.Contains(anon.Detail, "no credentials configured") || !strings.Contains(anon.Detail, reg.Host) {
		t.Fatalf("anonymous: %v (%s)", anon.Status, anon.Detail)
	}
	bad := registry.EnvKeychain([]registry.Credential{{Registry: reg.Host, UsernameEnv: "REG_USER", PasswordEnv: "BAD_PASS"}}, getenv)
	res := registry.New(registry.WithKeychain(bad), fastRetries()).Check(ctx, ref, nil)
	if res.Status != registry.Unauthorized || !strings.Contains(res.Detail, "with the configured credentials") {
		t.Fatalf("wrong password: %v (%s)", res.Status, res.Detail)
	}
	if strings.Contains(res.Detail, "wrong") || strings.Contains(res.Detail, reg.Password) {
		t.Fatalf("detail leaks a credential: %s", res.Detail)
	}
}

func TestCheckWithTLS(t *testing.T) {
	hermetic(t)
	reg := registrytest.Start(t, registrytest.Options{TLS: true})
	ref := reg.Ref("secure/app", ":1.0")
	reg.Push(t, ref, registrytest.RandomImage(t, ""))
	ctx := context.Background()

	if res := registry.New(registry.WithCABundle(reg.CAPEM), fastRetries()).Check(ctx, ref, nil); res.Status != registry.Found {
		t.Fatalf("with CA bundle: %v (%s)", res.Status, res.Detail)
	}
	res := registry.New(fastRetries()).Check(ctx, ref, nil)
	if res.Status != registry.Unreachable || !strings.Contains(res.Detail, "not trusted") {
		t.Fatalf("without CA: %v (%s)", res.Status, res.Detail)
	}
	if res := registry.New(registry.WithInsecure(reg.Host), fastRetries()).Check(ctx, ref, nil); res.Status != registry.Found {
		t.Fatalf("insecure host: %v (%s)", res.Status, res.Detail)
	}
	if res := registry.New(registry.WithInsecure("other.example:5000"), fastRetries()).Check(ctx, ref, nil); res.Status != registry.Unreachable {
		t.Fatalf("another host insecure must not relax this one: %v (%s)", res.Status, res.Detail)
	}
	if res := registry.New(registry.WithCABundle([]byte("not pem")), fastRetries()).Check(ctx, ref, nil); res.Status != registry.Unreachable || !strings.Contains(res.Detail, "no PEM") {
		t.Fatalf("bad CA bundle: %v (%s)", res.Status, res.Detail)
	}
}

func TestCheckUnreachable(t *testing.T) {
	hermetic(t)
	reg := registrytest.Start(t, registrytest.Options{})
	host := reg.Host
	reg.Stop()
	res := registry.New(fastRetries()).Check(context.Background(), host+"/app:1.0", nil)
	if res.Status != registry.Unreachable || !strings.Contains(res.Detail, "connection refused") {
		t.Fatalf("stopped registry: %v (%s, %v)", res.Status, res.Detail, res.Err)
	}
}

// TestMirrorAndVerdicts: references are checked at the mirror; a new
// client (a new run) answers a found digest from the verdict cache with the
// registry down, but not a tag (tag TTL 0), not a miss, and not for a
// client whose mirrors differ (they are part of the key).
func TestMirrorAndVerdicts(t *testing.T) {
	hermetic(t)
	reg := registrytest.Start(t, registrytest.Options{})
	d := reg.Push(t, reg.Ref("hub/library/nginx", ":1.27"), registrytest.RandomImage(t, ""))
	ctx := context.Background()
	cache, err := rendercache.Open(rendercache.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	mirrors := map[string][]string{"docker.io": {reg.Host + "/hub"}}
	client := func(mirrors map[string][]string) *registry.Client {
		return registry.New(registry.WithMirrors(mirrors), registry.WithVerdicts(cache.Verdicts(), 0, registry.DefaultDigestTTL), fastRetries())
	}
	c := client(mirrors)
	for _, ref := range []string{"nginx:1.27", "docker.io/library/nginx@" + d} {
		res := c.Check(ctx, ref, nil)
		if res.Status != registry.Found || res.Registry != reg.Host || !strings.Contains(res.Detail, "mirror") {
			t.Fatalf("%s via mirror: %v %q %s", ref, res.Status, res.Registry, res.Detail)
		}
	}
	if res := c.Check(ctx, "nginx:0.0-missing", nil); res.Status != registry.NotFound {
		t.Fatalf("missing via mirror: %v (%s)", res.Status, res.Detail)
	}
	reg.Stop()
	c2 := client(mirrors)
	if res := c2.Check(ctx, "nginx@"+d, nil); res.Status != registry.Found || res.Detail != "cached" || res.Digest != d {
		t.Fatalf("cached digest: %v %s (%s)", res.Status, res.Digest, res.Detail)
	}
	for _, ref := range []string{"nginx:1.27", "nginx:0.0-missing"} {
		if res := c2.Check(ctx, ref, nil); res.Status != registry.Unreachable {
			t.Fatalf("%s must not come from the cache: %v (%s)", ref, res.Status, res.Detail)
		}
	}
	other := map[string][]string{"docker.io": {"127.0.0.1:1/hub"}}
	if res := client(other).Check(ctx, "nginx@"+d, nil); res.Status != registry.Unreachable {
		t.Fatalf("other mirrors must not share the cached digest: %v (%s)", res.Status, res.Detail)
	}
	if n := cache.Verdicts().Notes(); len(n) != 0 {
		t.Errorf("notes: %v", n)
	}
}

func TestParse(t *testing.T) {
	cases := []struct{ in, canonical, tag, digest string }{
		{"nginx", "index.docker.io/library/nginx:latest", "", ""},
		{"nginx:1.27", "index.docker.io/library/nginx:1.27", "1.27", ""},
		{"localhost:5000/app", "localhost:5000/app:latest", "", ""},
		{"localhost:5000/app:1.2", "localhost:5000/app:1.2", "1.2", ""},
		{"ghcr.io/o/a:v1@sha256:" + strings.Repeat("a", 64), "ghcr.io/o/a:v1@sha256:" + strings.Repeat("a", 64), "v1", "sha256:" + strings.Repeat("a", 64)},
		{"ghcr.io/o/a@sha256:" + strings.Repeat("b", 64), "ghcr.io/o/a@sha256:" + strings.Repeat("b", 64), "", "sha256:" + strings.Repeat("b", 64)},
	}
	for _, tc := range cases {
		r, err := registry.Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if r.String() != tc.canonical || r.Tag != tc.tag || r.Digest != tc.digest {
			t.Errorf("Parse(%q) = %s tag=%q digest=%q", tc.in, r.String(), r.Tag, r.Digest)
		}
	}
	for _, bad := range []string{"", "a b", "app:", "Upper/Case"} {
		if _, err := registry.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	if r, _ := registry.Parse("nginx"); !r.Mutable() {
		t.Error("nginx should be mutable")
	}
	if r, _ := registry.Parse("nginx:1.2@sha256:" + strings.Repeat("a", 64)); r.Mutable() {
		t.Error("a pinned digest is not mutable")
	}
}

// TestCheckAllProgressCountsDistinct: progress counts each distinct
// reference once, in order, up to the distinct total.
func TestCheckAllProgressCountsDistinct(t *testing.T) {
	hermetic(t)
	reg := registrytest.Start(t, registrytest.Options{})
	reg.Push(t, reg.Ref("team/app", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	c := registry.New(fastRetries(), registry.WithConcurrency(2))
	refs := []string{reg.Ref("team/app", ":1.0"), reg.Ref("team/app", ":2.0"), reg.Ref("team/app", ":1.0"), reg.Ref("team/other", ":1")}
	var calls [][2]int
	res := c.CheckAllProgress(context.Background(), refs, nil, func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if len(res) != 4 || res[0].Status != registry.Found || res[2].Status != registry.Found || res[1].Status != registry.NotFound {
		t.Fatalf("results: %+v", res)
	}
	want := [][2]int{{1, 3}, {2, 3}, {3, 3}}
	if !slices.Equal(calls, want) {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
}
