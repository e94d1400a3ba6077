package render

import (
	"encoding/json"
	"reflect"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/workspace"
)

// appFileCache keeps the Applications a cluster reads from its files in
// the render cache's per-file store, keyed by the files' paths and content
// hashes (and the cluster, which the problems name), one entry per
// cluster: a warm run does not parse Application files whose content did
// not change, and reads one entry per cluster.
type appFileCache struct {
	c *rendercache.Files
	// readOnly: look up, never store (a render with an overlay).
	readOnly bool
}

// appFileKey is the key of the Applications of a cluster's files.
func appFileKey(cluster string, files []workspace.FileSum) rendercache.Key {
	k := rendercache.NewKey()
	k.String("kind", "application-files")
	k.String("cluster", cluster)
	for _, f := range files {
		k.String("file", f.Path)
		k.String("hash", f.Hash)
	}
	return k.Sum()
}

// Load returns the stored Applications of the files with these contents.
func (a appFileCache) Load(cluster string, files []workspace.FileSum) ([]*argo.Application, []workspace.Problem, bool) {
	payload, ok := a.c.Get(appFileKey(cluster, files))
	if !ok {
		return nil, nil, false
	}
	apps, problems, err := decodeAppFile(payload)
	if err != nil {
		a.c.Corrupt()
		return nil, nil, false
	}
	return apps, problems, true
}

// Store keeps the Applications of the files, when they decode back exactly.
func (a appFileCache) Store(cluster string, files []workspace.FileSum, apps []*argo.Application, problems []workspace.Problem) {
	if a.readOnly {
		return
	}
	data, err := encodeAppFile(apps, problems)
	if err != nil {
		return
	}
	backApps, backProblems, err := decodeAppFile(data)
	if err != nil || !reflect.DeepEqual(backApps, apps) || !reflect.DeepEqual(backProblems, problems) {
		return // not exactly representable: parsed again next time
	}
	a.c.Put(appFileKey(cluster, files), data)
}

func encodeAppFile(apps []*argo.Application, problems []workspace.Problem) ([]byte, error) {
	var e rendercache.Encoder
	e.Len(len(apps), apps == nil)
	for _, app := range apps {
		b, err := json.Marshal(app)
		if err != nil {
			return nil, err
		}
		e.Raw(b)
		if err := e.Value(app.Raw); err != nil {
			return nil, err
		}
		e.String(app.File)
		e.Int(app.Line)
		e.String(app.GeneratedBy)
		e.Strings(app.GeneratorInputs)
	}
	e.Len(len(problems), problems == nil)
	for _, p := range problems {
		e.Int(int(p.Kind))
		e.String(p.Cluster)
		e.String(p.File)
		e.Int(p.Line)
		e.String(p.Message)
	}
	return e.Bytes(), nil
}

func decodeAppFile(data []byte) ([]*argo.Application, []workspace.Problem, error) {
	d := rendercache.NewDecoder(data)
	var apps []*argo.Application
	if n, isNil := d.Len(); !isNil {
		apps = make([]*argo.Application, n)
		for i := range apps {
			app := &argo.Application{}
			if err := json.Unmarshal(d.Raw(), app); err != nil {
				return nil, nil, rendercache.ErrCorrupt
			}
			raw := d.Value()
			m, ok := raw.(map[string]any)
			if raw != nil && !ok {
				return nil, nil, rendercache.ErrCorrupt
			}
			app.Raw = m
			app.File, app.Line, app.GeneratedBy, app.GeneratorInputs = d.String(), d.Int(), d.String(), d.Strings()
			apps[i] = app
		}
	}
	var problems []workspace.Problem
	if n, isNil := d.Len(); !isNil {
		problems = make([]workspace.Problem, n)
		for i := range problems {
			problems[i] = workspace.Problem{Kind: workspace.ProblemKind(d.Int()), Cluster: d.String(), File: d.String(), Line: d.Int(), Message: d.String()}
		}
	}
	if err := d.Err(); err != nil {
		return nil, nil, err
	}
	return apps, problems, nil
}
