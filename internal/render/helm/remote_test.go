package helm

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	helmregistry "helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/render-check/render-check/internal/argo"
)

const remoteTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
data:
  version: {{ .Chart.Version | quote }}
  level: {{ .Values.level | quote }}
`

// packageChart writes <name>-<version>.tgz into dir with helm's own packaging.
func packageChart(t testing.TB, dir, name, version string) string {
	t.Helper()
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version},
		Raw:      []*chart.File{{Name: "values.yaml", Data: []byte("level: packaged\n")}},
		Values:   map[string]any{"level": "packaged"},
		Templates: []*chart.File{
			{Name: "templates/cm.yaml", Data: []byte(remoteTemplate)},
		},
		Files: []*chart.File{{Name: "values-extra.yaml", Data: []byte("level: extra\n")}},
	}
	p, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// chartRepo is a loopback chart repository (index.yaml + tgz) with basic
// auth and request counting.
type chartRepo struct {
	*httptest.Server
	mu    sync.Mutex
	count map[string]int
}

func (c *chartRepo) requests(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count[path]
}

func (c *chartRepo) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.count {
		n += v
	}
	return n
}

func newChartRepo(t testing.TB, user, pass string, versions ...string) *chartRepo {
	t.Helper()
	dir := t.TempDir()
	for _, v := range versions {
		packageChart(t, dir, "remote", v)
	}
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &chartRepo{count: map[string]int{}}
	files := http.FileServer(http.Dir(dir))
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.count[r.URL.Path]++
		c.mu.Unlock()
		if u, p, ok := r.BasicAuth(); user != "" && (!ok || u != user || p != pass) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

func writeRepoConfig(t testing.TB, url, user, pass string) string {
	t.Helper()
	f := repo.NewFile()
	f.Add(&repo.Entry{Name: "loop", URL: url, Username: user, Password: pass})
	p := filepath.Join(t.TempDir(), "repositories.yaml")
	if err := f.WriteFile(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func remoteRequest(t testing.TB, repoURL, version string) Request {
	return Request{Root: testRoot(t), RepoURL: repoURL, Chart: "remote", Version: version, AppName: "rem", Namespace: "ns", KubeVersion: "1.34.0"}
}

func remoteVersion(t testing.TB, out *Output) string {
	t.Helper()
	m := mustFind(t, out, "ConfigMap", "rem-remote")
	if m.Template != "remote/templates/cm.yaml" {
		t.Errorf("template = %q, want remote/templates/cm.yaml", m.Template)
	}
	return data(t, m)["version"].(string)
}

func TestRemoteHTTPRepository(t *testing.T) {
	srv := newChartRepo(t, "user", "s3cret", "1.0.0", "1.2.0", "2.0.0")
	cfg := writeRepoConfig(t, srv.URL, "user", "s3cret")
	cache := t.TempDir()
	ctx := context.Background()

	r := NewRenderer(cache, WithRepositoryConfig(cfg))
	out, err := r.Template(ctx, remoteRequest(t, srv.URL, "1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	if v := remoteVersion(t, out); v != "1.0.0" {
		t.Errorf("version = %s", v)
	}
	if len(out.Inputs) != 0 {
		t.Errorf("a remote chart reported repo inputs %q", out.Inputs)
	}
	out, err = r.Template(ctx, remoteRequest(t, srv.URL, "^1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	if v := remoteVersion(t, out); v != "1.2.0" {
		t.Errorf("^1.0.0 resolved to %s, want 1.2.0", v)
	}
	// value files of a remote chart are relative to the chart
	req := remoteRequest(t, srv.URL, "1.0.0")
	req.Helm = &argo.HelmSource{ValueFiles: []string{"values-extra.yaml"}}
	out, err = r.Template(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if l := data(t, mustFind(t, out, "ConfigMap", "rem-remote"))["level"]; l != "extra" || len(out.ValueFiles) != 1 || out.ValueFiles[0] != "remote/values-extra.yaml" {
		t.Errorf("level = %v, ValueFiles = %q", l, out.ValueFiles)
	}
	if len(out.Inputs) != 0 {
		t.Errorf("a remote chart's values file reported as repo input: %q", out.Inputs)
	}
	if n := srv.requests("/index.yaml"); n != 1 {
		t.Errorf("index fetched %d times in one run, want 1", n)
	}
	if n1, n2 := srv.requests("/remote-1.0.0.tgz"), srv.requests("/remote-1.2.0.tgz"); n1 != 1 || n2 != 1 {
		t.Errorf("downloads: 1.0.0 %d, 1.2.0 %d, want 1 each", n1, n2)
	}

	// a second run reuses the cache: no request for an exact version,
	// only the index for a range
	before := srv.total()
	r2 := NewRenderer(cache, WithRepositoryConfig(cfg))
	if _, err := r2.Template(ctx, remoteRequest(t, srv.URL, "1.0.0")); err != nil {
		t.Fatal(err)
	}
	if n := srv.total() - before; n != 0 {
		t.Errorf("second run made %d requests for a cached exact version", n)
	}
	out, err = r2.Template(ctx, remoteRequest(t, srv.URL, "~1.2"))
	if err != nil {
		t.Fatal(err)
	}
	if v := remoteVersion(t, out); v != "1.2.0" {
		t.Errorf("~1.2 resolved to %s", v)
	}
	if n := srv.total() - before; n != 1 || srv.requests("/remote-1.2.0.tgz") != 1 {
		t.Errorf("second run with a range made %d requests (want 1: the index) and %d tgz downloads", n, srv.requests("/remote-1.2.0.tgz"))
	}

	t.Run("credentials required", func(t *testing.T) {
		r := NewRenderer(t.TempDir(), WithRepositoryConfig(filepath.Join(t.TempDir(), "none.yaml")))
		_, err := r.Template(ctx, remoteRequest(t, srv.URL, "1.0.0"))
		var he *HTTPError
		if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
			t.Fatalf("err = %v, want HTTP 401", err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Error("error contains the password")
		}
	})
	t.Run("chart not in index", func(t *testing.T) {
		req := remoteRequest(t, srv.URL, "1.0.0")
		req.Chart = "nope"
		if _, err := r.Template(ctx, req); !errors.Is(err, ErrChartNotFound) {
			t.Fatalf("err = %v, want ErrChartNotFound", err)
		}
	})
	t.Run("no matching version", func(t *testing.T) {
		if _, err := r.Template(ctx, remoteRequest(t, srv.URL, "~3.0")); !errors.Is(err, ErrChartNotFound) {
			t.Fatalf("err = %v, want ErrChartNotFound", err)
		}
	})
	t.Run("repository 404", func(t *testing.T) {
		_, err := r.Template(ctx, remoteRequest(t, srv.URL+"/nothing-here", "1.0.0"))
		var he *HTTPError
		if !errors.Is(err, ErrChartNotFound) || !errors.As(err, &he) || he.StatusCode != 404 {
			t.Fatalf("err = %v, want ErrChartNotFound with HTTP 404", err)
		}
	})
	t.Run("repository unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		url := dead.URL
		dead.Close()
		if _, err := r.Template(ctx, remoteRequest(t, url, "1.0.0")); !errors.Is(err, ErrRepoUnreachable) {
			t.Fatalf("err = %v, want ErrRepoUnreachable", err)
		}
	})
	t.Run("dependency from the repository, built in memory", func(t *testing.T) {
		root := t.TempDir()
		dir := filepath.Join(root, "umbrella")
		if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
			t.Fatal(err)
		}
		chartYAML := fmt.Sprintf("apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: remote\n    version: \">=1.0.0 <2.0.0\"\n    repository: %s\n", srv.URL)
		if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(chartYAML), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "values.yaml"), []byte("remote:\n  level: umbrella\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := r.Template(ctx, Request{Root: root, ChartPath: dir, AppName: "rem", KubeVersion: "1.34.0"})
		if err != nil {
			t.Fatal(err)
		}
		m := mustFind(t, out, "ConfigMap", "rem-remote")
		if d := data(t, m); d["version"] != "1.2.0" || d["level"] != "umbrella" {
			t.Errorf("dependency data = %v", d)
		}
		if m.Template != "umbrella/charts/remote/templates/cm.yaml" {
			t.Errorf("template = %q", m.Template)
		}
		if _, err := os.Stat(filepath.Join(dir, "charts")); !os.IsNotExist(err) {
			t.Error("dependency build wrote into the checkout")
		}
	})
	t.Run("inflate from the repository into the cache", func(t *testing.T) {
		home := filepath.Join(t.TempDir(), "kust", "charts")
		out, err := r.Inflate(ctx, InflateRequest{Name: "remote", Repo: srv.URL, Version: "1.2.0", ReleaseName: "rem", ChartHome: home, Root: filepath.Dir(filepath.Dir(home))})
		if err != nil {
			t.Fatal(err)
		}
		if v := remoteVersion(t, out); v != "1.2.0" {
			t.Errorf("version = %s", v)
		}
		if _, err := os.Stat(home); !os.IsNotExist(err) {
			t.Error("inflate pulled into the chart home")
		}
	})
}

func TestRemoteOCIRegistry(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptWriter(io.Discard),
		helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, v := range []string{"1.0.0", "1.2.0"} {
		b, err := os.ReadFile(packageChart(t, dir, "remote", v))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Push(b, host+"/charts/remote:"+v); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	cache := t.TempDir()
	cfg := WithRegistryConfig(filepath.Join(t.TempDir(), "config.json"))
	r := NewRenderer(cache, cfg)
	for _, tc := range []struct{ repoURL, version, want string }{
		{"oci://" + host + "/charts", "1.0.0", "1.0.0"},
		{"oci://" + host + "/charts", "^1.0.0", "1.2.0"},
		{host + "/charts", "1.2.0", "1.2.0"}, // Argo CD's scheme-less enableOCI form
	} {
		out, err := r.Template(ctx, remoteRequest(t, tc.repoURL, tc.version))
		if err != nil {
			t.Fatalf("%s %s: %v", tc.repoURL, tc.version, err)
		}
		if v := remoteVersion(t, out); v != tc.want {
			t.Errorf("%s %s: version %s, want %s", tc.repoURL, tc.version, v, tc.want)
		}
	}
	if r.stats.downloads != 2 {
		t.Errorf("%d downloads, want 2", r.stats.downloads)
	}
	// the cache serves a new run after the registry is gone
	srv.Close()
	r2 := NewRenderer(cache, cfg)
	if _, err := r2.Template(ctx, remoteRequest(t, "oci://"+host+"/charts", "1.0.0")); err != nil {
		t.Fatalf("cached OCI chart: %v", err)
	}
	if r2.stats.downloads != 0 {
		t.Errorf("second run downloaded %d charts", r2.stats.downloads)
	}
	t.Run("inflate", func(t *testing.T) {
		out, err := r.Inflate(ctx, InflateRequest{Name: "remote", Repo: "oci://" + host + "/charts", Version: "1.2.0", ReleaseName: "rem",
			ChartHome: filepath.Join(t.TempDir(), "charts"), Root: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if v := remoteVersion(t, out); v != "1.2.0" {
			t.Errorf("version = %s", v)
		}
	})
}

func TestRemoteOCINotFound(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	r := NewRenderer(t.TempDir(), WithRegistryConfig(filepath.Join(t.TempDir(), "config.json")))
	_, err := r.Template(context.Background(), remoteRequest(t, "oci://"+host+"/charts", "1.0.0"))
	if !errors.Is(err, ErrChartNotFound) {
		t.Fatalf("err = %v, want ErrChartNotFound", err)
	}
}

func TestDefaultCacheDirWithoutHome(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	r := NewRenderer("")
	if want := filepath.Join(os.TempDir(), "render-check-charts"); r.cacheDir != want {
		t.Errorf("cache dir = %q, want %q", r.cacheDir, want)
	}
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if r := NewRenderer(""); r.cacheDir != "/xdg/render-check/charts" {
		t.Errorf("cache dir = %q", r.cacheDir)
	}
}

func TestRemoteOCIRegistryCredentials(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no fallback to the machine's docker credentials
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "robot" || p != "t0ken" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	creds := filepath.Join(t.TempDir(), "config.json")
	auth := base64.StdEncoding.EncodeToString([]byte("robot:t0ken"))
	if err := os.WriteFile(creds, []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptWriter(io.Discard),
		helmregistry.ClientOptCredentialsFile(creds))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(packageChart(t, t.TempDir(), "remote", "1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Push(b, host+"/charts/remote:1.0.0"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := NewRenderer(t.TempDir(), WithRegistryConfig(creds))
	out, err := r.Template(ctx, remoteRequest(t, "oci://"+host+"/charts", "~1.0"))
	if err != nil {
		t.Fatal(err)
	}
	if v := remoteVersion(t, out); v != "1.0.0" {
		t.Errorf("version = %s", v)
	}
	// without credentials the pull fails, and no message shows the token
	empty := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(empty, []byte(`{"auths":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r2 := NewRenderer(t.TempDir(), WithRegistryConfig(empty))
	_, err = r2.Template(ctx, remoteRequest(t, "oci://"+host+"/charts", "1.0.0"))
	if err == nil {
		t.Fatal("pull without credentials succeeded")
	}
	if strings.Contains(err.Error(), "t0ken") || strings.Contains(err.Error(), auth) {
		t.Error("error shows the credentials")
	}
}

func TestPassCredentials(t *testing.T) {
	// the index is on one host, the archive on another that wants the same credentials
	files := newChartRepo(t, "user", "s3cret", "1.0.0")
	dir := t.TempDir()
	packageChart(t, dir, "remote", "1.0.0")
	idx, err := repo.IndexDirectory(dir, strings.Replace(files.URL, "127.0.0.1", "localhost", 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	index := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer index.Close()
	cfg := writeRepoConfig(t, index.URL, "user", "s3cret")
	ctx := context.Background()

	r := NewRenderer(t.TempDir(), WithRepositoryConfig(cfg))
	_, err = r.Template(ctx, remoteRequest(t, index.URL, "1.0.0"))
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without passCredentials: err = %v, want HTTP 401 from the other host", err)
	}
	req := remoteRequest(t, index.URL, "1.0.0")
	req.Helm = &argo.HelmSource{PassCredentials: true}
	out, err := NewRenderer(t.TempDir(), WithRepositoryConfig(cfg)).Template(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if v := remoteVersion(t, out); v != "1.0.0" {
		t.Errorf("version = %s", v)
	}
}
