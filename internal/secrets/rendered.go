package secrets

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// valueLoc is where a values file sets a scalar.
type valueLoc struct {
	line    int
	keyPath string
}

// scanRendered applies the value rules to every rendered resource and
// points each finding at what a person edits: for Helm output, the values
// file and key that supplied the value (matched by fingerprint, never by
// comparing or printing values); else the resource's source file and the
// key's line. Values already reported by the source scan are not reported
// again, and a value rendered into several apps is reported once.
func (s *scanner) scanRendered(clusters []*resource.Cluster, repoFPs map[string]bool) {
	valuesIndex := map[string]map[string]valueLoc{}
	seen := map[string]int{}
	// the hits of an object depend only on its content: an object rendered
	// alike into several clusters or apps is scanned once, and with the
	// verdict cache an app whose objects are unchanged is not scanned again
	scanned := map[resource.Sum]verdict{}
	for _, c := range clusters {
		for _, a := range c.Apps {
			n := len(a.Resources)
			sums := make([]resource.Sum, n)
			var key rendercache.Key
			var keyed, hit bool
			var stored, fresh []verdict
			if s.verdicts != nil {
				if key, keyed = renderedKey(a.Resources, sums); keyed {
					stored, hit = s.getVerdicts(key, n)
					fresh = make([]verdict, n)
				}
			}
			for i, r := range a.Resources {
				var v verdict
				if hit && stored[i].kind != verdictRescan {
					v = stored[i]
				} else {
					v = s.scanRenderedObject(r, scanned)
				}
				if keyed && !hit {
					fresh[i] = v
				}
				if v.kind == verdictSkip {
					continue
				}
				for _, h := range v.hits {
					if h.rule == report.RuleSecretSopsMetadata || repoFPs[h.fp] {
						continue
					}
					h.cluster, h.app, h.res = c.Name, a.Name, r.Ref()
					h.doc = 0
					s.locateRendered(&h, r, valuesIndex)
					key := h.rule + "\x00" + h.file + "\x00" + fmt.Sprint(h.line) + "\x00" + h.fp
					if _, dup := seen[key]; dup {
						continue
					}
					seen[key] = len(s.hits)
					s.hits = append(s.hits, h)
				}
			}
			if keyed && !hit {
				s.verdicts.Put(key, encodeVerdicts(fresh))
			}
		}
	}
}

// scanRenderedObject scans one rendered object, once per content in the
// run (scanned).
func (s *scanner) scanRenderedObject(r *resource.Resource, scanned map[resource.Sum]verdict) verdict {
	sum, keyed := resource.ContentSum(r.Object)
	if v, done := scanned[sum]; keyed && done {
		return v
	}
	s.current, s.foreign = "", false
	hits, ok := scanObject(s, r.Object)
	v := verdict{kind: verdictHits, hits: hits}
	switch {
	case !ok:
		v = verdict{kind: verdictSkip}
	case s.foreign:
		// it read repo files (a rendered kustomization's generator): its
		// hits are used in this run, never stored
		v = verdict{kind: verdictRescan, hits: hits}
	}
	if keyed {
		scanned[sum] = v
	}
	return v
}

// scanObject runs the value rules over one rendered object; false when
// the object does not encode as YAML.
func scanObject(s *scanner, obj map[string]any) ([]hit, bool) {
	var n yaml.Node
	if err := n.Encode(obj); err != nil {
		return nil, false
	}
	d := &docScan{s: s, root: &n}
	d.scanNoFlush(false)
	return d.hits, true
}

func (s *scanner) locateRendered(h *hit, r *resource.Resource, idx map[string]map[string]valueLoc) {
	rendered := "rendered " + r.Kind() + " " + h.keyPath
	for i := len(r.ValuesFiles) - 1; i >= 0; i-- {
		vf := r.ValuesFiles[i]
		m, ok := idx[vf]
		if !ok {
			m = s.indexValues(vf)
			idx[vf] = m
		}
		if loc, ok := m[h.fp]; ok {
			h.file, h.line, h.keyPath = vf, loc.line, loc.keyPath
			h.msg = fmt.Sprintf("%s: the value comes from this plaintext values key (%s)", h.msg, rendered)
			return
		}
	}
	h.file, h.line = r.Origin.File, r.Origin.Line
	if len(r.ValuesFiles) > 0 {
		h.msg = fmt.Sprintf("%s (%s; the value is not in the app's values files: set in the template, parameters or valuesObject)", h.msg, rendered)
		return
	}
	if line := s.keyLine(r.Origin, h.path); line > 0 {
		h.line = line
	}
	h.msg = fmt.Sprintf("%s (%s)", h.msg, rendered)
}

// indexValues maps the fingerprint of every string scalar of a values file
// to its first location.
func (s *scanner) indexValues(rel string) map[string]valueLoc {
	out := map[string]valueLoc{}
	f, err := s.load(rel)
	if err != nil {
		return out
	}
	budget := walkBudget
	var visit func(n *yaml.Node, p []pathElem, keyLine int)
	visit = func(n *yaml.Node, p []pathElem, keyLine int) {
		budget--
		if n == nil || budget < 0 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				visit(n.Content[i+1], withKey(p, n.Content[i].Value), n.Content[i].Line)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				visit(c, withIdx(p, i), c.Line)
			}
		case yaml.ScalarNode:
			if n.Value == "" {
				return
			}
			fp := fingerprintOf([]byte(n.Value))
			if _, ok := out[fp]; !ok {
				out[fp] = valueLoc{line: keyLine, keyPath: keyPathString(p)}
			}
		}
	}
	for _, d := range f.docs {
		visit(docRoot(d), nil, 0)
	}
	return out
}

// keyLine finds the line of a key path in the source document of a
// rendered object; 0 when the path is not there (e.g. added by a patch).
func (s *scanner) keyLine(o resource.Origin, p []pathElem) int {
	if o.File == "" || len(p) == 0 {
		return 0
	}
	f, err := s.load(o.File)
	if err != nil || len(f.docs) == 0 {
		return 0
	}
	// the document starting at o.Line: the last one whose content starts
	// at or before it (the first when the line is unknown)
	var root *yaml.Node
	for _, d := range f.docs {
		r := docRoot(d)
		if r == nil {
			continue
		}
		if root == nil || (o.Line > 0 && r.Line <= o.Line) {
			root = r
		}
	}
	n, line := root, 0
	for _, e := range p {
		if n == nil {
			break
		}
		switch {
		case e.isIdx && n.Kind == yaml.SequenceNode && e.index < len(n.Content):
			n = n.Content[e.index]
			line = n.Line
		case !e.isIdx && n.Kind == yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == e.key {
					next, line = n.Content[i+1], n.Content[i].Line
				}
			}
			n = next
		default:
			n = nil
		}
	}
	return line
}
