package config

// Secrets configures the plaintext secret scan (see docs/secrets.md).
type Secrets struct {
	// Allow lists paths and rules that are accepted.
	Allow []SecretAllow `json:"allow,omitempty"`
	// Exclude are path globs (doublestar, relative to the root) that are
	// not scanned at all, e.g. test fixtures.
	Exclude []string `json:"exclude,omitempty"`
	// Baseline is the file of accepted finding fingerprints, relative to
	// the root. Default: .render-check-baseline.json.
	Baseline string `json:"baseline,omitempty"`
}

// SecretAllow accepts findings of Rules (all secret rules when empty) in
// files matching Paths (doublestar globs relative to the root).
type SecretAllow struct {
	Paths []string `json:"paths,omitempty"`
	Rules []string `json:"rules,omitempty"`
}
