package render

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"sigs.k8s.io/kustomize/api/types"

	"github.com/render-check/render-check/internal/netpolicy"
	"github.com/render-check/render-check/internal/report"
)

// RuleRemoteRefused is a remote source (chart, value file, kustomize remote
// base or URL resource) the network policy did not let the run fetch: the
// app is left unrendered and says so.
const RuleRemoteRefused = report.RuleRenderRemoteRefused

// maxGitTimeout caps kustomize's ?timeout= on a remote base: past it the
// base is refused rather than letting the repo stretch a fetch.
const maxGitTimeout = 2 * time.Minute

// remoteScheme returns the scheme kustomize would use for a kustomization
// entry ("https", "ssh", "http", "file"; "" when the entry is a local path).
// It mirrors kustomize's own test for "remote" (git URL or HTTP resource):
// an explicit scheme, an scp-like user@host:path, or the github.com
// shorthand.
func remoteScheme(entry string) string {
	s := entry
	if len(s) >= 5 && strings.EqualFold(s[:5], "git::") {
		s = s[5:]
	}
	low := strings.ToLower(s)
	for _, sc := range []string{"https", "http", "ssh", "file"} {
		if strings.HasPrefix(low, sc+"://") {
			return sc
		}
	}
	if i := strings.Index(low, "://"); i > 0 && !strings.ContainsAny(low[:i], "/.") {
		return low[:i] // another scheme kustomize rejects; refused below
	}
	if strings.HasPrefix(low, "github.com/") {
		return "https"
	}
	if strings.HasPrefix(low, "github.com:") {
		return "ssh"
	}
	if at := strings.Index(s, "@"); at > 0 && isUsername(s[:at]) {
		return "ssh"
	}
	return ""
}

func isUsername(s string) bool {
	for i, c := range s {
		if !(c < unicode.MaxASCII && (unicode.IsLetter(c) || (i > 0 && (unicode.IsDigit(c) || c == '-')))) {
			return false
		}
	}
	return s != ""
}

// checkRemoteEntry refuses a remote kustomization entry that could reach
// git's option parsing or a protocol other than https/ssh, then applies the
// network policy. A nil error means kustomize may fetch it.
func checkRemoteEntry(entry, scheme string, pol netpolicy.Policy) error {
	if scheme != "https" && scheme != "ssh" {
		return fmt.Errorf("remote base %q refused: only https and ssh remote bases are allowed (got %s)", entry, scheme)
	}
	for _, r := range entry {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("remote base %q refused: it contains a space or control character", entry)
		}
	}
	body, query, _ := strings.Cut(entry, "?")
	if len(body) >= 5 && strings.EqualFold(body[:5], "git::") {
		body = body[5:]
	}
	if _, rest, ok := strings.Cut(body, "://"); ok {
		body = rest
	}
	for _, part := range strings.FieldsFunc(body, func(r rune) bool { return r == '/' || r == ':' || r == '@' }) {
		if strings.HasPrefix(part, "-") {
			return fmt.Errorf("remote base %q refused: part %q starts with '-' (it would reach git's option parsing)", entry, part)
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return fmt.Errorf("remote base %q refused: query: %w", entry, err)
	}
	for _, k := range []string{"ref", "version"} {
		for _, v := range q[k] {
			if strings.HasPrefix(v, "-") {
				return fmt.Errorf("remote base %q refused: %s %q starts with '-' (it would reach git's option parsing)", entry, k, v)
			}
		}
	}
	for _, v := range q["timeout"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			n, nerr := strconv.Atoi(v)
			if nerr != nil {
				return fmt.Errorf("remote base %q refused: timeout %q: %w", entry, v, err)
			}
			d = time.Duration(n) * time.Second
		}
		if d <= 0 || d > maxGitTimeout {
			return fmt.Errorf("remote base %q refused: timeout %s is above the %s cap", entry, v, maxGitTimeout)
		}
	}
	return pol.Check("kustomize remote base", entry)
}

