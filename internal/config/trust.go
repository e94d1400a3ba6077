package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/netpolicy"
	"github.com/render-check/render-check/internal/report"

	"github.com/render-check/render-check/internal/rootfs"
)

// TrustMode is how a run decides whether the checkout may be trusted.
type TrustMode string

const (
	// TrustAuto trusts the checkout except under CI on a pull or merge
	// request event (GITHUB_EVENT_NAME pull_request or pull_request_target,
	// GitLab CI_PIPELINE_SOURCE merge_request_event), or when
	// RENDER_CHECK_TRUST=untrusted.
	TrustAuto TrustMode = ""
	// TrustTrusted trusts the checkout (--trusted).
	TrustTrusted TrustMode = "trusted"
	// TrustUntrusted treats the checkout as hostile (--untrusted).
	TrustUntrusted TrustMode = "untrusted"
)

// Trust is what a run decided about trust when loading its configuration.
// It is never read from a file.
type Trust struct {
	// Untrusted is true when the checkout is hostile input (a pull request).
	Untrusted bool
	// Reason says why, e.g. "--untrusted" or "GITHUB_EVENT_NAME=pull_request".
	Reason string
	// RepoFile is true when the config file read is part of the checkout
	// (the repo's own .render-check.yaml, or --config naming a file in it).
	RepoFile bool
	// Network is the remote-fetch policy in force.
	Network netpolicy.Policy
	// Ignored are the settings of an untrusted config file that were not
	// applied, sorted by key.
	Ignored []Ignored
}

// Ignored is a setting from an untrusted config file that was not applied.
type Ignored struct {
	// Key is the setting, e.g. "images.credentials".
	Key string
	// File is the config file, relative to the root when inside it.
	File string
	// Line is the key's 1-based line (0 when unknown).
	Line int
}

// LoadOptions say where the configuration comes from and how far to trust it.
type LoadOptions struct {
	// Root is the checkout.
	Root string
	// Path is the --config file; "" means FileName under Root (optional).
	Path string
	// Trust is --trusted, --untrusted or automatic.
	Trust TrustMode
	// Network is the --network flag ("" = environment, config or default).
	Network string
	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
}

// Load reads the config at path with automatic trust detection. An empty
// path means FileName under root, which may be absent (then defaults
// apply). An explicit path must exist.
func Load(root, path string) (*Config, error) {
	return LoadWith(LoadOptions{Root: root, Path: path})
}

// LoadWith reads the configuration and applies the trust split: on an
// untrusted run, settings that grant trust or reach outside the checkout are
// dropped from a config file that is part of the checkout, and recorded in
// Trust.Ignored.
func LoadWith(o LoadOptions) (*Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	untrusted, reason, err := decideTrust(o.Trust, getenv)
	if err != nil {
		return nil, err
	}
	explicit := o.Path != ""
	path := o.Path
	if explicit && !filepath.IsAbs(path) {
		// a relative --config is relative to the working directory
		if path, err = filepath.Abs(path); err != nil {
			return nil, fmt.Errorf("config %s: %w", o.Path, err)
		}
	}
	if !explicit {
		path = filepath.Join(o.Root, FileName)
	}
	inRepo := !explicit || isInside(o.Root, path)
	var data []byte
	if inRepo {
		data, err = readInRoot(o.Root, path)
	} else {
		data, err = os.ReadFile(path)
	}
	var c *Config
	switch {
	case err != nil && !explicit && errors.Is(err, fs.ErrNotExist):
		c = Default()
	case err != nil:
		return nil, fmt.Errorf("reading config: %w", err)
	default:
		c, err = Parse(path, data)
		if err != nil {
			return nil, err
		}
	}
	c.Trust = Trust{Untrusted: untrusted, Reason: reason, RepoFile: inRepo}
	if data != nil {
		c.Notes = c.deprecationNotes(displayName(o.Root, path), data)
	}
	repoNetwork := c.Network
	if untrusted && inRepo && data != nil {
		c.Trust.Ignored = c.dropUntrusted(displayName(o.Root, path), data)
		repoNetwork = ""
	}
	net := o.Network
	if net == "" {
		net = getenv("RENDER_CHECK_NETWORK")
	}
	if net == "" {
		net = repoNetwork
	}
	switch {
	case net != "":
		p, err := netpolicy.Parse(net)
		if err != nil {
			return nil, err
		}
		c.Trust.Network = p
	case untrusted:
		c.Trust.Network = netpolicy.Policy{Mode: netpolicy.Off, Why: "untrusted run (" + reason + "): set --network or RENDER_CHECK_NETWORK to fetch remote sources"}
	default:
		c.Trust.Network = netpolicy.Policy{Mode: netpolicy.All}
	}
	return c, nil
}

