package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/workspace"
)

// decodeJSONManifest decodes a .json file of a directory source as Argo CD
// does: one object with kind, nothing after it.
func decodeJSONManifest(data []byte) (map[string]any, error) {
	var u unstructured.Unstructured
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&u); err != nil {
		return nil, fmt.Errorf("failed to unmarshal JSON manifest: %w", err)
	}
	if dec.More() {
		return nil, errors.New("found multiple objects: only single objects are allowed in JSON files")
	}
	return u.Object, nil
}

// yamlErrLine finds the line a YAML parser error names.
var yamlErrLine = regexp.MustCompile(`line (\d+)`)

// decodeYAMLOrJSON decodes a stream as Kubernetes' YAMLOrJSONDecoder does
// for Argo CD (k8s.io/apimachinery/pkg/util/yaml): a stream starting with
// '{' is JSON objects; otherwise documents are split at "---" lines by the
// same reader and each is converted with sigs.k8s.io/yaml (YAML 1.1: yes/on
// are booleans, duplicate keys keep the last value) into an object that
// must have a kind; empty documents are skipped. It returns the documents
// decoded before any error, and the line of the failing document.
func decodeYAMLOrJSON(data []byte) ([]workspace.Document, int, error) {
	var docs []workspace.Document
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		// deliberately not the workspace decoder: Argo CD's own YAML-or-JSON decoder, for fidelity
		d := kubeyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			u := &unstructured.Unstructured{}
			err := d.Decode(&u)
			if errors.Is(err, io.EOF) {
				return docs, 0, nil
			}
			if err != nil {
				return docs, 1, err
			}
			if u != nil {
				docs = append(docs, workspace.Document{Line: 1, Object: u.Object})
			}
		}
	}
	// deliberately not the workspace decoder: Argo CD's splitter and sigs.k8s.io/yaml (YAML 1.1), for fidelity
	rd := kubeyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	start := 1 // line of the next chunk's first line
	for first := true; ; first = false {
		chunk, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return docs, 0, nil
		}
		if !first {
			start++ // the separator line the reader dropped
		}
		if err != nil {
			return docs, start, err
		}
		line := start + contentOffset(chunk)
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(chunk, &u); err != nil {
			var v any
			if yaml.Unmarshal(chunk, &v) == nil {
				// valid YAML, not an object with a kind
				return docs, line, &relError{msg: "document is not a Kubernetes object (no kind)", err: err}
			}
			msg := err.Error()
			if m := yamlErrLine.FindStringSubmatchIndex(msg); m != nil {
				if n, cerr := strconv.Atoi(msg[m[2]:m[3]]); cerr == nil && n > 0 {
					line = start + n - 1
				}
				msg = strings.TrimPrefix(msg[m[1]:], ": ")
			}
			return docs, line, &relError{msg: "malformed YAML: " + msg, err: err}
		}
		start += bytes.Count(chunk, []byte("\n"))
		if u == nil {
			continue
		}
		docs = append(docs, workspace.Document{Line: line, Object: u.Object})
	}
}

// contentOffset is the number of lines before a document's content (blank,
// comment, separator and directive lines).
func contentOffset(chunk []byte) int {
	n := 0
	for len(chunk) > 0 {
		l, rest, _ := bytes.Cut(chunk, []byte("\n"))
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' && !bytes.HasPrefix(t, []byte("---")) && t[0] != '%' {
			return n
		}
		n++
		chunk = rest
	}
	return 0
}
