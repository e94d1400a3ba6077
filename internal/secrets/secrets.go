// Package secrets finds plaintext secrets in a GitOps config repo and in
// its rendered output, and checks that SOPS files are fully encrypted and
// intact. Findings locate the file, line, document and key path, and carry a
// short fingerprint of the value; they never contain the value itself.
package secrets

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/rootfs"
	"github.com/render-check/render-check/internal/workspace"
)

// Rules lists every rule of the secret check, sorted.
func Rules() []string {
	r := []string{report.RuleSecretPlaintext, report.RuleSecretSopsPlaintextValue, report.RuleSecretSopsMetadata, report.RuleSecretSopsMACMismatch,
		report.RuleSecretUnencryptedFile, report.RuleSecretGeneratorLiteral, report.RuleSecretCredentialValue, report.RuleSecretKnownToken, report.RuleSecretUnparsable}
	slices.Sort(r)
	return r
}

func severityOf(rule string) report.Severity {
	switch rule {
	case report.RuleSecretCredentialValue, report.RuleSecretUnparsable:
		return report.SeverityWarning
	}
	return report.SeverityError
}

// DefaultBaseline is the baseline file looked up at the root.
const DefaultBaseline = ".render-check-baseline.json"

// Options configure one scan.
type Options struct {
	// Root is the repo checkout; file paths in findings are relative to it.
	Root string
	// Files is the checkout's file list (the workspace's, listed once per
	// run); nil lists Root.
	Files []string
	// Config is the secrets section of the configuration.
	Config config.Secrets
	// Paths limits the source scan to these repo-relative files or
	// directories (slash-separated); empty scans the whole repo.
	Paths []string
	// Clusters are rendered clusters whose resources are scanned too.
	Clusters []*resource.Cluster
	// Keys verify SOPS MACs; nil or empty reports the MAC check as skipped.
	Keys *Keys
	// NoBaseline ignores the baseline file (used to write a new one).
	NoBaseline bool
	// Verdicts, when set, keeps scan verdicts across runs: hits of source
	// files by directory, names and content hashes (Hash), hits of rendered
	// objects by app and content. Never a secret's value.
	Verdicts *rendercache.Verdicts
	// Hash returns a repo file's content hash (the workspace's git blob
	// id); files it cannot hash are scanned on every run. Without it,
	// source files are scanned on every run.
	Hash func(rel string) (string, bool)
}

// Result is the outcome of a scan.
type Result struct {
	// Findings, sorted; allowlisted and baselined findings are removed.
	Findings []report.Finding
	// Skipped explains parts of the check that did not run (MAC checks
	// without a key). Never counted as passed.
	Skipped []string
	// Suppressed counts findings removed by inline comments, the config
	// allowlist or the baseline.
	Suppressed int
	// SopsFiles counts the SOPS-encrypted files seen.
	SopsFiles int
}

// hit is a finding before allowlisting. It never holds a value.
type hit struct {
	rule    string
	file    string
	line    int
	doc     int
	keyPath string
	path    []pathElem
	fp      string
	msg     string
	cluster string
	app     string
	res     *report.ResourceRef
}

func (h hit) finding() report.Finding {
	var where []string
	if h.keyPath != "" {
		where = append(where, "key "+h.keyPath)
	}
	if h.doc > 1 {
		where = append(where, fmt.Sprintf("document %d", h.doc))
	}
	msg := h.msg
	if len(where) > 0 {
		msg = strings.Join(where, ", ") + ": " + msg
	}
	if h.fp != "" {
		msg += " (fingerprint " + h.fp + ")"
	}
	return report.Finding{
		Rule: h.rule, Severity: severityOf(h.rule), Cluster: h.cluster, App: h.app,
		File: h.file, Line: h.line, Resource: h.res, Message: msg, Fingerprint: h.fp,
	}
}

// fingerprintOf identifies a value across runs (baselines, deduplication)
// with the fingerprint every output uses.
func fingerprintOf(value []byte) string { return report.SecretFingerprint(value) }

// fingerprintOfPlace identifies a finding without a value (missing
// metadata, unencrypted file) by rule, file and key path.
func fingerprintOfPlace(rule, file, keyPath string) string {
	return fingerprintOf([]byte("place\x00" + rule + "\x00" + file + "\x00" + keyPath))
}

// Scan runs the secret check over the repo's files (or opts.Paths) and the
// rendered resources. An error means the scan could not run (unreadable
// root, bad allowlist or baseline); everything about the content is a
// finding.
func Scan(ctx context.Context, opts Options) (*Result, error) {
	allow, err := newAllowlist(opts.Config)
	if err != nil {
		return nil, err
	}
	var base *Baseline
	if !opts.NoBaseline {
		base, err = LoadBaseline(BaselinePath(opts.Root, opts.Config))
		if err != nil {
			return nil, err
		}
	}
	rfs, err := rootfs.Open(opts.Root)
	if err != nil {
		return nil, err
	}
	defer rfs.Close()
	s := newScanner(rfs, opts.Keys)
	s.verdicts, s.hash = opts.Verdicts, opts.Hash
	all := opts.Files
	if all == nil {
		if all, err = workspace.Files(ctx, opts.Root); err != nil {
			return nil, err
		}
	}
	s.loadSopsConfigs(all)
	files := listFiles(all, opts.Paths, rfs, allow.exclude)
	if err := s.scanFiles(ctx, all, files); err != nil {
		return nil, err
	}
	repoFPs := map[string]bool{}
	for _, h := range s.hits {
		if h.fp != "" {
			repoFPs[h.fp] = true
		}
	}
	if len(opts.Clusters) > 0 {
		s.scanRendered(opts.Clusters, repoFPs)
	}
	res := &Result{SopsFiles: s.sopsFiles}
	for _, h := range s.hits {
		f := h.finding()
		if s.inlineIgnored(h) || allow.allows(f) || base.accepts(f) {
			res.Suppressed++
			continue
		}
		res.Findings = append(res.Findings, f)
	}
	res.Findings = report.Sort(res.Findings)
	if s.macNoKey > 0 {
		res.Skipped = append(res.Skipped, fmt.Sprintf(
			"%s: MAC of %d SOPS file(s) not verified: no age key (set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE)", report.RuleSecretSopsMACMismatch, s.macNoKey))
	}
	if s.macNoMatch > 0 {
		res.Skipped = append(res.Skipped, fmt.Sprintf(
			"%s: MAC of %d SOPS file(s) not verified: no configured age identity opens their data key", report.RuleSecretSopsMACMismatch, s.macNoMatch))
	}
	return res, nil
}
