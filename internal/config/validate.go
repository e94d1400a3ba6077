package config

// Validate configures schema validation.
type Validate struct {
	// SchemaLocations are extra kubeconform schema location templates.
	SchemaLocations []string `json:"schemaLocations,omitempty"`
	// CRDs are extra files or directories holding CustomResourceDefinitions.
	CRDs []string `json:"crds,omitempty"`
	// SkipKinds are kinds (or apiVersion/kind) not validated.
	SkipKinds []string `json:"skipKinds,omitempty"`
}
