package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/render-check/render-check/internal/workspace"
)

// crdSource is one pinned upstream Go module and the CRD manifests taken
// from it. Sources are listed newest first per operator: an older release
// only contributes the API versions the newer one no longer serves.
type crdSource struct {
	Module, Version string
	// Files are paths inside the module, each holding CRD documents.
	Files []string
	// Kinds keeps only these spec.names.kind (all when empty).
	Kinds []string
}

// catalogSources is the embedded CRD catalog, chosen by the kinds real Argo
// CD config repos use (render-check issue #16). Only modules the Go module
// proxy serves are listed; see docs/validation.md for what is missing.
var catalogSources = []crdSource{
	{Module: "github.com/operator-framework/api", Version: "v0.31.0", Files: []string{
		"crds/operators.coreos.com_subscriptions.yaml",
		"crds/operators.coreos.com_operatorgroups.yaml",
		"crds/operators.coreos.com_catalogsources.yaml",
	}},
	{Module: "github.com/argoproj/argo-cd/v3", Version: "v3.5.7", Files: []string{
		"manifests/crds/application-crd.yaml",
		"manifests/crds/applicationset-crd.yaml",
		"manifests/crds/appproject-crd.yaml",
	}},
	{Module: "github.com/argoproj/argo-rollouts", Version: "v1.10.0", Files: []string{
		"manifests/crds/rollout-crd.yaml",
		"manifests/crds/analysis-template-crd.yaml",
		"manifests/crds/cluster-analysis-template-crd.yaml",
		"manifests/crds/experiment-crd.yaml",
	}},
	{Module: "github.com/prometheus-operator/prometheus-operator", Version: "v0.85.0", Files: []string{
		"example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
		"example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml",
		"example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
		"example/prometheus-operator-crd/monitoring.coreos.com_probes.yaml",
		"example/prometheus-operator-crd/monitoring.coreos.com_alertmanagerconfigs.yaml",
		"example/prometheus-operator-crd/monitoring.coreos.com_scrapeconfigs.yaml",
		"example/prometheus-operator-crd/monitoring.coreos.com_prometheuses.yaml",
		"example/prometheus-operator-crd/monitoring.coreos.com_alertmanagers.yaml",
	}},
	{Module: "github.com/external-secrets/external-secrets", Version: "v1.3.2", Files: []string{
		"config/crds/bases/external-secrets.io_externalsecrets.yaml",
		"config/crds/bases/external-secrets.io_secretstores.yaml",
		"config/crds/bases/external-secrets.io_clustersecretstores.yaml",
		"config/crds/bases/external-secrets.io_clusterexternalsecrets.yaml",
		"config/crds/bases/external-secrets.io_pushsecrets.yaml",
	}},
	// v1beta1 is no longer served by 1.x; repos written for 0.x still use it.
	{Module: "github.com/external-secrets/external-secrets", Version: "v0.16.2", Files: []string{
		"config/crds/bases/external-secrets.io_externalsecrets.yaml",
		"config/crds/bases/external-secrets.io_secretstores.yaml",
		"config/crds/bases/external-secrets.io_clustersecretstores.yaml",
		"config/crds/bases/external-secrets.io_clusterexternalsecrets.yaml",
	}},
	{Module: "github.com/cert-manager/cert-manager", Version: "v1.21.2", Files: []string{
		"deploy/crds/cert-manager.io_certificates.yaml",
		"deploy/crds/cert-manager.io_issuers.yaml",
		"deploy/crds/cert-manager.io_clusterissuers.yaml",
	}},
	{Module: "sigs.k8s.io/gateway-api", Version: "v1.6.3", Files: []string{
		"config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml",
		"config/crd/standard/gateway.networking.k8s.io_gateways.yaml",
		"config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",
		"config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml",
		"config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml",
		"config/crd/standard/gateway.networking.k8s.io_backendtlspolicies.yaml",
		"config/crd/standard/gateway.networking.k8s.io_tlsroutes.yaml",
		"config/crd/standard/gateway.networking.k8s.io_listenersets.yaml",
		"config/crd/experimental/gateway.networking.k8s.io_tcproutes.yaml",
		"config/crd/experimental/gateway.networking.k8s.io_udproutes.yaml",
	}},
	{Module: "istio.io/api", Version: "v1.32.0", Files: []string{
		"kubernetes/customresourcedefinitions.gen.yaml",
	}},
	{Module: "github.com/bitnami-labs/sealed-secrets", Version: "v0.40.0", Files: []string{
		"helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml",
	}},
	{Module: "github.com/kedacore/keda/v2", Version: "v2.21.0", Files: []string{
		"config/crd/bases/keda.sh_scaledobjects.yaml",
		"config/crd/bases/keda.sh_scaledjobs.yaml",
		"config/crd/bases/keda.sh_triggerauthentications.yaml",
		"config/crd/bases/keda.sh_clustertriggerauthentications.yaml",
	}},
	{Module: "github.com/kyverno/kyverno", Version: "v1.19.1", Files: []string{
		"config/crds/kyverno/kyverno.io_clusterpolicies.yaml",
		"config/crds/kyverno/kyverno.io_policies.yaml",
		"config/crds/kyverno/kyverno.io_policyexceptions.yaml",
		"config/crds/kyverno/kyverno.io_clustercleanuppolicies.yaml",
		"config/crds/kyverno/kyverno.io_cleanuppolicies.yaml",
	}},
	// OpenShift's Machine API (openshift/api itself is not on the proxy in a
	// release that carries CRD manifests).
	{Module: "github.com/openshift/machine-api-operator", Version: "v0.2.1-0.20260226113419-88465550a74b", Files: []string{
		"install/0000_30_machine-api-operator_03_machineset.Default.crd.yaml",
		"install/0000_30_machine-api-operator_02_machine.Default.crd.yaml",
		"install/0000_30_machine-api-operator_07_machinehealthcheck.crd.yaml",
	}},
}

