package imagebump

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// patchFile applies the node edits to one file and verifies the result.
// An anchored value is edited only when every alias of it is a reference
// to the image being bumped: otherwise the edit would change something else.
func patchFile(sf *sourceFile, edits []*nodeEdit, viaAlias map[*yaml.Node]int) ([]byte, error) {
	starts := lineStarts(sf.src)
	aliases := map[*yaml.Node][]int{}
	for _, n := range flatten(sf.docs) {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			aliases[n.Alias] = append(aliases[n.Alias], n.Line)
		}
	}
	var direct []*nodeEdit
	hosts := map[*hostBlock][]*nodeEdit{}
	var hostOrder []*hostBlock
	for _, e := range edits {
		if e.host != nil {
			if _, ok := hosts[e.host]; !ok {
				hostOrder = append(hostOrder, e.host)
			}
			hosts[e.host] = append(hosts[e.host], e)
		} else {
			direct = append(direct, e)
		}
	}
	edits = direct
	for _, e := range edits {
		if uses := aliases[e.node]; len(uses) > viaAlias[e.node] {
			return nil, lineErrorf(e.node.Line, "the value is the anchor &%s, also used through an alias (lines %s) by something that is not this image's tag: give this image its own value, or edit by hand", e.node.Anchor, joinInts(uses))
		}
	}
	want := map[*yaml.Node]string{}
	inserts := map[*yaml.Node]insertion{}
	var bes []byteEdit
	seen := map[nodeEdit]bool{}
	for _, e := range edits {
		if seen[*e] {
			continue // the same anchored value reached twice
		}
		seen[*e] = true
		if e.insertKey != "" {
			if _, dup := inserts[e.node]; dup {
				return nil, lineErrorf(e.node.Line, "two insertions into one images: entry")
			}
			be, ins, err := e.insertBytes(sf.src, starts)
			if err != nil {
				return nil, err
			}
			inserts[e.node] = ins
			bes = append(bes, be)
			continue
		}
		if prev, ok := want[e.node]; ok && prev != e.newValue() {
			return nil, lineErrorf(e.node.Line, "two references want different values in one field")
		}
		want[e.node] = e.newValue()
		be, err := e.toBytes(sf.src, starts)
		if err != nil {
			return nil, err
		}
		bes = append(bes, be)
	}
	for _, h := range hostOrder {
		hbes, nv, err := patchHost(sf.src, starts, h, hosts[h], viaAlias)
		if err != nil {
			return nil, err
		}
		want[h.node] = nv
		bes = append(bes, hbes...)
	}
	out, err := applyBytes(sf.src, bes)
	if err != nil {
		return nil, err
	}
	if err := verifyPatched(sf.docs, out, want, inserts); err != nil {
		var le *lineError
		if errors.As(err, &le) {
			le.msg = "refusing a patch that does not read back as intended: " + le.msg
			return nil, le
		}
		return nil, fmt.Errorf("refusing a patch that does not read back as intended: %w", err)
	}
	return out, nil
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// patchHost applies edits inside a literal block scalar: they are made to
// the block's value (and verified there as a YAML document of its own), then
// moved to the file's bytes line by line behind the block's indentation.
func patchHost(src []byte, starts []int, h *hostBlock, edits []*nodeEdit, viaAlias map[*yaml.Node]int) ([]byteEdit, string, error) {
	val := []byte(h.node.Value)
	vstarts := lineStarts(val)
	aliases := map[*yaml.Node]int{}
	for _, n := range flatten(h.docs) {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			aliases[n.Alias]++
		}
	}
	want := map[*yaml.Node]string{}
	seen := map[nodeEdit]bool{}
	var vbes []byteEdit
	for _, e := range edits {
		if seen[*e] {
			continue
		}
		seen[*e] = true
		if aliases[e.node] > viaAlias[e.node] {
			return nil, "", lineErrorf(h.line(e.node.Line), "the value is the anchor &%s, also used through an alias by something that is not this image's tag: edit by hand", e.node.Anchor)
		}
		want[e.node] = e.newValue()
		be, err := e.toBytes(val, vstarts)
		if err != nil {
			return nil, "", hostLineError(h, err)
		}
		vbes = append(vbes, be)
	}
	nv, err := applyBytes(val, vbes)
	if err != nil {
		return nil, "", err
	}
	if err := verifyPatched(h.docs, nv, want, nil); err != nil {
		return nil, "", hostLineError(h, err)
	}
	var out []byteEdit
	for _, be := range vbes {
		k := 0 // line of the value holding the edit
		for k+1 < len(vstarts) && vstarts[k+1] <= be.off {
			k++
		}
		lineEnd := len(val)
		if k+1 < len(vstarts) {
			lineEnd = vstarts[k+1] - 1
		}
		if be.end > lineEnd {
			return nil, "", lineErrorf(h.line(k+1), "an edit inside helm.values spans lines")
		}
		vline := val[vstarts[k]:lineEnd]
		fl := h.node.Line + 1 + k // the block's content starts on the line after its header
		if fl > len(starts) {
			return nil, "", lineErrorf(fl, "helm.values block out of range")
		}
		fstart := starts[fl-1]
		fend := len(src)
		if fl < len(starts) {
			fend = starts[fl] - 1
		}
		fline := bytes.TrimSuffix(src[fstart:fend], []byte("\r"))
		indent := len(fline) - len(vline)
		if indent < 0 || !bytes.Equal(fline[indent:], vline) || len(bytes.TrimLeft(fline[:indent], " ")) != 0 {
			return nil, "", lineErrorf(fl, "the helm.values block is not written verbatim here (tabs or unusual indentation): edit it by hand")
		}
		off := fstart + indent + (be.off - vstarts[k])
		out = append(out, byteEdit{off: off, end: off + (be.end - be.off), text: be.text})
	}
	return out, string(nv), nil
}

// hostLineError moves a line error inside a block's value to the file's line.
func hostLineError(h *hostBlock, err error) error {
	var le *lineError
	if errors.As(err, &le) {
		return &lineError{line: h.line(le.line), msg: le.msg}
	}
	return err
}
