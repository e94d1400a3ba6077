package validate

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// verdictFormat names the layout of a stored schema verdict; change it
// when the layout or what the key holds changes.
const verdictFormat = "schema-verdicts/2"

// objVerdict is what the schema check decides about one object, apart
// from where its findings point: its problems and its duplicate key. Both
// depend only on the object's content and on the Validator.
type objVerdict struct {
	problems []Problem
	dup      string
}

// persisted keys and stores the verdicts of one cluster's Validator in the
// verdict cache, one entry per app: the key holds render-check's build,
// everything of the Validator that shapes a verdict (Kubernetes minor,
// strictness, skipped kinds, the missingSchema policy, the catalog switch,
// the schema locations), for every kind of the app the CRD that judges it
// (content and source), and the content of every object in order.
type persisted struct {
	store *rendercache.Verdicts
	v     *Validator
	// crds is the first CRD of each apiVersion/kind, as the Validator picks.
	crds map[string]*CRDSchema

	mu    sync.Mutex
	kinds map[string]kindID
}

type kindID struct {
	id string
	ok bool
}

func newPersisted(store *rendercache.Verdicts, v *Validator, crds []CRDSchema) *persisted {
	if store == nil {
		return nil
	}
	p := &persisted{store: store, v: v, crds: map[string]*CRDSchema{}, kinds: map[string]kindID{}}
	for i := range crds {
		k := crds[i].APIVersion + "/" + crds[i].Kind
		if _, ok := p.crds[k]; !ok {
			p.crds[k] = &crds[i]
		}
	}
	return p
}

// kind identifies what judges objects of apiVersion/kind beyond the
// Validator's settings: the CRD defining it (false when its schema holds a
// value that cannot be hashed), or the built-in and catalog schemas, which
// belong to the build. With schema locations configured, a kind that is
// neither a CRD nor built in may be resolved from the locations, whose
// content is not pinned: no verdict of it is kept.
func (p *persisted) kind(apiVersion, kindName string) (string, bool) {
	key := apiVersion + "/" + kindName
	p.mu.Lock()
	id, done := p.kinds[key]
	p.mu.Unlock()
	if done {
		return id.id, id.ok
	}
	k := rendercache.NewKey()
	crd := p.crds[key]
	switch {
	case crd != nil:
		k.String("crd", crd.APIVersion+"/"+crd.Kind)
		k.String("source", crd.Source)
		k.String("flags", strconv.FormatBool(crd.Namespaced)+strconv.FormatBool(crd.Cite)+strconv.FormatBool(crd.StatusSubresource))
		if crd.Schema == nil {
			k.String("schema", "none")
			id.ok = true
		} else if sum, ok := resource.ContentSum(crd.Schema); ok {
			k.Bytes("schema", sum[:])
			id.ok = true
		}
	case len(p.v.regs) > 0:
		_, builtin := p.v.builtin.Kinds[key]
		id.ok = builtin || p.v.Skipped(apiVersion, kindName)
		k.String("builtin", key)
	default:
		k.String("builtin", key)
		id.ok = true
	}
	s := k.Sum()
	id.id = string(s[:])
	p.mu.Lock()
	p.kinds[key] = id
	p.mu.Unlock()
	return id.id, id.ok
}

// key is the key of the verdicts of objs (one app's objects, in order) with
// their content sums; false when one of them cannot be keyed.
func (p *persisted) key(objs []map[string]any, sums []resource.Sum) (rendercache.Key, bool) {
	v := p.v
	k := rendercache.NewKey()
	k.String("stage", verdictFormat)
	k.String("minor", v.minor)
	k.String("strict", strconv.FormatBool(v.strict))
	k.String("catalog", strconv.FormatBool(v.useCatalog))
	skip := make([]string, 0, len(v.skip))
	for s := range v.skip {
		skip = append(skip, s)
	}
	sort.Strings(skip)
	k.Strings("skip", skip)
	missing := make([]string, 0, len(v.missing))
	for sel, act := range v.missing {
		missing = append(missing, sel+"="+act)
	}
	sort.Strings(missing)
	k.Strings("missing", missing)
	k.Strings("locations", v.regNames)
	type kindOf struct{ apiVersion, kind string }
	var kinds []kindOf
	for i, obj := range objs {
		k.Bytes("object", sums[i][:])
		apiVersion, _ := obj["apiVersion"].(string)
		kindName, _ := obj["kind"].(string)
		kinds = append(kinds, kindOf{apiVersion, kindName})
	}
	slices.SortFunc(kinds, func(a, b kindOf) int {
		if a.apiVersion != b.apiVersion {
			return strings.Compare(a.apiVersion, b.apiVersion)
		}
		return strings.Compare(a.kind, b.kind)
	})
	kinds = slices.Compact(kinds)
	for _, kk := range kinds {
		id, ok := p.kind(kk.apiVersion, kk.kind)
		if !ok {
			return rendercache.Key{}, false
		}
		k.String("apiVersion", kk.apiVersion)
		k.String("kind", kk.kind)
		k.String("judge", id)
	}
	return k.Sum(), true
}

// get returns the stored verdicts of an app's objects (len(objs) of them).
func (p *persisted) get(k rendercache.Key, n int) ([]objVerdict, bool) {
	b, ok := p.store.Get(k)
	if !ok {
		return nil, false
	}
	vs, err := decodeVerdicts(b)
	if err != nil || len(vs) != n {
		p.store.Corrupt()
		return nil, false
	}
	return vs, true
}

func (p *persisted) put(k rendercache.Key, vs []objVerdict) {
	p.store.Put(k, encodeVerdicts(vs))
}

func encodeVerdicts(vs []objVerdict) []byte {
	var e rendercache.Encoder
	e.Len(len(vs), false)
	for _, v := range vs {
		e.String(v.dup)
		e.Len(len(v.problems), v.problems == nil)
		for _, pr := range v.problems {
			e.String(pr.Rule)
			e.String(string(pr.Severity))
			e.Strings(pr.Path)
			e.String(pr.Field)
			e.String(pr.Message)
			e.Bool(pr.unknown)
		}
	}
	return e.Bytes()
}

func decodeVerdicts(b []byte) ([]objVerdict, error) {
	d := rendercache.NewDecoder(b)
	n, _ := d.Len()
	vs := make([]objVerdict, 0, n)
	for i := 0; i < n; i++ {
		v := objVerdict{dup: d.String()}
		m, isNil := d.Len()
		if !isNil {
			v.problems = make([]Problem, 0, m)
		}
		for j := 0; j < m; j++ {
			v.problems = append(v.problems, Problem{Rule: d.String(), Severity: report.Severity(d.String()),
				Path: d.Strings(), Field: d.String(), Message: d.String(), unknown: d.Bool()})
		}
		vs = append(vs, v)
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return vs, nil
}
