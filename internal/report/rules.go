package report

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"sort"
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

// ruleDocs describes every rule (a test checks each rule in the code has an
// entry, and docs/rules.md lists them).
var ruleDocs = map[string]RuleDoc{
	"image/digest-mismatch": {
		Short: "The image's tag and digest name different images.",
		Help:  "Update the digest (or the tag) so both name the same image.",
	},
	"image/failed": {
		Short: "The image check could not run.",
		Help:  "The message says why.",
	},
	"image/invalid-reference": {
		Short: "An image reference does not parse.",
		Help:  "Fix the reference (registry/repository:tag or @sha256:digest).",
	},
	"image/mutable-tag": {
		Short: "An image uses a mutable tag such as latest.",
		Help:  "Pin a version tag or a digest.",
	},
	"image/platform-missing": {
		Short: "The image does not provide a required platform.",
		Help:  "Build and push the image for the platforms in images.platforms.",
	},
	"image/tag-not-found": {
		Short: "The image tag does not exist in its registry.",
		Help:  "Push the tag, or point the reference at a tag that exists (`render-check bump --image REPO --tag TAG`).",
	},
	"image/unauthorized": {
		Short: "The registry refused access to the image.",
		Help:  "Give the CI job credentials for the registry, or skip the registry in images.skip.",
	},
	"image/unreachable": {
		Short: "The registry could not be reached.",
		Help:  "Check the registry host, or mark it insecure/mirrored in the images settings.",
	},
	"render/cycle": {
		Short: "Applications manage each other in a cycle.",
		Help:  "Each Application is rendered once; break the cycle unless it is intended.",
	},
	"render/deprecated": {
		Short: "A kustomization uses a deprecated field.",
		Help:  "Run `kustomize edit fix` or move to the field named in the message (e.g. labels instead of commonLabels).",
	},
	"render/duplicate-resource": {
		Short: "An app renders the same object twice; Argo CD keeps the last one.",
		Help:  "Remove one of the two definitions.",
	},
	"render/external-source": {
		Short: "A source in another git repository was not rendered.",
		Help:  "List the repository's URL in repoURLs if it is this checkout, or accept that it is not checked.",
	},
	"render/failed": {
		Short: "Rendering the Application failed.",
		Help:  "Argo CD would fail to generate manifests; the message carries the renderer's error and the finding points at the line that chose the failing input where it can.",
	},
	"render/malformed-yaml": {
		Short: "A YAML file that Argo CD reads does not parse.",
		Help:  "Fix the YAML at the reported line. Helm chart directories (Chart.yaml) are never read as manifests, only rendered.",
	},
	"render/no-apps": {
		Short: "A cluster has no Application, kustomization or Helm chart, so nothing in it was checked.",
		Help:  "Point clusters at the directories or root Application files that define the cluster.",
	},
	"render/no-clusters": {
		Short: "No cluster was found, so nothing was checked.",
		Help:  "Set clusters in .render-check.yaml (globs of cluster directories, root Application files or \".\"), or run `render-check init`.",
	},
	"render/repo-url": {
		Short: "The checkout does not know its own repository URL.",
		Help:  "Set repoURLs in .render-check.yaml so that sources of this repo are read from the checkout and others are not.",
	},
	"render/unsupported": {
		Short: "A source or option render-check cannot render or apply (plugins, jsonnet, ApplicationSets, some kustomize build options).",
		Help:  "The app is not fully checked; the message says what was skipped.",
	},
	"repo/adoption": {
		Short: "An Application has automated sync but was not adopted (diffed against the live cluster).",
		Help:  "Run `render-check diff --live` and list the app in policy.adoption.adopted.",
	},
	"repo/app-sanity": {
		Short: "An Application does not make sense with the rest of the repo (project, paths, values files, namespaces, ownership).",
		Help:  "Fix the field at the reported line; an undefined project is a warning when the repo defines no AppProject at all.",
	},
	"repo/codeowners": {
		Short: "A cluster or the base directory is not owned in CODEOWNERS.",
		Help:  "Add CODEOWNERS lines; without a CODEOWNERS file this is a warning until the rule is given a severity.",
	},
	"repo/failed": {
		Short: "The repo check could not run.",
		Help:  "The message says why.",
	},
	"repo/notifications": {
		Short: "A production Application has no notification subscription.",
		Help:  "Add a notifications.argoproj.io/subscribe.* annotation to it or its AppProject.",
	},
	"repo/sync-window": {
		Short: "A production Application with automated sync has no sync window.",
		Help:  "Add syncWindows to its AppProject; warnings until the repo defines a window or sets the rule's severity.",
	},
	"schema/crd-invalid": {
		Short: "A CustomResourceDefinition in the repo or output is not valid.",
		Help:  "Fix the CRD; objects of its kinds are checked against it.",
	},
	"schema/deprecated-api": {
		Short: "An object uses an API version that is deprecated in the target Kubernetes version.",
		Help:  "Move to the replacement API version named in the message.",
	},
	"schema/duplicate-resource": {
		Short: "Two apps of one cluster render the same object.",
		Help:  "Only one app may own an object: remove it from one of them.",
	},
	"schema/failed": {
		Short: "The schema check could not run.",
		Help:  "The message says why (e.g. an unreadable schema location).",
	},
	"schema/invalid": {
		Short: "A rendered object does not validate against its schema.",
		Help:  "Fix the field named in the message.",
	},
	"schema/malformed": {
		Short: "A rendered object is not a valid Kubernetes object (no kind, apiVersion or name).",
		Help:  "Fix the manifest or template that produced it.",
	},
	"schema/missing": {
		Short: "No schema is known for a rendered object's kind.",
		Help:  "Add the CRD to the repo or to validate.crds, or list schema locations.",
	},
	"schema/removed-api": {
		Short: "An object uses an API version that the target Kubernetes version no longer serves.",
		Help:  "Move to the replacement API version named in the message.",
	},
	"secret/credential-value": {
		Short: "A credential-named key holds a literal value.",
		Help:  "Reference a Secret (existingSecret, secretKeyRef) or encrypt the file with SOPS. Names of Secrets (tlsSecret: my-tls), references ($secret:key, $__env{VAR}, ${VAR}) and placeholders are not reported.",
	},
	"secret/failed": {
		Short: "The secret check could not run.",
		Help:  "The message says why.",
	},
	"secret/generator-literal": {
		Short: "A kustomize secretGenerator holds a literal credential.",
		Help:  "Generate the Secret from a SOPS-encrypted file instead.",
	},
	"secret/known-token": {
		Short: "A value matches a well-known credential format (GitHub, Slack, AWS, PEM key...).",
		Help:  "Move it to a SOPS-encrypted file and rotate it.",
	},
	"secret/plaintext-secret": {
		Short: "A Kubernetes Secret is committed in plaintext.",
		Help:  "Encrypt the Secret with SOPS (`sops --encrypt --in-place FILE`) and rotate the credential. Placeholders (changeme, file paths) are not reported.",
	},
	"secret/sops-mac-mismatch": {
		Short: "A SOPS file was edited without sops (its MAC does not match).",
		Help:  "Edit the file with `sops FILE`, or re-encrypt it.",
	},
	"secret/sops-metadata": {
		Short: "A SOPS file's metadata is missing or broken.",
		Help:  "Re-encrypt the file with sops.",
	},
	"secret/sops-plaintext-value": {
		Short: "A SOPS file holds a value that is not encrypted.",
		Help:  "Re-encrypt the file with sops so every value is encrypted (or adjust unencrypted_regex).",
	},
	"secret/unencrypted-file": {
		Short: "A file that must be SOPS-encrypted is not encrypted.",
		Help:  "Encrypt the file with SOPS before committing it.",
	},
	"secret/unparsable": {
		Short: "A YAML or JSON file does not parse, so it was not fully scanned.",
		Help:  "Fix the file; JSON with comments (JSONC) is read as such.",
	},
}

// RuleNames returns the documented rules, sorted.
func RuleNames() []string {
	names := make([]string, 0, len(ruleDocs))
	for k := range ruleDocs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
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

// where names the cluster and app of a finding: "cluster/app", "cluster" or "".
func where(f Finding) string {
	switch {
	case f.Cluster != "" && f.App != "":
		return f.Cluster + "/" + f.App
	case f.Cluster != "":
		return f.Cluster
	}
	return f.App
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
