package config

// Images configures the image existence check.
type Images struct {
	// Mode is verify, warn or off. Default: verify.
	Mode string `json:"mode,omitempty"`
	// Skip are image reference globs that are not checked.
	Skip []string `json:"skip,omitempty"`
	// Concurrency bounds concurrent registry requests. Default: 16.
	Concurrency int `json:"concurrency,omitempty"`
}

func (i *Images) applyDefaults() {
	if i.Mode == "" {
		i.Mode = "verify"
	}
	if i.Concurrency == 0 {
		i.Concurrency = 16
	}
}
