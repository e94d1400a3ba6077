package report

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
)

// RuleDoc describes a rule for formats that carry rule metadata (sarif).
type RuleDoc struct {
	// Short is one sentence shown where space is limited.
	Short string
	// Help tells a person what to do about a finding of this rule.
	Help string
}

// checkDocs describes each check, the part of a rule before the slash. A rule
// without its own entry in ruleDocs is described by its check.
var checkDocs = map[string]RuleDoc{
	"render": {
		Short: "An Application could not be rendered the way Argo CD would render it.",
		Help: "Argo CD would fail to generate manifests for this Application. Fix the source at the reported " +
			"file: the kustomization, the Helm chart or values, or the Application's source fields. " +
			"`render-check render --cluster NAME --output-dir DIR` shows what renders.",
	},
	"schema": {
		Short: "A rendered resource does not validate against the Kubernetes schema of the target version.",
		Help: "The API server of the cluster's Kubernetes version would reject this object. Fix the field " +
			"named in the message, or move to an API version the cluster serves. Custom resources are " +
			"checked against the CRDs found in the repository.",
	},
	"image": {
		Short: "A container image referenced by a rendered resource cannot be pulled.",
		Help: "The image reference does not resolve in its registry (missing tag, missing repository, or " +
			"the registry refused access). Push the image, fix the tag, or use `render-check bump` to " +
			"set a tag that exists.",
	},
	"secret": {
		Short: "A secret is stored in plaintext, or a SOPS file is not fully encrypted.",
		Help: "Secrets must be committed encrypted with SOPS. Encrypt the file (`sops --encrypt " +
			"--in-place FILE`) and rotate the credential if it was ever pushed. The value is never " +
			"printed; the fingerprint identifies it.",
	},
	"repo": {
		Short: "The repository layout or an Argo CD setting is inconsistent.",
		Help:  "A repository-level check failed: fix the file named in the finding.",
	},
	"policy": {
		Short: "A rendered resource breaks a configured policy.",
		Help:  "The resource does not meet a policy configured in .render-check.yaml.",
	},
}

