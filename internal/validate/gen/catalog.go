package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/render-check/render-check/internal/resource"
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

// generateCatalog writes out/crds.json.gz.
func generateCatalog(out string) error {
	var entries []catalogEntry
	// taken maps "group/Kind" to the versions already in the catalog.
	taken := map[string]map[string]bool{}
	for _, src := range catalogSources {
		dir, err := download(src.Module + "@" + src.Version)
		if err != nil {
			return err
		}
		for _, f := range src.Files {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
			if err != nil {
				return fmt.Errorf("%s@%s: %w", src.Module, src.Version, err)
			}
			objs, err := resource.DecodeAll(data)
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
	}
	slices.SortStableFunc(entries, func(a, b catalogEntry) int {
		return strings.Compare(entryKey(a), entryKey(b))
	})
	data, err := json.Marshal(map[string]any{"crds": entries})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(out, "crds.json.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d CRD entries, %d bytes JSON, %d bytes gzipped\n", path, len(entries), len(data), buf.Len())
	return nil
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
