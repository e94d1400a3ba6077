package report

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"slices"
	"strings"
)

// Rule is one finding rule: the one table of rule names, default severities
// and documentation. Config validation accepts only these names in severity
// overrides, the pipeline applies overrides to every finding by rule, and
// the SARIF rule metadata and docs come from here.
type Rule struct {
	// Name is "<check>/<name>".
	Name string
	// Severity is the default severity (a rule may report some findings
	// lower, e.g. image/* as warnings under --images warn).
	Severity Severity
	// Short is one sentence shown where space is limited.
	Short string
	// Help tells a person what to do about a finding of this rule ("" means
	// the check's help text).
	Help string
}

// Rule names. Every check names its findings with these constants.
const (
	RuleRenderFailed            = "render/failed"
	RuleRenderMalformedYAML     = "render/malformed-yaml"
	RuleRenderExternalSource    = "render/external-source"
	RuleRenderUnsupported       = "render/unsupported"
	RuleRenderCycle             = "render/cycle"
	RuleRenderDuplicateResource = "render/duplicate-resource"
	RuleRenderRepoURL           = "render/repo-url"
	RuleRenderDeprecated        = "render/deprecated"
	RuleRenderNoClusters        = "render/no-clusters"
	RuleRenderYAML11Boolean     = "render/yaml11-boolean"
	RuleRenderUnusedValue       = "render/unused-value"
	RuleRenderNoApps            = "render/no-apps"
	RuleRenderRemoteRefused     = "render/remote-refused"
	RuleRenderLimit             = "render/limit"
	RuleRenderSymlink           = "render/symlink-out-of-bounds"
	RuleRenderAppSetGenerator   = "render/appset-generator"
	RuleRenderAppSetInvalid     = "render/appset-invalid"
	RuleRenderAppSetDestination = "render/appset-destination"
	RuleRenderAppSetDuplicate   = "render/appset-duplicate"
	RuleRenderAppSetCluster     = "render/appset-cluster"

	RuleSchemaInvalid           = "schema/invalid"
	RuleSchemaMissing           = "schema/missing"
	RuleSchemaRemovedAPI        = "schema/removed-api"
	RuleSchemaDeprecatedAPI     = "schema/deprecated-api"
	RuleSchemaDuplicateResource = "schema/duplicate-resource"
	RuleSchemaMalformed         = "schema/malformed"
	RuleSchemaCRDInvalid        = "schema/crd-invalid"
	RuleSchemaFailed            = "schema/failed"
	RuleSchemaPrunedField       = "schema/pruned-field"

	RuleImageTagNotFound      = "image/tag-not-found"
	RuleImageUnauthorized     = "image/unauthorized"
	RuleImageUnreachable      = "image/unreachable"
	RuleImagePlatformMissing  = "image/platform-missing"
	RuleImageDigestMismatch   = "image/digest-mismatch"
	RuleImageMutableTag       = "image/mutable-tag"
	RuleImageInvalidReference = "image/invalid-reference"
	RuleImageFailed           = "image/failed"

	RuleSecretPlaintext          = "secret/plaintext-secret"
	RuleSecretSopsPlaintextValue = "secret/sops-plaintext-value"
	RuleSecretSopsMetadata       = "secret/sops-metadata"
	RuleSecretSopsMACMismatch    = "secret/sops-mac-mismatch"
	RuleSecretUnencryptedFile    = "secret/unencrypted-file"
	RuleSecretGeneratorLiteral   = "secret/generator-literal"
	RuleSecretCredentialValue    = "secret/credential-value"
	RuleSecretKnownToken         = "secret/known-token"
	RuleSecretUnparsable         = "secret/unparsable"
	RuleSecretFailed             = "secret/failed"

	RuleRepoCodeOwners    = "repo/codeowners"
	RuleRepoSyncWindow    = "repo/sync-window"
	RuleRepoNotifications = "repo/notifications"
	RuleRepoAppSanity     = "repo/app-sanity"
	RuleRepoAdoption      = "repo/adoption"
	RuleRepoFailed        = "repo/failed"
	RuleRepoUntrusted     = "repo/untrusted-setting"
)

