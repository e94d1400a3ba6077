package secrets

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/rootfs"
)

// listFiles returns the repo-relative files to scan: git's file list
// (tracked plus untracked, not ignored) when root is in a git work tree,
// else a walk that skips .git. paths restrict the list to those files or
// directories. Files inside Helm chart templates directories are left to
// the rendered-output scan.
func listFiles(all, paths []string, root *rootfs.FS, exclude func(string) bool) []string {
	charts := map[string]bool{}
	for _, f := range all {
		if path.Base(f) == "Chart.yaml" {
			charts[path.Dir(f)] = true
		}
	}
	var out []string
	for _, f := range all {
		if exclude != nil && exclude(f) {
			continue
		}
		if len(paths) > 0 && !underAny(f, paths) {
			continue
		}
		if inChartTemplates(f, charts) {
			continue
		}
		out = append(out, f)
	}
	// explicit files git does not list (ignored, or outside a repo) are
	// still scanned when named.
	for _, p := range paths {
		if slices.Contains(out, p) || (exclude != nil && exclude(p)) || inChartTemplates(p, charts) {
			continue
		}
		if st, err := root.Stat(filepath.FromSlash(p)); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func underAny(f string, paths []string) bool {
	for _, p := range paths {
		if p == "." || p == "" || f == p || strings.HasPrefix(f, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

func inChartTemplates(f string, charts map[string]bool) bool {
	for d := path.Dir(f); d != "." && d != "/"; d = path.Dir(d) {
		if path.Base(d) == "templates" && charts[path.Dir(d)] {
			return true
		}
	}
	return false
}

// sopsConfig is one .sops.yaml: its creation rules' path regexes in order.
type sopsConfig struct {
	dir   string // repo-relative directory of the .sops.yaml
	rules []creationRule
}

type creationRule struct {
	pathRegex *regexp.Regexp // nil: matches every file
}

// loadSopsConfigs reads every .sops.yaml in the repo.
func (s *scanner) loadSopsConfigs(all []string) {
	for _, f := range all {
		if path.Base(f) != ".sops.yaml" {
			continue
		}
		data, err := s.readLimited(f)
		if err != nil {
			continue
		}
		var c struct {
			CreationRules []struct {
				PathRegex string `yaml:"path_regex"`
			} `yaml:"creation_rules"`
		}
		cfg := &sopsConfig{dir: path.Dir(f)}
		if err := yaml.Unmarshal(data, &c); err != nil {
			s.add(hit{rule: report.RuleSecretUnparsable, file: f, line: 1, fp: fingerprintOfPlace(report.RuleSecretUnparsable, f, ""),
				msg: ".sops.yaml does not parse; its creation rules were not checked"})
			continue
		}
		for i, r := range c.CreationRules {
			cr := creationRule{}
			if r.PathRegex != "" {
				re, err := regexp.Compile(r.PathRegex)
				if err != nil {
					s.add(hit{rule: report.RuleSecretUnparsable, file: f, line: 1, fp: fingerprintOfPlace(report.RuleSecretUnparsable, f, fmt.Sprint(i)),
						msg: fmt.Sprintf("creation_rules[%d].path_regex is not a valid regular expression", i)})
					cr.pathRegex = neverMatch
				} else {
					cr.pathRegex = re
				}
			}
			cfg.rules = append(cfg.rules, cr)
		}
		s.sopsConfigs[cfg.dir] = cfg
	}
}

// mustBeEncrypted reports whether the nearest .sops.yaml's first matching
// creation rule selects the file by path_regex. A catch-all rule (no
// path_regex) says how to encrypt, not that every file must be encrypted.
func (s *scanner) mustBeEncrypted(rel string) bool {
	for d := path.Dir(rel); ; d = path.Dir(d) {
		if c, ok := s.sopsConfigs[d]; ok {
			p := rel
			if d != "." {
				p = strings.TrimPrefix(rel, d+"/")
			}
			for _, r := range c.rules {
				if r.pathRegex == nil {
					return false
				}
				if r.pathRegex.MatchString(p) {
					return true
				}
			}
			return false
		}
		if d == "." || d == "/" {
			return false
		}
	}
}

// errOutsideRoot is returned for a PATH argument outside the root.
var errOutsideRoot = errors.New("path is outside the root")

// RelPaths turns command-line paths (absolute, or relative to cwd) into
// repo-relative slash paths, checking that each exists inside root.
func RelPaths(root, cwd string, args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		p := a
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, fmt.Errorf("%s: %w", a, errOutsideRoot)
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}
