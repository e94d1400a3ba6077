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

// ruleDocs describes individual rules where their check's text is too vague.
var ruleDocs = map[string]RuleDoc{
	"image/tag-not-found": {
		Short: "The image tag does not exist in its registry.",
		Help:  "Push the tag, or point the reference at a tag that exists (`render-check bump --image REPO --tag TAG`).",
	},
	"secret/plaintext-secret": {
		Short: "A Kubernetes Secret is committed in plaintext.",
		Help:  "Encrypt the Secret with SOPS (`sops --encrypt --in-place FILE`) and rotate the credential.",
	},
	"secret/unencrypted-file": {
		Short: "A file that must be SOPS-encrypted is not encrypted.",
		Help:  "Encrypt the file with SOPS before committing it.",
	},
	"render/remote-refused": {
		Short: "A remote source was not fetched because of the network policy; the Application was not rendered.",
		Help: "On an untrusted run (a pull request) nothing remote is fetched unless the trusted side lists its host: " +
			"pass --network HOST[,HOST] (or RENDER_CHECK_NETWORK) from the workflow, not from the repository. See docs/security.md.",
	},
	"render/limit": {
		Short: "Rendering an Application hit a bound (deadline, output size, documents, apps per cluster, file size, YAML depth).",
		Help: "The app was not rendered (or its later children were not): the message names the limit. Fix the runaway " +
			"template or file, or raise render.limits in a trusted config. See docs/security.md.",
	},
	"render/symlink-out-of-bounds": {
		Short: "A symlink in the repository points outside it.",
		Help: "render-check never reads through it, and Argo CD refuses to generate manifests from a repository that " +
			"contains one. Replace the link with the file, or point it at a path inside the repository.",
	},
	"repo/untrusted-setting": {
		Short: "A setting of the repository's own config was ignored because the run is untrusted.",
		Help: "Settings that grant trust or reach outside the checkout (credentials, insecure registries, mirrors, CA bundles, " +
			"cache dirs, schema locations, kustomize load restrictor, network policy, secret allowlists and baselines, " +
			"severity overrides below error) apply on a pull request only from a trusted source: flags, environment, or " +
			"--config FILE outside the checkout (e.g. from the base branch). See docs/security.md.",
	},
	"render/failed": {
		Short: "Rendering the Application failed.",
		Help:  "Argo CD would fail to generate manifests; the message carries the renderer's error.",
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