// vendoredSource is a set of CRD manifests copied byte-exact from a public
// GitHub repository at a pinned commit into upstream/<owner>/<name>/<path>
// of this directory, for operators no Go module release carries the CRDs
// of. Each file's git blob hash is pinned and checked, so a copy can be
// verified against upstream (`git ls-tree <commit> <path>` in the repository
// prints the same hash); upstream/PROVENANCE records repo, commit, path and
// license. In the catalog the CRD's module is github.com/<owner>/<name> and
// its version the commit.
type vendoredSource struct {
	// Repo is "owner/name" on GitHub; Commit the full commit the files are
	// taken from; Ref the tag or branch it was on (documentation only).
	Repo, Commit, Ref string
	Files             []vendoredFile
	// Kinds keeps only these spec.names.kind (all when empty).
	Kinds []string
}

// vendoredFile is one file of a vendoredSource: its path in the repository
// and its git blob hash at the commit.
type vendoredFile struct{ Path, Blob string }

// vendoredSources come after catalogSources: a kind/version a module source
// already supplies is not taken from them.
var vendoredSources = []vendoredSource{
	// github.com/openshift/api: the proxy serves only v3.9.0+incompatible
	// (2018), without CRD manifests.
	{Repo: "openshift/api", Commit: "2a3d73913b5a7caec4c57d5c3d04f51106ec4da3", Ref: "master", Files: []vendoredFile{
		{"route/v1/zz_generated.crd-manifests/routes.crd.yaml", "f923ec9ae11b7079d7159f5b32a8b8fffbcd2b36"},
		{"console/v1/zz_generated.crd-manifests/90_consoleplugins.crd.yaml", "f6e7be56fae5c4f7e6694ec68e5a5b7efb173cb3"},
		{"machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_machineconfigs.crd.yaml", "df90d44d0238f6707067a31982e985e46ccab568"},
	}},
	// istio.io/istio is served only as unreleased pseudo-versions; 1.23 is
	// the last release that ships the IstioOperator CRD.
	{Repo: "istio/istio", Commit: "6a112a28410654328342c68f82da48920e34f062", Ref: "1.23.6", Files: []vendoredFile{
		{"manifests/charts/istio-operator/crds/crd-operator.yaml", "93ac1de070b0cbf30f40e5715c2af51255415b42"},
	}},
}

// gitBlobHash is the git object id of data as a blob (git hash-object).
func gitBlobHash(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// readVendored reads a vendored file under dir (the upstream directory) and
// checks it is the pinned blob.
func readVendored(dir string, src vendoredSource, f vendoredFile) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(src.Repo), filepath.FromSlash(f.Path)))
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", src.Repo, src.Commit, err)
	}
	if got := gitBlobHash(data); got != f.Blob {
		return nil, fmt.Errorf("%s@%s %s: git blob %s, pinned %s: not the upstream file", src.Repo, src.Commit, f.Path, got, f.Blob)
	}
	return data, nil
}

// catalogFile is one CRD manifest of any source kind, read.
type catalogFile struct {
	Module, Version, File string
	Kinds                 []string
	Data                  []byte
}

