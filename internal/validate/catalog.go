package validate

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

//go:generate go run ./gen -catalog catalog

// catalogIndexJSON and catalogBlob are the embedded CRD catalog written
// by ./gen: the CustomResourceDefinitions of the operators most used with
// Argo CD, from their Go modules at pinned versions, trimmed to what
// validation reads. The index names every CRD (provenance, group, kind,
// scope, served versions) and where its gzip member is in the blob; a CRD
// is decompressed and decoded only when one of its kinds is looked up.
var (
	//go:embed catalog/index.json
	catalogIndexJSON []byte
	//go:embed catalog/crds.gz
	catalogBlob []byte
)

// CatalogEntry describes one served version of a custom resource in the
// embedded catalog and where its schema comes from.
type CatalogEntry struct {
	// APIVersion is group/version; Kind is the CRD's kind.
	APIVersion, Kind string
	// Namespaced is false for cluster-scoped kinds.
	Namespaced bool
	// Module and Version are the Go module the CRD manifest was read from;
	// File is its path inside the module.
	Module, Version, File string
}

// Source describes the provenance for messages ("module@version file").
func (e CatalogEntry) Source() string {
	return "embedded catalog: " + e.Module + "@" + e.Version + " " + e.File
}

// catalogCRD is one CRD of the catalog; it is decompressed and converted
// on first use.
type catalogCRD struct {
	entry CatalogEntry
	// gz is the CRD's gzip member in the blob
	gz      []byte
	once    sync.Once
	schemas []CRDSchema
	err     error
}

// crdCatalog is the parsed embedded catalog: read-only once loaded.
type crdCatalog struct {
	entries []CatalogEntry
	// byKey maps "apiVersion/Kind" to its CRD.
	byKey map[string]*catalogCRD
}

var (
	crdCatalogOnce sync.Once
	crdCatalogVal  *crdCatalog
	crdCatalogErr  error
)

// loadCRDCatalog parses the embedded catalog's index once per process.
func loadCRDCatalog() (*crdCatalog, error) {
	crdCatalogOnce.Do(func() {
		crdCatalogVal, crdCatalogErr = parseCRDCatalog(catalogIndexJSON, catalogBlob)
	})
	return crdCatalogVal, crdCatalogErr
}

// parseCRDCatalog reads the catalog's index (see ./gen's encodeCatalog);
// no CRD is decompressed.
func parseCRDCatalog(index, blob []byte) (*crdCatalog, error) {
	var doc struct {
		CRDs []struct {
			Module     string   `json:"module"`
			Version    string   `json:"version"`
			File       string   `json:"file"`
			Group      string   `json:"group"`
			Kind       string   `json:"kind"`
			Namespaced bool     `json:"namespaced"`
			Versions   []string `json:"versions"`
			Offset     int      `json:"offset"`
			Size       int      `json:"size"`
		} `json:"crds"`
	}
	if err := json.Unmarshal(index, &doc); err != nil {
		return nil, fmt.Errorf("embedded CRD catalog: %w", err)
	}
	c := &crdCatalog{byKey: map[string]*catalogCRD{}}
	for _, e := range doc.CRDs {
		if e.Offset < 0 || e.Size <= 0 || e.Offset > len(blob)-e.Size {
			return nil, fmt.Errorf("embedded CRD catalog: %s: bytes %d+%d outside the blob", e.File, e.Offset, e.Size)
		}
		crd := &catalogCRD{gz: blob[e.Offset : e.Offset+e.Size : e.Offset+e.Size]}
		for _, v := range e.Versions {
			ce := CatalogEntry{APIVersion: e.Group + "/" + v, Kind: e.Kind,
				Namespaced: e.Namespaced, Module: e.Module, Version: e.Version, File: e.File}
			key := ce.APIVersion + "/" + ce.Kind
			if _, dup := c.byKey[key]; dup {
				return nil, fmt.Errorf("embedded CRD catalog: %s %s twice", ce.APIVersion, ce.Kind)
			}
			if crd.entry.Kind == "" {
				crd.entry = ce
			}
			c.byKey[key] = crd
			c.entries = append(c.entries, ce)
		}
	}
	slices.SortFunc(c.entries, func(a, b CatalogEntry) int {
		return strings.Compare(a.APIVersion+"/"+a.Kind, b.APIVersion+"/"+b.Kind)
	})
	return c, nil
}

// decode decompresses and decodes the CRD.
func (e *catalogCRD) decode() (map[string]any, error) {
	zr, err := gzip.NewReader(bytes.NewReader(e.gz))
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// Catalog lists every apiVersion/kind of the embedded CRD catalog with its
// provenance, sorted by apiVersion and kind.
func Catalog() ([]CatalogEntry, error) {
	c, err := loadCRDCatalog()
	if err != nil {
		return nil, err
	}
	return slices.Clone(c.entries), nil
}

// schema returns the converted schema of apiVersion/kind from the catalog;
// ok is false when the catalog does not have it.
func (c *crdCatalog) schema(apiVersion, kind string) (CRDSchema, bool, error) {
	e := c.byKey[apiVersion+"/"+kind]
	if e == nil {
		return CRDSchema{}, false, nil
	}
	e.once.Do(func() {
		obj, err := e.decode()
		if err != nil {
			e.err = fmt.Errorf("%s: %w", e.entry.Source(), err)
			return
		}
		e.schemas, e.err = ConvertCRD(obj)
		for i := range e.schemas {
			e.schemas[i].Source = e.entry.Source()
		}
	})
	if e.err != nil {
		return CRDSchema{}, false, e.err
	}
	for _, s := range e.schemas {
		if s.APIVersion == apiVersion {
			return s, true, nil
		}
	}
	return CRDSchema{}, false, nil
}

// CatalogCRDs returns the catalog's schemas, converted, in Catalog order
// (for export).
func CatalogCRDs() ([]CRDSchema, error) {
	c, err := loadCRDCatalog()
	if err != nil {
		return nil, err
	}
	out := make([]CRDSchema, 0, len(c.entries))
	for _, e := range c.entries {
		s, ok, err := c.schema(e.APIVersion, e.Kind)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, s)
		}
	}
	return out, nil
}