// decideTrust applies the flags, then the environment.
func decideTrust(m TrustMode, getenv func(string) string) (bool, string, error) {
	switch m {
	case TrustTrusted:
		return false, "--trusted", nil
	case TrustUntrusted:
		return true, "--untrusted", nil
	case TrustAuto:
	default:
		return false, "", fmt.Errorf("trust: want trusted or untrusted, got %q", m)
	}
	switch v := getenv("RENDER_CHECK_TRUST"); v {
	case "trusted":
		return false, "RENDER_CHECK_TRUST=trusted", nil
	case "untrusted":
		return true, "RENDER_CHECK_TRUST=untrusted", nil
	case "":
	default:
		return false, "", fmt.Errorf("RENDER_CHECK_TRUST: want trusted or untrusted, got %q", v)
	}
	if getenv("GITHUB_ACTIONS") == "true" {
		switch ev := getenv("GITHUB_EVENT_NAME"); ev {
		case "pull_request", "pull_request_target":
			return true, "GITHUB_EVENT_NAME=" + ev, nil
		}
	}
	if getenv("GITLAB_CI") == "true" && getenv("CI_PIPELINE_SOURCE") == "merge_request_event" {
		return true, "CI_PIPELINE_SOURCE=merge_request_event", nil
	}
	return false, "", nil
}

// isInside reports whether path, symlinks resolved, is inside root.
func isInside(root, path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return true
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if p, err := filepath.EvalSymlinks(abs); err == nil {
		abs = p
	} else if p, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(p, filepath.Base(abs))
	}
	rel, err := filepath.Rel(root, abs)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// readInRoot reads a config file that is part of the checkout through the
// rooted filesystem: no symlink out of the checkout is followed.
func readInRoot(root, path string) ([]byte, error) {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return nil, err
	}
	fsys, err := rootfs.Open(root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	return fsys.ReadFile(rel)
}

func displayName(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return path
}