// ruleDocs describes every rule: its own short text and what to do about
// it (SARIF rule help, the docs tables). A rule missing here falls back to
// its check's text; a test keeps every rule of the code base listed.
var ruleDocs = map[string]RuleDoc{
	"render/failed": {
		Short: "Rendering the Application failed.",
		Help: "Argo CD would fail to generate manifests. The finding points at the entry to fix (a kustomization " +
			"`resources:` entry, a values-file key, a template line) with the renderer's own text as detail.",
	},
	"render/malformed-yaml": {
		Short: "A YAML file under a cluster directory does not parse.",
		Help:  "Fix the YAML syntax at the reported line (indentation, a missing colon or quote).",
	},
	"render/external-source": {
		Short: "A source in another git repository is not rendered.",
		Help:  "Add the repository's URL to `repoURLs` in .render-check.yaml if it is this repository; otherwise it is checked where it lives.",
	},
	"render/unsupported": {
		Short: "A source type render-check cannot render offline (plugin, jsonnet, ApplicationSet).",
		Help:  "The source is not rendered, so its resources are not checked; check them in the repository that produces them.",
	},
	"render/cycle": {
		Short: "Applications render each other in a cycle.",
		Help:  "An app-of-apps renders an Application that (directly or not) renders it again; remove one of the links.",
	},
	"render/duplicate-resource": {
		Short: "One app renders the same object twice, or two Application files share a name.",
		Help:  "The last definition wins in Argo CD; remove or rename one of them.",
	},
	"render/repo-url": {
		Short: "The repository does not know its own URL.",
		Help:  "Set `repoURLs` in .render-check.yaml so sources of this repository are recognised by URL, not by path.",
	},
	"render/deprecated": {
		Short: "A kustomization uses a deprecated field.",
		Help:  "Run `kustomize edit fix` or rename the field as the message says; a later kustomize will reject it.",
	},
	"render/unused-value": {
		Short: "A key of a values file that the Helm chart never reads.",
		Help: "No template of the chart (or its subcharts) uses this key, so it has no effect: most often a " +
			"misspelled key (`replicaCont`). Fix the spelling or remove the key. Keys under `global`, subchart " +
			"names and charts that read `.Values` as a whole are never reported.",
	},
	"render/no-clusters": {
		Short: "No cluster matched: nothing was checked.",
		Help:  "Set `clusters` in .render-check.yaml to the globs of your cluster directories, or pass --cluster.",
	},
	"schema/invalid": {
		Short: "A field does not match its Kubernetes schema.",
		Help: "The API server would reject the object. Fix the field named at the start of the message; when the " +
			"value came from a Helm values file the finding points at that key.",
	},
	"schema/missing": {
		Short: "No schema is known for the object's apiVersion and kind.",
		Help: "The object cannot be validated: the kind is served only by a newer Kubernetes, the apiVersion is " +
			"misspelled, or the CRD is not in the repository. Fix the apiVersion, or add the CRD (or a schema " +
			"location) to .render-check.yaml.",
	},
	"schema/removed-api": {
		Short: "The cluster's Kubernetes version no longer serves this apiVersion.",
		Help:  "Move the object to the replacement apiVersion named in the message.",
	},
	"schema/deprecated-api": {
		Short: "This apiVersion is deprecated and removed in a later Kubernetes version.",
		Help:  "Move the object to the replacement apiVersion before upgrading the cluster.",
	},
	"schema/duplicate-resource": {
		Short: "Two apps of one cluster define the same object.",
		Help:  "Argo CD would apply both and they would fight; keep the object in one app.",
	},
	"schema/malformed": {
		Short: "A document is not a Kubernetes object.",
		Help:  "Fix the YAML, or add the missing `apiVersion`/`kind`.",
	},
	"schema/crd-invalid": {
		Short: "A CustomResourceDefinition cannot be used as a schema.",
		Help:  "Fix the CRD (group, kind, at least one served version with a schema).",
	},
	"image/tag-not-found": {
		Short: "The image tag does not exist in its registry.",
		Help:  "Push the tag, or point the reference at a tag that exists (`render-check bump --image REPO --tag TAG`).",
	},
	"image/unauthorized": {
		Short: "The registry refused access to the image.",
		Help:  "Give the check read credentials for the registry (docker config or images.credentials), or fix the repository name.",
	},
	"image/unreachable": {
		Short: "The registry could not be reached.",
		Help:  "A network, TLS or rate-limit failure, not a missing tag. Rerun, configure a mirror, or skip the registry in images.skip.",
	},
	"image/platform-missing": {
		Short: "The image lacks a required platform.",
		Help:  "Build and push the image for every platform listed in images.platforms.",
	},
	"image/digest-mismatch": {
		Short: "The tag of a tag@digest reference moved or vanished.",
		Help:  "The pinned digest still pulls; update the tag or the digest so they agree.",
	},
	"image/mutable-tag": {
		Short: "The image has no tag or uses `latest`.",
		Help:  "Pin a version tag (or a digest) so a sync deploys what was reviewed.",
	},
	"image/invalid-reference": {
		Short: "The image reference does not parse.",
		Help:  "Fix the reference (registry/repository:tag or @sha256:digest).",
	},
	"image/other": {
		Short: "The registry returned an unexpected error.",
		Help:  "See the message; rerun if it was transient.",
	},
	"secret/plaintext-secret": {
		Short: "A Kubernetes Secret is committed in plaintext.",
		Help:  "Encrypt the Secret with SOPS (`sops --encrypt --in-place FILE`) and rotate the credential.",
	},
	"secret/unencrypted-file": {
		Short: "A file that must be SOPS-encrypted is not encrypted.",
		Help:  "Encrypt the file with SOPS before committing it.",
	},
	"secret/sops-plaintext-value": {
		Short: "A SOPS file holds a value that sops would encrypt in plaintext.",
		Help:  "Re-encrypt the file with sops (`sops --encrypt --in-place FILE`); a key added after encryption is plaintext.",
	},
	"secret/sops-metadata": {
		Short: "A SOPS file's metadata is incomplete or invalid.",
		Help:  "Re-create the file with sops; never edit the `sops` metadata by hand.",
	},
	"secret/sops-mac-mismatch": {
		Short: "A SOPS file's MAC does not match its values.",
		Help:  "The file was edited without sops; edit it with `sops FILE` so values and MAC agree.",
	},
	"secret/generator-literal": {
		Short: "A kustomize secretGenerator holds plaintext values.",
		Help:  "Generate the Secret from a SOPS-encrypted file, or use a SealedSecret/ExternalSecret.",
	},
	"secret/credential-value": {
		Short: "A credential-named key holds a literal value.",
		Help:  "Move the value to a SOPS-encrypted Secret and reference it.",
	},
	"secret/known-token": {
		Short: "A well-known credential format (private key, cloud or SaaS token) is committed.",
		Help:  "Remove it, rotate the credential, and store it encrypted with SOPS.",
	},
	"secret/unparsable": {
		Short: "A file could not be parsed, so it was not fully scanned for secrets.",
		Help:  "Fix the file's syntax at the reported line.",
	},
	"repo/codeowners": {
		Short: "A cluster or base directory has no CODEOWNERS entry.",
		Help:  "Add an owner for the path to CODEOWNERS.",
	},
	"repo/sync-window": {
		Short: "A production cluster's AppProject has no sync window.",
		Help:  "Add a sync window to the AppProject, or mark the cluster as not production.",
	},
	"repo/notifications": {
		Short: "A production app has no notification subscription.",
		Help:  "Add a notifications.argoproj.io subscription annotation to the Application.",
	},
	"repo/app-sanity": {
		Short: "An Application's fields are inconsistent with the repository.",
		Help:  "Fix the field at the reported line: a source path or values file that does not exist, a project that is not defined, a destination namespace no app creates.",
	},
	"repo/adoption": {
		Short: "An app does not meet the adoption policy.",
		Help:  "See policy.adoption in .render-check.yaml for what each app must have.",
	},
}

