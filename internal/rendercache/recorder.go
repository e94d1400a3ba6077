package rendercache

import (
	"context"
	"slices"
	"sync"
)

// Recorder collects, while one app renders, what its result depends on
// beyond the files the renderer lists as inputs: directories whose listing
// matters, whole trees (a chart or a directory source), paths whose absence
// matters, remote chart archives, and why the result may not be cached.
// Renderers find it in the context; every method is safe on a nil Recorder
// and concurrently.
type Recorder struct {
	mu      sync.Mutex
	files   map[string]bool
	dirs    map[string]bool
	trees   map[string]bool
	probes  map[string]bool
	remotes map[string]bool
	flags   map[string]bool
	reasons []string
}

type recorderKey struct{}

// WithRecorder returns ctx carrying rec.
func WithRecorder(ctx context.Context, rec *Recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, rec)
}

// FromContext returns the Recorder of ctx (nil when none).
func FromContext(ctx context.Context) *Recorder {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	return r
}

func (r *Recorder) add(m *map[string]bool, p string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[p] = true
}

// File records a file read (absolute path).
func (r *Recorder) File(abs string) {
	if r != nil {
		r.add(&r.files, abs)
	}
}

// Dir records a directory whose listing the result depends on (absolute).
func (r *Recorder) Dir(abs string) {
	if r != nil {
		r.add(&r.dirs, abs)
	}
}

// Tree records a directory whose every file and subdirectory the result
// depends on (absolute), e.g. a local Helm chart.
func (r *Recorder) Tree(abs string) {
	if r != nil {
		r.add(&r.trees, abs)
	}
}

// Probe records a path looked up whose existence or absence the result
// depends on (absolute).
func (r *Recorder) Probe(abs string) {
	if r != nil {
		r.add(&r.probes, abs)
	}
}

// Remote records a remote chart archive used from the chart cache
// (absolute path of the archive).
func (r *Recorder) Remote(archive string) {
	if r != nil {
		r.add(&r.remotes, archive)
	}
}

// Flag records a fact about the render that a cached result must replay
// (e.g. that a source was guessed to be this repo).
func (r *Recorder) Flag(name string) {
	if r != nil {
		r.add(&r.flags, name)
	}
}

// FlagNet prefixes the flag naming a location a render fetched from (a
// chart repository): a cached result is used only when the reading run's
// network policy allows it.
const FlagNet = "net:"

// Uncacheable marks the result as not cacheable and says why (an unpinned
// remote fetch, a remote kustomize base...).
func (r *Recorder) Uncacheable(reason string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
}

// Recorded is what a Recorder collected, each list sorted.
type Recorded struct {
	Files, Dirs, Trees, Probes, Remotes, Flags []string
	// Uncacheable lists why the result may not be cached (empty: it may).
	Uncacheable []string
}

// Recorded returns what was collected.
func (r *Recorder) Recorded() Recorded {
	if r == nil {
		return Recorded{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := func(m map[string]bool) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	return Recorded{Files: keys(r.files), Dirs: keys(r.dirs), Trees: keys(r.trees), Probes: keys(r.probes),
		Remotes: keys(r.remotes), Flags: keys(r.flags), Uncacheable: slices.Clone(r.reasons)}
}
