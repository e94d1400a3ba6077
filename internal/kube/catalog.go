// Package kube is the Kubernetes catalogue: the target versions render-check
// supports (one embedded OpenAPI catalogue per minor), the default version,
// the API resources each minor serves, and the one place a cluster's target
// version is decided (Target). Rendering (Helm's .Capabilities) and
// validation (schemas, removed APIs) both read it.
package kube

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/render-check/render-check/internal/kube/openapi"
)

//go:generate go run ./gen -out schemas

// schemaFS holds one gzipped tar per embedded Kubernetes minor, written by
// ./gen from the OpenAPI v3 documents of k8s.io/kubernetes.
//
//go:embed schemas/*.tar.gz
var schemaFS embed.FS

// Catalog is the parsed built-in schemas of one minor. It is immutable once
// loaded and shared by every reader.
type Catalog struct {
	// Minor is the Kubernetes minor ("1.34").
	Minor string
	// Kinds maps "apiVersion/Kind" to the kind. Read only.
	Kinds map[string]openapi.Kind
	// raw is the definitions document as stored; definitions parses it
	// on first use (status checks of other minors only need kinds).
	raw     []byte
	docOnce sync.Once
	doc     map[string]any
	docErr  error
}

// Definitions returns {"definitions": {...}}, shared read-only by every
// schema compiler.
func (c *Catalog) Definitions() (map[string]any, error) {
	c.docOnce.Do(func() {
		dec := json.NewDecoder(bytes.NewReader(c.raw))
		dec.UseNumber()
		if err := dec.Decode(&c.doc); err != nil {
			c.docErr = fmt.Errorf("schemas %s: definitions: %w", c.Minor, err)
		}
	})
	return c.doc, c.docErr
}

var (
	catalogsMu sync.Mutex
	catalogs   = map[string]*catalogEntry{}
)

type catalogEntry struct {
	once sync.Once
	c    *Catalog
	err  error
}

// Versions returns the embedded Kubernetes minors ("1.30", ...), sorted
// oldest first.
func Versions() []string {
	entries, err := schemaFS.ReadDir("schemas")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if m, ok := strings.CutSuffix(strings.TrimPrefix(e.Name(), "v"), ".tar.gz"); ok {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, CompareMinor)
	return out
}

// DefaultVersion returns the newest embedded minor.
func DefaultVersion() string {
	v := Versions()
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// CompareMinor orders "1.9" before "1.30".
func CompareMinor(a, b string) int {
	pa, pb := minorNumber(a), minorNumber(b)
	if pa != pb {
		return pa - pb
	}
	return strings.Compare(a, b)
}

func minorNumber(v string) int {
	_, m, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(m)
	if err != nil {
		return -1
	}
	return n
}

// UnknownVersionError is returned for a Kubernetes version that is not
// embedded.
type UnknownVersionError struct {
	// Version is the value as given.
	Version string
}

// Error names the version and the supported ones.
func (e *UnknownVersionError) Error() string {
	return fmt.Sprintf("Kubernetes version %q has no embedded schemas (embedded: %s)", e.Version, strings.Join(Versions(), ", "))
}

// ParseVersion normalises a Kubernetes version ("1.34", "v1.34", "1.34.2")
// to an embedded minor ("1.34"); "" means DefaultVersion. It returns an
// *UnknownVersionError when the minor is not embedded.
func ParseVersion(v string) (string, error) {
	if v == "" {
		return DefaultVersion(), nil
	}
	s := strings.TrimPrefix(v, "v")
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return "", &UnknownVersionError{Version: v}
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return "", &UnknownVersionError{Version: v}
		}
	}
	m := parts[0] + "." + parts[1]
	if !slices.Contains(Versions(), m) {
		return "", &UnknownVersionError{Version: v}
	}
	return m, nil
}

// Load returns the catalogue of a Kubernetes version (any form ParseVersion
// accepts), parsed once per process.
func Load(minor string) (*Catalog, error) {
	m, err := ParseVersion(minor)
	if err != nil {
		return nil, err
	}
	catalogsMu.Lock()
	e := catalogs[m]
	if e == nil {
		e = &catalogEntry{}
		catalogs[m] = e
	}
	catalogsMu.Unlock()
	e.once.Do(func() { e.c, e.err = readCatalog(m) })
	return e.c, e.err
}

func readCatalog(minor string) (*Catalog, error) {
	f, err := schemaFS.Open(path.Join("schemas", "v"+minor+".tar.gz"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("schemas %s: %w", minor, err)
	}
	tr := tar.NewReader(zr)
	c := &Catalog{Minor: minor, Kinds: map[string]openapi.Kind{}}
	var kinds []openapi.Kind
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("schemas %s: %w", minor, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("schemas %s: %w", minor, err)
		}
		switch hdr.Name {
		case "kinds.json":
			if err := json.Unmarshal(data, &kinds); err != nil {
				return nil, fmt.Errorf("schemas %s: kinds: %w", minor, err)
			}
		case "definitions.json":
			c.raw = data
		}
	}
	if c.raw == nil || len(kinds) == 0 {
		return nil, fmt.Errorf("schemas %s: incomplete archive", minor)
	}
	for _, k := range kinds {
		c.Kinds[k.APIVersion()+"/"+k.Kind] = k
	}
	return c, nil
}

// BuiltinAPIVersions returns, sorted, every "group/version" (core: "v1") and
// "group/version/Kind" (core: "v1/Pod") that the API server of the given
// minor serves, as Helm's .Capabilities.APIVersions lists them.
func BuiltinAPIVersions(minor string) ([]string, error) {
	c, err := Load(minor)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for key, k := range c.Kinds {
		for _, s := range []string{k.APIVersion(), key} {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// KindInfo describes a built-in kind of one minor.
type KindInfo struct {
	// APIVersion is "group/version" ("v1" for core).
	APIVersion string
	Kind       string
	// Namespaced is the kind's scope, nil when the OpenAPI documents do not
	// tell it (List kinds).
	Namespaced *bool
}

// BuiltinKind reports whether the minor serves apiVersion/kind, and its scope.
func BuiltinKind(minor, apiVersion, kind string) (KindInfo, bool, error) {
	c, err := Load(minor)
	if err != nil {
		return KindInfo{}, false, err
	}
	k, ok := c.Kinds[apiVersion+"/"+kind]
	if !ok {
		return KindInfo{}, false, nil
	}
	return KindInfo{APIVersion: apiVersion, Kind: kind, Namespaced: k.Namespaced}, true, nil
}