// readSources reads every file of catalogSources (through the module cache)
// then of vendoredSources (under upstream), in catalog precedence order.
func readSources(upstream string) ([]catalogFile, error) {
	var files []catalogFile
	for _, src := range catalogSources {
		dir, err := download(src.Module + "@" + src.Version)
		if err != nil {
			return nil, err
		}
		for _, f := range src.Files {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
			if err != nil {
				return nil, fmt.Errorf("%s@%s: %w", src.Module, src.Version, err)
			}
			files = append(files, catalogFile{Module: src.Module, Version: src.Version, File: f, Kinds: src.Kinds, Data: data})
		}
	}
	for _, src := range vendoredSources {
		for _, f := range src.Files {
			data, err := readVendored(upstream, src, f)
			if err != nil {
				return nil, err
			}
			files = append(files, catalogFile{Module: "github.com/" + src.Repo, Version: src.Commit, File: f.Path, Kinds: src.Kinds, Data: data})
		}
	}
	return files, nil
}

// catalogEntry is one CRD of the catalog with its provenance; the CRD is
// trimmed to what validation reads and keeps only the versions this source
// contributes.
type catalogEntry struct {
	Module  string         `json:"module"`
	Version string         `json:"version"`
	File    string         `json:"file"`
	CRD     map[string]any `json:"crd"`
}

// schemaKeywords are the OpenAPI keywords validation reads; everything else
// (descriptions, examples, formats, CEL rules, list types) is dropped.
var schemaKeywords = map[string]bool{
	"type": true, "properties": true, "items": true, "additionalProperties": true, "required": true,
	"enum": true, "pattern": true, "minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"minLength": true, "maxLength": true, "minItems": true, "maxItems": true, "uniqueItems": true, "multipleOf": true,
	"minProperties": true, "maxProperties": true, "allOf": true, "anyOf": true, "oneOf": true, "not": true,
	"nullable": true, "default": true,
	"x-kubernetes-preserve-unknown-fields": true, "x-kubernetes-int-or-string": true, "x-kubernetes-embedded-resource": true,
}

// generateCatalog writes the catalog (out/index.json and out/crds.gz, see
// encodeCatalog) from the module sources and the vendored files under
// upstream.
func generateCatalog(out, upstream string) error {
	files, err := readSources(upstream)
	if err != nil {
		return err
	}
	var entries []catalogEntry
	// taken maps "group/Kind" to the versions already in the catalog.
	taken := map[string]map[string]bool{}
	for _, src := range files {
		f := src.File
		objs, err := decodeObjects(src.Data)
		if err != nil {
			return fmt.Errorf("%s@%s %s: %w", src.Module, src.Version, f, err)
		}
		n := 0
		for _, o := range objs {
			if k, _ := o["kind"].(string); k != "CustomResourceDefinition" {
				continue
			}
			crd, key, versions := trimCRD(o)
			if len(src.Kinds) > 0 && !slices.Contains(src.Kinds, key[strings.Index(key, "/")+1:]) {
				continue
			}
			if taken[key] == nil {
				taken[key] = map[string]bool{}
			}
			var keep []any
			for _, v := range versions {
				name, _ := v["name"].(string)
				if served, _ := v["served"].(bool); !served || taken[key][name] {
					continue
				}
				taken[key][name] = true
				keep = append(keep, v)
			}
			if len(keep) == 0 {
				continue
			}
			crd["spec"].(map[string]any)["versions"] = keep
			entries = append(entries, catalogEntry{Module: src.Module, Version: src.Version, File: f, CRD: crd})
			n++
		}
		if n == 0 {
			fmt.Fprintf(os.Stderr, "gen: %s@%s %s: no CRD contributed\n", src.Module, src.Version, f)
		}
	}
	slices.SortStableFunc(entries, func(a, b catalogEntry) int {
		return strings.Compare(entryKey(a), entryKey(b))
	})
	index, blob, err := encodeCatalog(entries)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{indexFile: index, blobFile: blob} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d CRD entries, %d bytes index, %d bytes of gzipped CRDs\n", out, len(entries), len(index), len(blob))
	return nil
}

// The catalog's two files: the index of every CRD (its provenance, group,
// kind, scope, served versions and where its bytes are in the blob) and
// the blob, one gzip member per CRD (its trimmed JSON) in index order, so
// that loading the catalog reads only the index and a CRD is decompressed
// and decoded when its kind is looked up. The blob is itself a valid gzip
// stream (gunzip prints the CRDs one after the other).
const (
	indexFile = "index.json"
	blobFile  = "crds.gz"
)

// indexEntry is one CRD of index.json; Offset and Size locate its gzip
// member in crds.gz.
type indexEntry struct {
	Module     string   `json:"module"`
	Version    string   `json:"version"`
	File       string   `json:"file"`
	Group      string   `json:"group"`
	Kind       string   `json:"kind"`
	Namespaced bool     `json:"namespaced"`
	Versions   []string `json:"versions"`
	Offset     int      `json:"offset"`
	Size       int      `json:"size"`
}

