package validate

import (
	"fmt"
	"slices"
	"sync"

	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/render-check/render-check/internal/resource"
)

// Cache shares work between the Validators of one run (one per cluster):
// each CRD schema is converted and compiled once, and an object equal in
// content to one already validated against the same schema gets the same
// problems without being validated again (the same base rendered into 20
// clusters is validated once). A Cache is safe for concurrent use; it
// holds no object, only schemas and problems, and lives as long as the run.
type Cache struct {
	mu sync.Mutex
	// crds: compiled CRD schemas by Kubernetes minor, schema URL and content.
	crds map[crdKey]*crdEntry
	// converted: CRDs converted from rendered CustomResourceDefinitions, by content.
	converted map[resource.Sum]*convertedCRD
	// verdicts: schema problems by schema and object content.
	verdicts map[verdictKey][]Problem

	// compMu guards compilers: per minor, the compilers holding CRD schemas
	// (one more when two CRDs of one apiVersion/kind differ in content,
	// since a compiler holds one schema per URL).
	compMu    sync.Mutex
	compilers map[string][]*crdCompiler
}

// NewCache returns an empty Cache.
func NewCache() *Cache {
	return &Cache{
		crds:      map[crdKey]*crdEntry{},
		converted: map[resource.Sum]*convertedCRD{},
		verdicts:  map[verdictKey][]Problem{},
		compilers: map[string][]*crdCompiler{},
	}
}

type crdKey struct {
	minor, url string
	sum        resource.Sum
}

type crdEntry struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

type crdCompiler struct {
	c    *jsonschema.Compiler
	urls map[string]bool
}

type convertedCRD struct {
	once sync.Once
	crds []CRDSchema
	err  error
}

// verdictKey names the schema problems of one object: the compiled schema
// (shared between Validators through the Cache), everything of the
// Validator that shapes the problems, and the object's content.
type verdictKey struct {
	schema *jsonschema.Schema
	strict bool
	sops   bool
	source string
	sum    resource.Sum
}

// convertCRD is ConvertCRD of a rendered CustomResourceDefinition, once
// per content; the caller must not modify the result's elements in place
// (it gets its own slice).
func (c *Cache) convertCRD(obj map[string]any) ([]CRDSchema, error) {
	sum, ok := resource.ContentSum(obj)
	if !ok {
		return ConvertCRD(obj)
	}
	c.mu.Lock()
	e := c.converted[sum]
	if e == nil {
		e = &convertedCRD{}
		c.converted[sum] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.crds, e.err = ConvertCRD(obj) })
	return slices.Clone(e.crds), e.err
}

// compileCRD compiles doc, the schema of a custom resource at url, with the
// definitions of sc (whose document is at defsURL) for Kubernetes minor:
// once per distinct content in the run.
func (c *Cache) compileCRD(minor, defsURL string, sc *sharedCompiler, url string, doc map[string]any) (*jsonschema.Schema, error) {
	sum, ok := resource.ContentSum(doc)
	if !ok {
		return nil, fmt.Errorf("schema of %s holds a value that is not JSON", url)
	}
	k := crdKey{minor: minor, url: url, sum: sum}
	c.mu.Lock()
	e := c.crds[k]
	if e == nil {
		e = &crdEntry{}
		c.crds[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.schema, e.err = c.compileNew(minor, defsURL, sc, url, doc) })
	return e.schema, e.err
}

func (c *Cache) compileNew(minor, defsURL string, sc *sharedCompiler, url string, doc map[string]any) (*jsonschema.Schema, error) {
	c.compMu.Lock()
	defer c.compMu.Unlock()
	var comp *crdCompiler
	for _, cc := range c.compilers[minor] {
		if !cc.urls[url] {
			comp = cc
			break
		}
	}
	if comp == nil {
		if sc.err != nil {
			return nil, sc.err
		}
		var err error
		jc := newDefsCompiler(defsURL, sc.doc, &err)
		if err != nil {
			return nil, err
		}
		comp = &crdCompiler{c: jc, urls: map[string]bool{}}
		c.compilers[minor] = append(c.compilers[minor], comp)
	}
	comp.urls[url] = true
	if err := comp.c.AddResource(url, doc); err != nil {
		return nil, &schemaError{err}
	}
	s, err := comp.c.Compile(url)
	if err != nil {
		return nil, &schemaError{err}
	}
	return s, nil
}

// schemaError is a CRD schema that the compiler rejects (as opposed to
// the embedded definitions failing to load).
type schemaError struct{ err error }

func (e *schemaError) Error() string { return e.err.Error() }
func (e *schemaError) Unwrap() error { return e.err }

// verdict returns the cached schema problems of key.
func (c *Cache) verdict(k verdictKey) ([]Problem, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.verdicts[k]
	return ps, ok
}

func (c *Cache) setVerdict(k verdictKey, ps []Problem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.verdicts[k] = ps
}
