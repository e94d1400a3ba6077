// Package registrytest starts Debian's real docker-registry binary (the
// distribution registry) on a free 127.0.0.1 port for tests: plain HTTP,
// htpasswd basic auth and TLS from a CA generated per test. It also pushes
// images to it with go-containerregistry.
package registrytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"
)

// Binary is where Debian installs the registry.
const Binary = "/usr/bin/docker-registry"

// Options select the registry's flavour.
type Options struct {
	// Auth enables htpasswd basic auth with Username/Password (generated
	// when empty).
	Auth bool
	// TLS serves HTTPS with a certificate from a CA generated for the test.
	TLS bool
	// Username and Password for Auth; defaults "tester" and a random password.
	Username, Password string
}

// Registry is a running docker-registry.
type Registry struct {
	// Host is "127.0.0.1:PORT".
	Host string
	// CAPool trusts the registry's certificate (TLS only).
	CAPool *x509.CertPool
	// CAPEM is the CA certificate in PEM (TLS only).
	CAPEM []byte
	// Username and Password are the basic-auth credentials (Auth only).
	Username, Password string

	opts Options
	cmd  *exec.Cmd
	logs *syncBuffer
	once sync.Once
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start runs a registry until the test ends. The test fails when the binary
// is missing, saying how to install it.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		bin = Binary
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("docker-registry is not installed (%v): run `make deps` or `apt-get install docker-registry`", err)
	}
	dir := t.TempDir()
	r := &Registry{opts: opts}
	var authCfg, tlsCfg string
	if opts.Auth {
		r.Username, r.Password = opts.Username, opts.Password
		if r.Username == "" {
			r.Username = "tester"
		}
		if r.Password == "" {
			r.Password = randomString(t)
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatalf("htpasswd: %v", err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		writeFile(t, htpasswd, []byte(r.Username+":"+string(hash)+"\n"))
		authCfg = fmt.Sprintf("auth:\n  htpasswd:\n    realm: render-check-test\n    path: %s\n", htpasswd)
	}
	if opts.TLS {
		certPEM, keyPEM, caPEM := generateCerts(t)
		r.CAPEM = caPEM
		r.CAPool = x509.NewCertPool()
		r.CAPool.AppendCertsFromPEM(caPEM)
		writeFile(t, filepath.Join(dir, "server.crt"), certPEM)
		writeFile(t, filepath.Join(dir, "server.key"), keyPEM)
		tlsCfg = fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := freePort(t)
		r.Host = fmt.Sprintf("127.0.0.1:%d", port)
		cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: render-check-test-secret
%s%s`, filepath.Join(dir, "data"), r.Host, tlsCfg, authCfg)
		cfgPath := filepath.Join(dir, "config.yml")
		writeFile(t, cfgPath, []byte(cfg))
		r.logs = &syncBuffer{}
		r.cmd = exec.Command(bin, "serve", cfgPath)
		r.cmd.Stdout = r.logs
		r.cmd.Stderr = r.logs
		r.cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
		if err := r.cmd.Start(); err != nil {
			t.Fatalf("starting docker-registry: %v", err)
		}
		if lastErr = r.waitReady(10 * time.Second); lastErr == nil {
			t.Cleanup(r.Stop)
			return r
		}
		r.Stop()
	}
	t.Fatalf("docker-registry did not start: %v\n%s", lastErr, r.logs.String())
	return nil
}

// Stop ends the registry (also done by t.Cleanup).
func (r *Registry) Stop() {
	r.once.Do(func() {
		if r.cmd == nil || r.cmd.Process == nil {
			return
		}
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = r.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = r.cmd.Process.Kill()
			<-done
		}
	})
}

// Logs returns what the registry printed, for failure messages.
func (r *Registry) Logs() string { return r.logs.String() }

func (r *Registry) waitReady(timeout time.Duration) error {
	client := &http.Client{Transport: r.Transport(), Timeout: time.Second}
	exited := make(chan struct{})
	go func() {
		// Process.Wait would race with Stop; poll the PID instead.
		for r.cmd.Process.Signal(syscall.Signal(0)) == nil {
			time.Sleep(50 * time.Millisecond)
		}
		close(exited)
	}()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("docker-registry exited early")
		default:
		}
		resp, err := client.Get(r.URL() + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			last = fmt.Errorf("GET /v2/: HTTP %d", resp.StatusCode)
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s: %w", timeout, last)
}

// URL is the registry's base URL.
func (r *Registry) URL() string {
	if r.opts.TLS {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// Transport trusts the test CA (a fresh transport; nothing process-wide).
func (r *Registry) Transport() http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if r.CAPool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: r.CAPool, MinVersion: tls.VersionTLS12}
	}
	return tr
}

// Auth returns the credentials as an authenticator (anonymous without Auth).
func (r *Registry) Auth() authn.Authenticator {
	if r.Username == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.Username, Password: r.Password}
}

// Ref returns "HOST/repo" + suffix, e.g. Ref("team/app", ":1.0").
func (r *Registry) Ref(repo, suffix string) string { return r.Host + "/" + repo + suffix }

func (r *Registry) remoteOpts() []remote.Option {
	return []remote.Option{remote.WithAuth(r.Auth()), remote.WithTransport(r.Transport())}
}

// Push writes img at ref ("HOST/repo:tag") and returns its digest.
func (r *Registry) Push(t testing.TB, ref string, img v1.Image) string {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	if err := remote.Write(tag, img, r.remoteOpts()...); err != nil {
		t.Fatalf("push %s: %v\n%s", ref, err, r.Logs())
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d.String()
}

// PushIndex writes idx at ref and returns its digest.
func (r *Registry) PushIndex(t testing.TB, ref string, idx v1.ImageIndex) string {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	if err := remote.WriteIndex(tag, idx, r.remoteOpts()...); err != nil {
		t.Fatalf("push %s: %v\n%s", ref, err, r.Logs())
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d.String()
}

// RandomImage returns a small random image whose config names platform
// ("linux/amd64"; "" for none).
func RandomImage(t testing.TB, platform string) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatalf("random image: %v", err)
	}
	if platform == "" {
		return img
	}
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		t.Fatalf("platform %q: %v", platform, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return img
}

// RandomIndex returns an index with one random image per platform.
func RandomIndex(t testing.TB, platforms ...string) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, ps := range platforms {
		p, err := v1.ParsePlatform(ps)
		if err != nil {
			t.Fatalf("platform %q: %v", ps, err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: RandomImage(t, ps), Descriptor: v1.Descriptor{Platform: p}})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func randomString(t testing.TB) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(fmt.Sprintf("%x", b), "=")
}

// generateCerts makes a CA and a server certificate for 127.0.0.1 and localhost.
func generateCerts(t testing.TB) (certPEM, keyPEM, caPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "render-check test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

// Pull reads the image at ref from the registry (for tests that re-push it).
func Pull(r *Registry, ref string) (v1.Image, error) {
	tag, err := name.NewTag(r.Host + "/" + strings.TrimPrefix(ref, r.Host+"/"))
	if err != nil {
		return nil, err
	}
	return remote.Image(tag, r.remoteOpts()...)
}
