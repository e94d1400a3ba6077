package secrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
)

// ConfigError is a bad secrets section of the configuration (exit 2).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return "secrets config: " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// allowlist is the config's path globs + rules and excluded paths.
type allowlist struct {
	entries []config.SecretAllow
	exclude func(string) bool
}

func newAllowlist(c config.Secrets) (*allowlist, error) {
	known := Rules()
	for i, a := range c.Allow {
		if len(a.Paths) == 0 {
			return nil, &ConfigError{fmt.Errorf("allow[%d]: paths must not be empty", i)}
		}
		for _, p := range a.Paths {
			if !doublestar.ValidatePattern(p) {
				return nil, &ConfigError{fmt.Errorf("allow[%d]: bad path glob %q", i, p)}
			}
		}
		for _, r := range a.Rules {
			if !slices.Contains(known, r) {
				return nil, &ConfigError{fmt.Errorf("allow[%d]: unknown rule %q (known: %v)", i, r, known)}
			}
		}
	}
	for _, p := range c.Exclude {
		if !doublestar.ValidatePattern(p) {
			return nil, &ConfigError{fmt.Errorf("exclude: bad path glob %q", p)}
		}
	}
	ex := c.Exclude
	return &allowlist{entries: c.Allow, exclude: func(f string) bool {
		for _, p := range ex {
			if ok, _ := doublestar.Match(p, f); ok {
				return true
			}
		}
		return false
	}}, nil
}

func (a *allowlist) allows(f report.Finding) bool {
	for _, e := range a.entries {
		if len(e.Rules) > 0 && !slices.Contains(e.Rules, f.Rule) {
			continue
		}
		for _, p := range e.Paths {
			if ok, _ := doublestar.Match(p, f.File); ok {
				return true
			}
		}
	}
	return false
}

// BaselineVersion is the version of the baseline file format.
const BaselineVersion = 1

// Baseline is the file of accepted findings, for adopting the check on a
// repo that already has some. It holds fingerprints, never values.
type Baseline struct {
	Version  int             `json:"version"`
	Accepted []BaselineEntry `json:"accepted"`
}

// BaselineEntry accepts one finding: its rule, file and fingerprint (the
// line is not part of the match, so edits elsewhere keep it accepted).
type BaselineEntry struct {
	Rule        string `json:"rule"`
	File        string `json:"file"`
	Fingerprint string `json:"fingerprint"`
}

// BaselinePath returns the baseline file path: the config's, else
// DefaultBaseline, relative to root.
func BaselinePath(root string, c config.Secrets) string {
	p := c.Baseline
	if p == "" {
		p = DefaultBaseline
	}
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

// LoadBaseline reads a baseline; a missing file is an empty baseline.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Baseline{Version: BaselineVersion}, nil
	}
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("reading baseline: %w", err)}
	}
	b := &Baseline{}
	if err := json.Unmarshal(data, b); err != nil {
		return nil, &ConfigError{fmt.Errorf("baseline %s: %w", path, err)}
	}
	if b.Version != BaselineVersion {
		return nil, &ConfigError{fmt.Errorf("baseline %s: unsupported version %d", path, b.Version)}
	}
	return b, nil
}

func (b *Baseline) accepts(f report.Finding) bool {
	if b == nil || f.Fingerprint == "" {
		return false
	}
	for _, e := range b.Accepted {
		if e.Rule == f.Rule && e.File == f.File && e.Fingerprint == f.Fingerprint {
			return true
		}
	}
	return false
}

// NewBaseline accepts every secret finding given, sorted and deduplicated.
func NewBaseline(fs []report.Finding) *Baseline {
	b := &Baseline{Version: BaselineVersion, Accepted: []BaselineEntry{}}
	for _, f := range fs {
		if f.Check() != "secret" || f.Fingerprint == "" {
			continue
		}
		b.Accepted = append(b.Accepted, BaselineEntry{Rule: f.Rule, File: f.File, Fingerprint: f.Fingerprint})
	}
	slices.SortFunc(b.Accepted, func(x, y BaselineEntry) int {
		if c := cmpStr(x.File, y.File); c != 0 {
			return c
		}
		if c := cmpStr(x.Rule, y.Rule); c != 0 {
			return c
		}
		return cmpStr(x.Fingerprint, y.Fingerprint)
	})
	b.Accepted = slices.Compact(b.Accepted)
	return b
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Write writes the baseline as indented JSON.
func (b *Baseline) Write(path string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding baseline: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing baseline: %w", err)
	}
	return nil
}
