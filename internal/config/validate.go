package config

// Validate configures schema validation (the schema check).
type Validate struct {
	// Strict rejects fields that a schema does not declare. Default: true.
	Strict *bool `json:"strict,omitempty"`
	// SchemaLocations are extra kubeconform schema location templates (local
	// paths or URLs), tried after the CRDs and the embedded schemas.
	SchemaLocations []string `json:"schemaLocations,omitempty"`
	// SchemaCacheDir caches schemas fetched from HTTP schema locations.
	SchemaCacheDir string `json:"schemaCacheDir,omitempty"`
	// CRDs are extra files or directories (relative to the root) holding
	// CustomResourceDefinitions, besides those found in the checkout and in
	// the rendered output.
	CRDs []string `json:"crds,omitempty"`
	// SkipKinds are kinds ("Secret") or apiVersion/kinds ("v1/Secret") not validated.
	SkipKinds []string `json:"skipKinds,omitempty"`
	// MissingSchema sets what an object whose kind has no schema yields:
	// "error" (default), "warning" or "ignore", per selector: "*", a group
	// ("operators.coreos.com"), a Kind ("Subscription") or Kind.group
	// ("Subscription.operators.coreos.com"); the most specific wins.
	MissingSchema map[string]string `json:"missingSchema,omitempty"`
	// Catalog turns the embedded CRD catalog on or off. Default: true.
	Catalog *bool `json:"catalog,omitempty"`
}

// UsesCatalog returns Catalog, true when unset.
func (v Validate) UsesCatalog() bool { return v.Catalog == nil || *v.Catalog }

// IsStrict returns Strict, true when unset.
func (v Validate) IsStrict() bool { return v.Strict == nil || *v.Strict }