// dropUntrusted clears the settings an untrusted file may not make and
// returns them with their lines.
func (c *Config) dropUntrusted(file string, data []byte) []Ignored {
	var out []Ignored
	drop := func(key string, set bool, clear func()) {
		if !set {
			return
		}
		clear()
		out = append(out, Ignored{Key: key, File: file, Line: keyLine(data, strings.Split(key, "."))})
	}
	im := &c.Images
	drop("images.credentials", len(im.Credentials) > 0, func() { im.Credentials = nil })
	drop("images.insecure", len(im.Insecure) > 0, func() { im.Insecure = nil })
	drop("images.caBundle", im.CABundle != "", func() { im.CABundle = "" })
	drop("images.mirrors", len(im.Mirrors) > 0, func() { im.Mirrors = nil })
	drop("images.tagCacheTTL", im.TagCacheTTL != "", func() { im.TagCacheTTL = "" })
	rd := &c.Render
	drop("render.kustomizeBuildOptions", liftsRestrictions(rd.KustomizeBuildOptions), func() { rd.KustomizeBuildOptions = keepSafeBuildOptions(rd.KustomizeBuildOptions) })
	drop("render.limits", rd.Limits != (Limits{}), func() { rd.Limits = Limits{} })
	drop("render.chartCacheDir", rd.ChartCacheDir != "", func() { rd.ChartCacheDir = "" })
	va := &c.Validate
	drop("validate.schemaLocations", len(va.SchemaLocations) > 0, func() { va.SchemaLocations = nil })
	drop("validate.schemaCacheDir", va.SchemaCacheDir != "", func() { va.SchemaCacheDir = "" })
	drop("validate.crds", len(relativeOnly(va.CRDs)) != len(va.CRDs), func() { va.CRDs = relativeOnly(va.CRDs) })
	se := &c.Secrets
	drop("secrets.allow", len(se.Allow) > 0, func() { se.Allow = nil })
	drop("secrets.exclude", len(se.Exclude) > 0, func() { se.Exclude = nil })
	drop("secrets.baseline", se.Baseline != "", func() { se.Baseline = "" })
	drop("network", c.Network != "", func() { c.Network = "" })
	drop("cache.dir", c.Cache.Dir != "", func() { c.Cache.Dir = "" })
	drop("cache.maxSize", c.Cache.MaxSize != 0, func() { c.Cache.MaxSize = 0 })
	// an override may raise a rule (more strictness is always safe), never
	// lower or turn it off: that is the pull request grading itself
	isLower := func(rule, sev string) bool {
		sev = normSeverity(sev)
		if sev == SeverityOff {
			return true
		}
		r, ok := report.LookupRule(rule)
		return !ok || report.Severity(sev).Rank() < r.Severity.Rank()
	}
	lowers := func(m map[string]string) bool {
		for k, v := range m {
			if isLower(k, v) {
				return true
			}
		}
		return false
	}
	keepRaises := func(m map[string]string) {
		for k, v := range m {
			if isLower(k, v) {
				delete(m, k)
			}
		}
	}
	drop("policy.severity", lowers(c.Policy.Severity), func() { keepRaises(c.Policy.Severity) })
	for _, name := range sortedKeys(c.ClusterSettings) {
		cs := c.ClusterSettings[name]
		drop("clusterSettings."+name+".severity", lowers(cs.Severity), func() { keepRaises(cs.Severity) })
	}
	slices.SortFunc(out, func(a, b Ignored) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// liftsRestrictions reports kustomize build options that widen what a build
// may read (the load restrictor) or run (plugins, exec).
func liftsRestrictions(s string) bool {
	return s != keepSafeBuildOptions(s)
}

// SafeBuildOptions keeps, of argocd-cm style kustomize build options, those
// any source may set: --enable-helm and --reorder (nothing that widens what
// a build may read or run).
func SafeBuildOptions(s string) string { return keepSafeBuildOptions(s) }

// relativeOnly keeps the paths that are relative to the root: an absolute
// path would read the runner's filesystem (relative ones are read through
// the rooted reader, which refuses any that leave the root).
func relativeOnly(paths []string) []string {
	var keep []string
	for _, p := range paths {
		if !filepath.IsAbs(p) && !strings.HasPrefix(p, "/") {
			keep = append(keep, p)
		}
	}
	return keep
}

// keepSafeBuildOptions keeps the build options that change output but grant
// nothing: --enable-helm (rendered in-process) and --reorder.
func keepSafeBuildOptions(s string) string {
	f := strings.Fields(s)
	var keep []string
	for i := 0; i < len(f); i++ {
		a := f[i]
		switch {
		case a == "--enable-helm":
			keep = append(keep, a)
		case strings.HasPrefix(a, "--reorder="):
			keep = append(keep, a)
		case a == "--reorder" && i+1 < len(f):
			keep = append(keep, a, f[i+1])
			i++
		case a == "--load-restrictor" && i+1 < len(f):
			i++ // dropped with its value
		}
		// anything else (--load-restrictor=..., plugin flags) is dropped
	}
	return strings.Join(keep, " ")
}

// keyLine returns the 1-based line of a dotted key in a YAML file (0 when
// not found).
func keyLine(data []byte, path []string) int {
	var doc yamlv3.Node
	if yamlv3.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	n := doc.Content[0]
	line := 0
	for _, k := range path {
		if n.Kind != yamlv3.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}