// DocFor returns the documentation of a rule: its own, else its check's,
// else a generic text.
func DocFor(rule string) RuleDoc {
	if d, ok := ruleDocs[rule]; ok {
		return d
	}
	check, _, _ := strings.Cut(rule, "/")
	if d, ok := checkDocs[check]; ok {
		return d
	}
	return RuleDoc{Short: "render-check rule " + rule + ".", Help: "See the finding's message."}
}

// FingerprintOf identifies a finding across runs: a hash of its rule,
// cluster, app, file, resource, message and its own fingerprint. The line is
// left out on purpose, so that adding lines above a finding keeps its
// identity.
func FingerprintOf(f Finding) string {
	h := sha256.New()
	res := ""
	if f.Resource != nil {
		res = f.Resource.APIVersion + " " + f.Resource.String()
	}
	for _, s := range []string{f.Rule, f.Cluster, f.App, f.File, res, f.Message, f.Fingerprint} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// repoPath returns the finding's file as seen from the repository root.
func (o Options) repoPath(file string) string {
	if file == "" || o.PathPrefix == "" || o.PathPrefix == "." {
		return file
	}
	return path.Join(o.PathPrefix, file)
}

func (o Options) failOn() Severity {
	if o.FailOn == "" {
		return SeverityError
	}
	return o.FailOn
}

// where names the clusters and apps of a finding: "cluster/app", "cluster"
// or "", several separated by ", " when one mistake affects several.
func where(f Finding) string {
	ts := f.Targets()
	names := make([]string, 0, len(ts))
	for _, t := range ts {
		if s := t.String(); s != "" {
			names = append(names, s)
		}
	}
	return strings.Join(names, ", ")
}

// longMessage is the finding's message with its resource and cluster/app,
// for formats that show a message without those fields.
func longMessage(f Finding) string {
	var b strings.Builder
	if w := where(f); w != "" {
		b.WriteString("[" + w + "] ")
	}
	if f.Resource != nil {
		b.WriteString(f.Resource.String() + ": ")
	}
	b.WriteString(f.Message)
	return b.String()
}
