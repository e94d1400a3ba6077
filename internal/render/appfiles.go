package render

import (
	"encoding/json"
	"reflect"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/workspace"
)

// appFileCache keeps the Applications a cluster reads from its files in
// the render cache's per-file store, keyed by the files' paths and content
// hashes (and the cluster, which the findings name), one entry per
// cluster: a warm run does not parse Application files whose content did
// not change, and reads one entry per cluster.
type appFileCache struct {
	c *rendercache.Cache
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
func (a appFileCache) Load(cluster string, files []workspace.FileSum) ([]*argo.Application, []report.Finding, bool) {
	e, ok := a.c.Get(appFileKey(cluster, files))
	if !ok {
		return nil, nil, false
	}
	apps, findings, err := decodeAppFile(e.Result)
	if err != nil {
		return nil, nil, false
	}
	return apps, findings, true
}

// Store keeps the Applications of the files, when they decode back exactly.
func (a appFileCache) Store(cluster string, files []workspace.FileSum, apps []*argo.Application, findings []report.Finding) {
	if a.readOnly {
		return
	}
	data, err := encodeAppFile(apps, findings)
	if err != nil {
		return
	}
	backApps, backFindings, err := decodeAppFile(data)
	if err != nil || !reflect.DeepEqual(backApps, apps) || !reflect.DeepEqual(backFindings, findings) {
		return // not exactly representable: parsed again next time
	}
	_ = a.c.Put(appFileKey(cluster, files), &rendercache.Entry{Result: data})
}

func encodeAppFile(apps []*argo.Application, findings []report.Finding) ([]byte, error) {
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
	e.Len(len(findings), findings == nil)
	for _, f := range findings {
		encodeFinding(&e, f)
	}
	return e.Bytes(), nil
}

func decodeAppFile(data []byte) ([]*argo.Application, []report.Finding, error) {
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
	var findings []report.Finding
	if n, isNil := d.Len(); !isNil {
		findings = make([]report.Finding, n)
		for i := range findings {
			findings[i] = decodeFinding(d)
		}
	}
	if err := d.Err(); err != nil {
		return nil, nil, err
	}
	return apps, findings, nil
}
