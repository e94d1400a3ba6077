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

// catalogGz is the embedded CRD catalog written by ./gen: the
// CustomResourceDefinitions of the operators most used with Argo CD, from
// their Go modules at pinned versions, trimmed to what validation reads.
//
//go:embed catalog/crds.json.gz
var catalogGz []byte

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

// catalogCRD is one CRD of the catalog; it is converted on first use.
type catalogCRD struct {
	entry   CatalogEntry
	raw     json.RawMessage
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
		crdCatalogVal, crdCatalogErr = parseCRDCatalog(catalogGz)
	})
	return crdCatalogVal, crdCatalogErr
}

func parseCRDCatalog(gz []byte) (*crdCatalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("embedded CRD catalog: %w", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("embedded CRD catalog: %w", err)
	}
	var doc struct {
		CRDs []struct {
			Module  string          `json:"module"`
			Version string          `json:"version"`
			File    string          `json:"file"`
			CRD     json.RawMessage `json:"crd"`
		} `json:"crds"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("embedded CRD catalog: %w", err)
	}
	c := &crdCatalog{byKey: map[string]*catalogCRD{}}
	for _, e := range doc.CRDs {
		// only the names are read now; the schema when a kind is looked up
		var head struct {
			Spec struct {
				Group string `json:"group"`
				Scope string `json:"scope"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Served bool   `json:"served"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(e.CRD, &head); err != nil {
			return nil, fmt.Errorf("embedded CRD catalog: %s: %w", e.File, err)
		}
		for _, v := range head.Spec.Versions {
			if !v.Served {
				continue
			}
			ce := CatalogEntry{APIVersion: head.Spec.Group + "/" + v.Name, Kind: head.Spec.Names.Kind,
				Namespaced: head.Spec.Scope != "Cluster", Module: e.Module, Version: e.Version, File: e.File}
			key := ce.APIVersion + "/" + ce.Kind
			if _, dup := c.byKey[key]; dup {
				return nil, fmt.Errorf("embedded CRD catalog: %s %s twice", ce.APIVersion, ce.Kind)
			}
			c.byKey[key] = &catalogCRD{entry: ce, raw: e.CRD}
			c.entries = append(c.entries, ce)
		}
	}
	slices.SortFunc(c.entries, func(a, b CatalogEntry) int {
		return strings.Compare(a.APIVersion+"/"+a.Kind, b.APIVersion+"/"+b.Kind)
	})
	return c, nil
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
		var obj map[string]any
		if err := json.Unmarshal(e.raw, &obj); err != nil {
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
