package validate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"

	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
)

// argoFormat names the layout of a stored ArgoUnknownFields verdict;
// change it when the layout or what the key holds changes.
const argoFormat = "argo-fields/2"

var catalogIDOnce struct {
	sync.Once
	id string
}

// catalogID identifies the embedded catalog's content (what judges an
// Application's fields and the schema source its messages name).
func catalogID() string {
	catalogIDOnce.Do(func() {
		h := sha256.New()
		h.Write(catalogIndexJSON)
		h.Write(catalogBlob)
		catalogIDOnce.id = hex.EncodeToString(h.Sum(nil))
	})
	return catalogIDOnce.id
}

// argoCached fills results for files (in order) from the verdict store,
// one entry per directory of the files hash can answer for; the other
// files, and those of a directory without a (readable) entry, go through
// check, and a directory whose every file was checked is stored again.
func argoCached(files []string, hash func(string) (string, bool), strict bool, store *rendercache.Verdicts,
	check func(string) (argoFile, bool), results map[string]argoFile) {
	stage := rendercache.DirStage[argoFile]{
		Key: func(k *rendercache.KeyBuilder) {
			k.String("stage", argoFormat)
			k.String("strict", strconv.FormatBool(strict))
			k.String("catalog", catalogID())
		},
		Hash:   hash,
		Check:  check,
		Encode: func(rs []argoFile) ([]byte, bool) { return encodeArgoFiles(rs), true },
		Decode: decodeArgoFiles,
	}
	_ = stage.Run(context.Background(), store, files, results) // never cancelled
}

// encodeArgoFiles writes the results of one directory's files, in order.
func encodeArgoFiles(rs []argoFile) []byte {
	var e rendercache.Encoder
	e.Len(len(rs), false)
	for _, r := range rs {
		e.Bool(r.checked)
		e.Strings(r.unknown)
		e.Len(len(r.findings), r.findings == nil)
		for _, f := range r.findings {
			e.Finding(f)
		}
	}
	return e.Bytes()
}

// decodeArgoFiles reads what encodeArgoFiles wrote for files; false when
// the entry does not hold one result per file.
func decodeArgoFiles(b []byte, files []string) ([]argoFile, bool) {
	d := rendercache.NewDecoder(b)
	n, _ := d.Len()
	if n != len(files) {
		return nil, false
	}
	rs := make([]argoFile, n)
	for i := range rs {
		r := argoFile{checked: d.Bool(), unknown: d.Strings()}
		m, isNil := d.Len()
		if !isNil {
			r.findings = make([]report.Finding, 0, m)
		}
		for j := 0; j < m; j++ {
			r.findings = append(r.findings, d.Finding())
		}
		rs[i] = r
	}
	if d.Err() != nil {
		return nil, false
	}
	return rs, true
}
