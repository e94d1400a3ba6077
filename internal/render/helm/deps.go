package helm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
)

// ErrLockOutOfSync is returned when Chart.lock does not match Chart.yaml's
// dependencies, as `helm dependency build` refuses.
var ErrLockOutOfSync = errors.New("the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml); please update the dependencies")

// ErrMissingDependency is returned when a dependency can be neither found
// in charts/ nor built.
var ErrMissingDependency = errors.New("missing chart dependency")

// builtChart is a chart with its dependencies built in memory.
type builtChart struct {
	chart   *chart.Chart
	subDirs map[string]string // "charts/<name>" -> directory of a file:// dependency
	inputs  []string          // repo-relative files of file:// dependencies
}

type depsEntry struct {
	once sync.Once
	b    *builtChart
	err  error
}

// buildDeps does, in memory and once per chart directory, what
// `helm dependency build` does: every dependency of Chart.lock (or, without
// a lock, Chart.yaml's ranges resolved) is fetched (file://, index
// repositories, oci://) and attached to the chart. The checkout is never
// written.
func (r *Renderer) buildDeps(ctx context.Context, ch *chart.Chart, chartDir string, ps *paths) (*builtChart, error) {
	r.mu.Lock()
	if r.built == nil {
		r.built = map[string]*depsEntry{}
	}
	e, ok := r.built[chartDir]
	if !ok {
		e = &depsEntry{}
		r.built[chartDir] = e
	}
	r.mu.Unlock()
	e.once.Do(func() { e.b, e.err = r.doBuildDeps(ctx, ch, chartDir, ps) })
	return e.b, e.err
}

func (r *Renderer) doBuildDeps(ctx context.Context, ch *chart.Chart, chartDir string, ps *paths) (*builtChart, error) {
	lockName := "Chart.lock"
	if ch.Metadata.APIVersion == chart.APIVersionV1 {
		lockName = "requirements.lock"
	}
	reqs := make([]*chart.Dependency, len(ch.Metadata.Dependencies))
	for i, d := range ch.Metadata.Dependencies {
		dd := *d
		if u, ok := r.repoAlias(dd.Repository); ok {
			dd.Repository = u
		}
		reqs[i] = &dd
	}
	targets := reqs
	if ch.Lock != nil {
		if ch.Metadata.APIVersion != chart.APIVersionV1 {
			sum, err := hashReq(reqs, ch.Lock.Dependencies)
			if err != nil || sum != ch.Lock.Digest {
				return nil, &Error{File: ps.display(filepath.Join(chartDir, lockName)), Err: ErrLockOutOfSync}
			}
		}
		targets = ch.Lock.Dependencies
	}

	b := &builtChart{subDirs: map[string]string{}}
	want := map[string]bool{}
	for _, t := range targets {
		if t.Repository != "" {
			want[t.Name] = true
		}
	}
	var deps []*chart.Chart
	for _, d := range ch.Dependencies() {
		if !want[d.Name()] {
			deps = append(deps, cloneChart(d))
		}
	}
	for _, t := range targets {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
		repoURL := t.Repository
		if u, ok := r.repoAlias(repoURL); ok {
			repoURL = u
		} else if strings.HasPrefix(repoURL, "@") || strings.HasPrefix(repoURL, "alias:") {
			return nil, fmt.Errorf("dependency %q: no repository definition for %s: %w", t.Name, repoURL, ErrMissingDependency)
		}
		var dir string
		switch {
		case repoURL == "":
			continue // must be vendored in charts/
		case strings.HasPrefix(repoURL, "file://"):
			p := strings.TrimPrefix(repoURL, "file://")
			if !filepath.IsAbs(p) {
				p = filepath.Join(chartDir, p)
			}
			dir = filepath.Clean(p)
			if _, err := r.fsFor(dir); err != nil {
				return nil, &Error{File: ps.display(filepath.Join(chartDir, "Chart.yaml")), Err: fmt.Errorf("dependency %q: %s is outside the repository: refused", t.Name, repoURL)}
			}
		default:
			d, err := r.pull(ctx, remoteChart{repoURL: normalizeRepoURL(repoURL), name: t.Name, version: t.Version})
			if err != nil {
				return nil, fmt.Errorf("building dependency %q: %w", t.Name, err)
			}
			dir = d
		}
		sub, files, err := r.loadDir(dir, ps.display)
		if err != nil {
			return nil, fmt.Errorf("building dependency %q: %w", t.Name, err)
		}
		if strings.HasPrefix(repoURL, "file://") {
			if t.Version != "" {
				c, err := semver.NewConstraint(t.Version)
				if err != nil {
					return nil, fmt.Errorf("dependency %q: bad version %q: %w", t.Name, t.Version, err)
				}
				v, err := semver.NewVersion(sub.Metadata.Version)
				if err != nil || !c.Check(v) {
					return nil, fmt.Errorf("can't get a valid version for dependency %s: %w", t.Name, ErrMissingDependency)
				}
			}
			b.subDirs["charts/"+sub.Name()] = dir
			for _, f := range files {
				if d := ps.display(f); !strings.HasPrefix(d, "/") {
					b.inputs = append(b.inputs, d)
				}
			}
		}
		deps = append(deps, cloneChart(sub))
	}
	c := cloneChart(ch)
	c.SetDependencies(deps...)
	if err := action.CheckDependencies(c, c.Metadata.Dependencies); err != nil {
		return nil, &Error{File: ps.display(filepath.Join(chartDir, "Chart.yaml")), Err: fmt.Errorf("%w: %v", ErrMissingDependency, err)}
	}
	b.chart = c
	return b, nil
}

// repoAlias resolves "@name" / "alias:name" through helm's repositories.yaml.
func (r *Renderer) repoAlias(repo string) (string, bool) {
	name, ok := strings.CutPrefix(repo, "@")
	if !ok {
		if name, ok = strings.CutPrefix(repo, "alias:"); !ok {
			return "", false
		}
	}
	return r.repoByName(name)
}

// hashReq is helm's lock digest of requirements and locked dependencies.
func hashReq(req, lock []*chart.Dependency) (string, error) {
	data, err := json.Marshal([2][]*chart.Dependency{req, lock})
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(s[:]), nil
}
