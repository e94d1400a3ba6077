// Package validate checks Kubernetes objects offline against the JSON schemas
// of a target Kubernetes version, with kubeconform's engine.
//
// The built-in schemas of every minor from 1.30 to 1.37 are embedded (see
// ./gen and schemas/); custom resources are checked against schemas converted
// from their CustomResourceDefinitions (ConvertCRD) as the API server judges
// them, from the repo and the rendered output first, then kubeconform schema
// locations, then the embedded CRD catalog (Catalog; ./gen -catalog and
// catalog/). Objects without any schema are schema/missing, per
// MissingSchemaPolicy, grouped per kind by GroupMissing. Beyond schemas it reports APIs the target
// version removed or deprecates, duplicate objects, and accepts
// SOPS-encrypted values.
//
// New returns a Validator for one version; Validate checks one decoded
// object. CheckCluster validates a rendered cluster (the schema stage of
// `render-check check`); ValidateFiles validates manifest streams (`render-check
// validate`); Export writes the embedded schemas for the kubeconform CLI.
// Versions, DefaultVersion, BuiltinAPIVersions and BuiltinKind describe the
// embedded minors for other packages (Helm's .Capabilities).
package validate