// encodeCatalog writes the catalog's index and blob for entries (in
// order), deterministically.
func encodeCatalog(entries []catalogEntry) (index, blob []byte, err error) {
	var buf bytes.Buffer
	idx := make([]indexEntry, 0, len(entries))
	for _, e := range entries {
		data, err := json.Marshal(e.CRD)
		if err != nil {
			return nil, nil, err
		}
		off := buf.Len()
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil, nil, err
		}
		if _, err := zw.Write(data); err != nil {
			return nil, nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, nil, err
		}
		spec, _ := e.CRD["spec"].(map[string]any)
		names, _ := spec["names"].(map[string]any)
		ie := indexEntry{Module: e.Module, Version: e.Version, File: e.File, Offset: off, Size: buf.Len() - off}
		ie.Group, _ = spec["group"].(string)
		ie.Kind, _ = names["kind"].(string)
		ie.Namespaced = spec["scope"] != "Cluster"
		versions, _ := spec["versions"].([]any)
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			name, _ := vm["name"].(string)
			if served, _ := vm["served"].(bool); served {
				ie.Versions = append(ie.Versions, name)
			}
		}
		idx = append(idx, ie)
	}
	// one CRD a line: a regenerated catalog diffs by CRD
	index = []byte("{\"crds\": [\n")
	for i, ie := range idx {
		line, err := json.Marshal(ie)
		if err != nil {
			return nil, nil, err
		}
		index = append(index, line...)
		if i < len(idx)-1 {
			index = append(index, ',')
		}
		index = append(index, '\n')
	}
	return append(index, "]}\n"...), buf.Bytes(), nil
}

func entryKey(e catalogEntry) string {
	spec, _ := e.CRD["spec"].(map[string]any)
	group, _ := spec["group"].(string)
	names, _ := spec["names"].(map[string]any)
	kind, _ := names["kind"].(string)
	return group + "/" + kind
}

// trimCRD keeps what validation reads of a CRD: its name, group, kind,
// scope and, per version, name, served, the status subresource and the
// schema without documentation. It returns the trimmed CRD, "group/Kind" and
// the trimmed versions.
func trimCRD(o map[string]any) (map[string]any, string, []map[string]any) {
	md, _ := o["metadata"].(map[string]any)
	spec, _ := o["spec"].(map[string]any)
	names, _ := spec["names"].(map[string]any)
	group, _ := spec["group"].(string)
	kind, _ := names["kind"].(string)
	var versions []map[string]any
	list, _ := spec["versions"].([]any)
	for _, e := range list {
		v, ok := e.(map[string]any)
		if !ok {
			continue
		}
		tv := map[string]any{"name": v["name"], "served": v["served"]}
		if sub, ok := v["subresources"].(map[string]any); ok {
			if _, ok := sub["status"]; ok {
				tv["subresources"] = map[string]any{"status": map[string]any{}}
			}
		}
		if sc, ok := v["schema"].(map[string]any); ok {
			if s, ok := sc["openAPIV3Schema"].(map[string]any); ok {
				tv["schema"] = map[string]any{"openAPIV3Schema": trimSchema(s)}
			}
		}
		versions = append(versions, tv)
	}
	crd := map[string]any{
		"apiVersion": o["apiVersion"],
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": md["name"]},
		"spec": map[string]any{
			"group": group,
			"names": map[string]any{"kind": kind, "plural": names["plural"]},
			"scope": spec["scope"],
		},
	}
	return crd, group + "/" + kind, versions
}

// trimSchema drops the keywords validation does not read.
func trimSchema(s map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		if !schemaKeywords[k] {
			continue
		}
		switch k {
		case "properties":
			props, _ := v.(map[string]any)
			cp := make(map[string]any, len(props))
			for n, p := range props {
				if pm, ok := p.(map[string]any); ok {
					cp[n] = trimSchema(pm)
				}
			}
			out[k] = cp
		case "items", "additionalProperties", "not":
			if m, ok := v.(map[string]any); ok {
				out[k] = trimSchema(m)
			} else {
				out[k] = v
			}
		case "allOf", "anyOf", "oneOf":
			list, _ := v.([]any)
			cl := make([]any, 0, len(list))
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					cl = append(cl, trimSchema(m))
				}
			}
			out[k] = cl
		default:
			out[k] = v
		}
	}
	return out
}

// decodeObjects decodes the objects of a YAML stream with the workspace's
// one decoder.
func decodeObjects(data []byte) ([]map[string]any, error) {
	docs, err := workspace.ParseDocuments("", data)
	var out []map[string]any
	for _, d := range docs {
		if d.Object != nil {
			out = append(out, d.Object)
		}
	}
	return out, err
}
