package config

// Policy configures the repo/... rules.
type Policy struct{}
