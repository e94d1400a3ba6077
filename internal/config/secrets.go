package config

// Secrets configures the plaintext secret scan.
type Secrets struct {
	// Allow lists paths and rules that are accepted.
	Allow []SecretAllow `json:"allow,omitempty"`
}

// SecretAllow accepts findings of Rules (all when empty) in files matching Paths.
type SecretAllow struct {
	Paths []string `json:"paths,omitempty"`
	Rules []string `json:"rules,omitempty"`
}
