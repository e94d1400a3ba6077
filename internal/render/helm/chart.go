package helm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// ErrNotInstallable is returned for a library chart.
var ErrNotInstallable = errors.New("chart is not installable")

// chartEntry is a chart loaded once per Renderer.
type chartEntry struct {
	once  sync.Once
	chart *chart.Chart
	files []string // absolute paths of the files in the chart directory
	err   error
}

// loadDir loads (once per Renderer) the chart in dir. display maps an
// absolute path to its repo-relative form for errors.
func (r *Renderer) loadDir(dir string, display func(string) string) (*chart.Chart, []string, error) {
	r.mu.Lock()
	e, ok := r.charts["dir:"+dir]
	if !ok {
		e = &chartEntry{}
		r.charts["dir:"+dir] = e
	}
	r.mu.Unlock()
	e.once.Do(func() {
		r.stats.mu.Lock()
		r.stats.loads++
		r.stats.mu.Unlock()
		if e.err = r.contained(dir, display); e.err != nil {
			return
		}
		e.chart, e.err = loadChartDir(dir)
		if e.err == nil && r.overlayUnder(dir) {
			e.chart, e.err = r.overlayChart(e.chart, dir)
		}
		if e.err != nil {
			e.err = loadError(e.err, dir, display)
			return
		}
		e.files = listFiles(dir)
	})
	return e.chart, e.files, e.err
}

// loadChartDir loads a chart directory, turning a panic of the loader into an error.
func loadChartDir(dir string) (c *chart.Chart, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("loading chart: panic: %v", p)
		}
	}()
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return nil, fmt.Errorf("Chart.yaml file is missing: %w", err)
	}
	return loader.LoadDir(dir)
}

func listFiles(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".git") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

var (
	cannotLoadRE = regexp.MustCompile(`cannot load ([A-Za-z0-9_.\-]+)`)
	subchartRE   = regexp.MustCompile(`error unpacking subchart ([A-Za-z0-9_.\-]+) in`)
)

// loadError attributes a loader error to the file it names.
func loadError(err error, dir string, display func(string) string) error {
	msg := err.Error()
	sub := dir
	if m := subchartRE.FindStringSubmatch(msg); m != nil {
		if st, e := os.Stat(filepath.Join(dir, "charts", m[1])); e == nil && st.IsDir() {
			sub = filepath.Join(dir, "charts", m[1])
		}
	}
	file := ""
	switch m := cannotLoadRE.FindStringSubmatch(msg); {
	case m != nil:
		file = m[1]
	case strings.Contains(msg, "Chart.yaml") || strings.Contains(msg, "validation:") || strings.Contains(msg, "chart.metadata"):
		file = "Chart.yaml"
	}
	if file == "" {
		return &Error{File: display(dir), Err: fmt.Errorf("loading chart: %w", err)}
	}
	e := &Error{File: display(filepath.Join(sub, file)), Err: fmt.Errorf("loading chart: %w", err)}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
	}
	return e
}

// checkInstallable rejects library charts as helm template does.
func checkInstallable(c *chart.Chart) error {
	switch c.Metadata.Type {
	case "", "application":
		return nil
	}
	return fmt.Errorf("%s charts are not installable: %w", c.Metadata.Type, ErrNotInstallable)
}

// cloneChart copies what helm mutates while rendering (metadata and its
// dependencies, values, the dependency tree) so a cached chart can be
// rendered many times, concurrently. Templates and files are shared.
func cloneChart(c *chart.Chart) *chart.Chart {
	n := *c
	if c.Metadata != nil {
		md := *c.Metadata
		if c.Metadata.Dependencies != nil {
			md.Dependencies = make([]*chart.Dependency, len(c.Metadata.Dependencies))
			for i, d := range c.Metadata.Dependencies {
				dd := *d
				dd.Tags = append([]string(nil), d.Tags...)
				dd.ImportValues = deepCopy(d.ImportValues).([]any)
				md.Dependencies[i] = &dd
			}
		}
		n.Metadata = &md
	}
	if c.Values != nil {
		n.Values = deepCopy(c.Values).(map[string]any)
	}
	deps := c.Dependencies()
	clones := make([]*chart.Chart, len(deps))
	for i, d := range deps {
		clones[i] = cloneChart(d)
	}
	n.SetDependencies(clones...)
	return &n
}

// deepCopy copies maps and slices of decoded YAML values.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if t == nil {
			return t
		}
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		if t == nil {
			return t
		}
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}

// sourceMapper maps helm's "# Source:" paths to repo-relative files.
type sourceMapper struct {
	chartName string
	chartDir  string            // absolute, "" for a remote chart
	subDirs   map[string]string // "charts/<name>" -> absolute dir of a file:// dependency
	display   func(string) string
}

func (m *sourceMapper) mapPath(src string) string {
	if m.chartDir == "" {
		return src
	}
	rest, ok := strings.CutPrefix(src, m.chartName+"/")
	if !ok {
		return src
	}
	cands := []string{filepath.Join(m.chartDir, filepath.FromSlash(rest))}
	keys := make([]string, 0, len(m.subDirs))
	for k := range m.subDirs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if sub, ok := strings.CutPrefix(rest, k+"/"); ok {
			cands = append([]string{filepath.Join(m.subDirs[k], filepath.FromSlash(sub))}, cands...)
		}
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			if d := m.display(c); d != "" && !strings.HasPrefix(d, "../") {
				return d
			}
		}
	}
	return src
}

var (
	// helm template errors: "template: c/templates/x.yaml:3:14: executing ..." or
	// "execution error at (c/templates/x.yaml:2:4): ..." or "parse error at (c/templates/x.yaml:3): ..."
	tplErrRE  = regexp.MustCompile(`(?:template: |at \()([^\s:()"]+\.(?:ya?ml|tpl|txt|json)):(\d+)`)
	yamlErrRE = regexp.MustCompile(`YAML parse error on ([^\s:()"]+):`)
)

// renderError attributes a helm render error to the template it names.
func (m *sourceMapper) renderError(err error) error {
	msg := err.Error()
	if s := tplErrRE.FindAllStringSubmatch(msg, -1); s != nil {
		// the innermost location is the last one mentioned
		last := s[len(s)-1]
		line, _ := strconv.Atoi(last[2])
		return &Error{File: m.mapPath(last[1]), Line: line, Err: suggestFunc(err)}
	}
	if s := yamlErrRE.FindStringSubmatch(msg); s != nil {
		return &Error{File: m.mapPath(s[1]), Err: err}
	}
	return err
}