// rules is the table, in documentation order.
var rules = []Rule{
	{RuleRenderFailed, SeverityError, "Rendering the Application failed.",
		"Argo CD would fail to generate manifests. The finding points at the entry to fix (a kustomization " +
			"`resources:` entry, a values-file key, a template line) with the renderer's own text as detail."},
	{RuleRenderMalformedYAML, SeverityError, "A YAML file under a cluster directory does not parse.",
		"Fix the YAML syntax at the reported line (indentation, a missing colon or quote)."},
	{RuleRenderExternalSource, SeverityWarning, "A source in another git repository is not rendered.",
		"Add the repository's URL to repoURLs in .render-check.yaml if it is this repository."},
	{RuleRenderUnsupported, SeverityWarning, "A plugin source, an ApplicationSet generator that needs an API, or a kustomize build option is not rendered or applied.",
		"The source is not rendered, so its resources are not checked; check them in the repository that produces them."},
	{RuleRenderCycle, SeverityWarning, "An app-of-apps cycle: each Application is rendered once.",
		"An app-of-apps renders an Application that (directly or not) renders it again; remove one of the links."},
	{RuleRenderDuplicateResource, SeverityWarning, "An app renders an object twice, or two Application files share a name.",
		"The last definition wins in Argo CD; remove or rename one of them."},
	{RuleRenderRepoURL, SeverityInfo, "No git origin and no repoURLs: a git source is read from the checkout when its path exists.",
		"Set `repoURLs` in .render-check.yaml so sources of this repository are recognised by URL, not by path."},
	{RuleRenderDeprecated, SeverityInfo, "A kustomization uses a deprecated field.",
		"Run `kustomize edit fix` or rename the field as the message says; a later kustomize will reject it."},
	{RuleRenderUnusedValue, SeverityWarning, "A key of a values file or inline values that the Helm chart never reads.",
		"No template of the chart (or its subcharts) uses this key, so it has no effect: most often a " +
			"misspelled key (`replicaCont`). Checked in the values files and `helm.values`/`helm.valuesObject` of " +
			"Applications and in the `valuesFile`, `additionalValuesFiles` and `valuesInline` of kustomize " +
			"`helmCharts`. Fix the spelling or remove the key. Keys under `global`, subchart " +
			"names and charts that read `.Values` as a whole are never reported."},
	{RuleRenderNoApps, SeverityWarning, "A cluster has no Application, kustomization or Helm chart: nothing in it was checked.",
		"Point clusters at the directories or root Application files that define the cluster (docs/layouts.md)."},
	{RuleRenderNoClusters, SeverityError, "No cluster was found: nothing was checked.",
		"Set clusters in .render-check.yaml (globs of cluster directories, root Application files or \".\"), or run `render-check init`; see docs/layouts.md."},
	{RuleRenderYAML11Boolean, SeverityError, "An Application field holds an unquoted y/n/yes/no/on/off that kubectl turns into a boolean.",
		"kubectl and Argo CD read YAML 1.1, where `y`, `yes`, `on` (and `n`, `no`, `off`) are booleans: " +
			"the API server rejects a boolean where the Application wants a string. Quote the value."},
	{RuleRenderRemoteRefused, SeverityWarning, "A remote source was not fetched because of the network policy; the Application was not rendered.",
		"On an untrusted run (a pull request) nothing remote is fetched unless the trusted side lists its host: " +
			"pass --network HOST[,HOST] (or RENDER_CHECK_NETWORK) from the workflow, not from the repository. See docs/security.md."},
	{RuleRenderLimit, SeverityError, "Rendering an Application hit a bound (deadline, output size, documents, apps per cluster, file size, YAML depth).",
		"The app was not rendered (or its later children were not): the message names the limit. Fix the runaway " +
			"template or file, or raise render.limits in a trusted config. See docs/security.md."},
	{RuleRenderSymlink, SeverityError, "A symlink in the repository points outside it.",
		"render-check never reads through it, and Argo CD refuses to generate manifests from a repository that " +
			"contains one. The apps it broke are listed on this one finding (their render failures and \"does not " +
			"exist\" views of the link fold into it). Replace the link with the file, or point it at a path inside the repository."},
	{RuleRenderAppSetGenerator, SeverityError, "An ApplicationSet generator or its template fails: Argo CD creates none of its Applications.",
		"The ApplicationSet controller stops at the first generator or template error and creates nothing. " +
			"Fix the generator or template field at the reported line; `render-check appset generate FILE` shows the expansion."},
	{RuleRenderAppSetInvalid, SeverityError, "An Application generated by an ApplicationSet is invalid and is not created.",
		"The generated name, labels, annotations or project are rejected; the other Applications of the set are still created."},
	{RuleRenderAppSetDestination, SeverityWarning, "An Application generated by an ApplicationSet targets an unknown cluster and is not created.",
		"Its destination name or server matches no cluster Secret in the repository, no argoClusters entry of " +
			".render-check.yaml, no cluster directory and not in-cluster. Declare the cluster or fix the destination. " +
			"With no cluster inventory at all (no cluster Secret in the repo, no argoClusters), unknown destinations are " +
			"assumed registered in Argo CD: the Applications are rendered and one info finding per ApplicationSet names them."},
	{RuleRenderAppSetDuplicate, SeverityError, "Two Applications generated by ApplicationSets have the same namespace and name (no namespace: the Argo CD namespace).",
		"Within one ApplicationSet Argo CD creates none of the duplicates; across ApplicationSets only one can own " +
			"the Application. Make the template's metadata.name unique."},
	{RuleRenderAppSetCluster, SeverityWarning, "An Argo CD cluster Secret's name or server cannot be read, or the repo declares no cluster for a clusters generator.",
		"Encrypt only the credentials (e.g. SOPS encrypted_regex: ^(config)$) so name, server and labels stay " +
			"readable, or declare the cluster under argoClusters in .render-check.yaml."},

	{RuleSchemaInvalid, SeverityError, "A field does not match its schema.",
		"The API server would reject the object. Fix the field named at the start of the message; when the " +
			"value came from a Helm values file the finding points at that key. A misspelt field of an Application " +
			"or ApplicationSet file (`projet:`, `valueFile:`) is reported at its key, with the nearest field of " +
			"Argo CD's CRD: Argo CD ignores it."},
	{RuleSchemaMissing, SeverityError, "No schema for the apiVersion/kind (one finding per kind, at its first object).",
		"Add the kind's CustomResourceDefinition to the repository or to validate.crds, add a schema " +
			"location (validate.schemaLocations), or set validate.missingSchema for the kind or group " +
			"(error, warning or ignore). Kinds of render-check's embedded CRD catalog never need this."},
	{RuleSchemaRemovedAPI, SeverityError, "The target Kubernetes version no longer serves the apiVersion/kind.",
		"Move the object to the replacement apiVersion named in the message."},
	{RuleSchemaDeprecatedAPI, SeverityWarning, "The apiVersion/kind is deprecated: a newer Kubernetes version removes it.",
		"Move the object to the replacement apiVersion before upgrading the cluster."},
	{RuleSchemaDuplicateResource, SeverityError, "The same object is rendered twice in one cluster.",
		"Argo CD would apply both and they would fight; keep the object in one app."},
	{RuleSchemaMalformed, SeverityError, "Not a Kubernetes object.",
		"Fix the YAML, or add the missing `apiVersion`/`kind`."},
	{RuleSchemaCRDInvalid, SeverityError, "A CustomResourceDefinition cannot be converted to a schema.",
		"Fix the CRD (group, kind, at least one served version with a schema)."},
	{RuleSchemaFailed, SeverityError, "The schema check could not run.",
		"The schema check stopped before it could judge anything (see the message); the run is not a pass. Fix the cause and run again."},
	{RuleSchemaPrunedField, SeverityWarning, "Strict validation off: a field the schema does not declare, which the API server drops.",
		"The API server prunes undeclared fields and warns (field validation Warn); under strict " +
			"validation it would reject the object. Remove or rename the field."},

	{RuleImageTagNotFound, SeverityError, "The image tag does not exist in its registry.",
		"Push the tag, or point the reference at a tag that exists (`render-check bump --image REPO --tag TAG`)."},
	{RuleImageUnauthorized, SeverityError, "The registry refused access to the image with the credentials available.",
		"Give the check read credentials for the registry (docker config or images.credentials), or fix the repository name."},
	{RuleImageUnreachable, SeverityError, "The registry could not be reached.",
		"A network, TLS or rate-limit failure, not a missing tag. Rerun, configure a mirror, or skip the registry in images.skip."},
	{RuleImagePlatformMissing, SeverityError, "The image lacks a required platform.",
		"Build and push the image for every platform listed in images.platforms."},
	{RuleImageDigestMismatch, SeverityWarning, "The tag of a tag@digest reference moved or vanished.",
		"The pinned digest still pulls; update the tag or the digest so they agree."},
	{RuleImageMutableTag, SeverityWarning, "The image has no tag, or the latest tag.",
		"Pin a version tag (or a digest) so a sync deploys what was reviewed."},
	{RuleImageInvalidReference, SeverityError, "The image reference does not parse.",
		"Fix the reference (registry/repository:tag or @sha256:digest)."},
	{RuleImageFailed, SeverityError, "The image check could not run.",
		"The image check stopped before it could judge anything (see the message); the run is not a pass. Fix the cause and run again."},

	{RuleSecretPlaintext, SeverityError, "A Kubernetes Secret is committed in plaintext.",
		"Encrypt the Secret with SOPS (`sops --encrypt --in-place FILE`) and rotate the credential."},
	{RuleSecretSopsPlaintextValue, SeverityError, "A SOPS file holds a value its own rules say must be encrypted.",
		"Re-encrypt the file with sops (`sops --encrypt --in-place FILE`); a key added after encryption is plaintext."},
	{RuleSecretSopsMetadata, SeverityError, "A SOPS file's metadata is incomplete or invalid.",
		"Re-create the file with sops; never edit the `sops` metadata by hand."},
	{RuleSecretSopsMACMismatch, SeverityError, "A SOPS file does not authenticate: it was edited without sops.",
		"The file was edited without sops; edit it with `sops FILE` so values and MAC agree."},
	{RuleSecretUnencryptedFile, SeverityError, "A file that must be SOPS-encrypted is not encrypted.",
		"Encrypt the file with SOPS before committing it."},
	{RuleSecretGeneratorLiteral, SeverityError, "A kustomize secretGenerator has plaintext literals or files.",
		"Generate the Secret from a SOPS-encrypted file, or use a SealedSecret/ExternalSecret."},
	{RuleSecretCredentialValue, SeverityWarning, "A credential-named key holds a literal value.", "Reference a Secret (existingSecret, secretKeyRef) or encrypt the file with SOPS. Names of Secrets (tlsSecret: my-tls), references ($secret:key, $__env{VAR}, ${VAR}), YAML function tags and placeholders are not reported."},
	{RuleSecretKnownToken, SeverityError, "A value has the format of a well-known credential.",
		"Remove it, rotate the credential, and store it encrypted with SOPS."},
	{RuleSecretUnparsable, SeverityWarning, "A file could not be parsed, so it was not fully scanned.", "Fix the file; JSON with comments (JSONC) is read as such."},
	{RuleSecretFailed, SeverityError, "The secret check could not run.",
		"The secret check stopped before it could judge anything (see the message); the run is not a pass. Fix the cause and run again."},

	{RuleRepoCodeOwners, SeverityError, "CODEOWNERS does not cover the cluster and base directories, or has a dead or malformed line.", "Add CODEOWNERS lines; without a CODEOWNERS file this is one warning until the rule is given a severity in policy.severity."},
	{RuleRepoSyncWindow, SeverityError, "A production Application has no sync window.", "Add syncWindows to the AppProject; warnings until some AppProject in the repo has a window or the rule is given a severity."},
	{RuleRepoNotifications, SeverityWarning, "A production Application has no notification subscription.",
		"Add a notifications.argoproj.io subscription annotation to the Application."},
	{RuleRepoAppSanity, SeverityError, "Applications do not make sense together (project, paths, values files, names, namespaces, ownership).", "Fix the field at the reported line; an undefined project is a warning when the repo defines no AppProject at all."},
	{RuleRepoAdoption, SeverityError, "Automated sync is on for an Application that was not adopted.",
		"See policy.adoption in .render-check.yaml for what each app must have."},
	{RuleRepoFailed, SeverityError, "The repo check could not run.",
		"The repo check stopped before it could judge anything (see the message); the run is not a pass. Fix the cause and run again."},
	{RuleRepoUntrusted, SeverityWarning, "A setting of the repository's own config was ignored because the run is untrusted.",
		"Settings that grant trust or reach outside the checkout (credentials, insecure registries, mirrors, CA bundles, " +
			"cache dirs, schema locations, kustomize load restrictor, limits, network policy, secret allowlists and baselines, " +
			"severity overrides that lower a rule) apply on a pull request only from a trusted source: flags, environment, or " +
			"--config FILE outside the checkout (e.g. from the base branch). See docs/security.md."},
}

// Rules returns the rule table, in documentation order.
func Rules() []Rule { return slices.Clone(rules) }

// LookupRule returns the rule named name.
func LookupRule(name string) (Rule, bool) {
	for _, r := range rules {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{}, false
}

// RuleDoc describes a rule for formats that carry rule metadata (sarif).
type RuleDoc struct {
	// Short is one sentence shown where space is limited.
	Short string
	// Help tells a person what to do about a finding of this rule.
	Help string
}

// checkDocs describes each check, the part of a rule before the slash; a
// rule without its own help text is helped by its check's.
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

// DocFor returns the documentation of a rule: its own, else its check's,
// else a generic text.
func DocFor(rule string) RuleDoc {
	check, _, _ := strings.Cut(rule, "/")
	cd, hasCheck := checkDocs[check]
	if r, ok := LookupRule(rule); ok {
		d := RuleDoc{Short: r.Short, Help: r.Help}
		if d.Help == "" {
			d.Help = cd.Help
		}
		return d
	}
	if hasCheck {
		return cd
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