// kustomizationRemotes lists every entry of a kustomization that kustomize
// would fetch instead of reading from the checkout.
func kustomizationRemotes(k *types.Kustomization) []string {
	var all []string
	all = append(all, k.Resources...)
	all = append(all, k.Bases...) //nolint:staticcheck // deprecated, still read
	all = append(all, k.Components...)
	all = append(all, k.Generators...)
	all = append(all, k.Transformers...)
	all = append(all, k.Validators...)
	all = append(all, k.Crds...)
	all = append(all, k.Configurations...)
	for _, p := range k.PatchesStrategicMerge { //nolint:staticcheck // deprecated, still read
		all = append(all, string(p))
	}
	for _, p := range k.Patches {
		all = append(all, p.Path)
	}
	for _, p := range k.Replacements {
		all = append(all, p.Path)
	}
	if p, ok := k.OpenAPI["path"]; ok {
		all = append(all, p)
	}
	gens := make([]types.GeneratorArgs, 0, len(k.ConfigMapGenerator)+len(k.SecretGenerator))
	for _, g := range k.ConfigMapGenerator {
		gens = append(gens, g.GeneratorArgs)
	}
	for _, g := range k.SecretGenerator {
		gens = append(gens, g.GeneratorArgs)
	}
	for _, g := range gens {
		for _, f := range g.FileSources {
			if _, p, ok := strings.Cut(f, "="); ok {
				f = p
			}
			all = append(all, f)
		}
		all = append(all, g.EnvSources...)
		if g.EnvSource != "" { //nolint:staticcheck // deprecated, still read
			all = append(all, g.EnvSource) //nolint:staticcheck // deprecated, still read
		}
	}
	var out []string
	for _, e := range all {
		if e != "" && remoteScheme(e) != "" {
			out = append(out, e)
		}
	}
	return out
}

// guardRemotes wraps a kustomization rewrite hook: every remote entry of a
// kustomization read is checked before kustomize can fetch it. read reads
// the kustomization as stored (through the rooted reader), for the line of a
// refused entry.
func guardRemotes(rel func(string) string, read func(string) ([]byte, error), pol netpolicy.Policy, next func(string, []byte) ([]byte, error)) func(string, []byte) ([]byte, error) {
	return func(p string, data []byte) ([]byte, error) {
		var k types.Kustomization
		if err := k.Unmarshal(data); err == nil {
			for _, e := range kustomizationRemotes(&k) {
				if err := checkRemoteEntry(e, remoteScheme(e), pol); err != nil {
					src := data // the top kustomization is an edited copy: lines of the file
					if disk, rerr := read(p); rerr == nil {
						src = disk
					}
					return nil, &FileError{File: rel(p), Line: lineOf(src, e), Err: err}
				}
			}
		}
		if next == nil {
			return data, nil
		}
		return next(p, data)
	}
}

// lineOf is the 1-based line of the first occurrence of s in data (0 when
// absent).
func lineOf(data []byte, s string) int {
	i := strings.Index(string(data), s)
	if i < 0 {
		return 0
	}
	return strings.Count(string(data[:i]), "\n") + 1
}

// isRefused reports whether err is a network-policy refusal.
func isRefused(err error) bool {
	var re *netpolicy.RefusedError
	return errors.As(err, &re)
}

// cloneDir reports whether abs is inside a clone kustomize made of a remote
// base (os.MkdirTemp("", "kustomize-")): readable only when the network
// policy lets remote bases be fetched at all.
func (r *renderer) cloneDir(abs string) bool {
	if r.network.Mode == netpolicy.Off {
		return false
	}
	rel, err := filepath.Rel(os.TempDir(), abs)
	if err != nil || !filepath.IsLocal(rel) {
		return false
	}
	first, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	return strings.HasPrefix(first, "kustomize-")
}
