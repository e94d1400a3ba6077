package secrets

import (
	"encoding/base64"
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// docScan runs the manifest and value rules over one YAML document.
type docScan struct {
	s    *scanner
	file string
	doc  int
	root *yaml.Node
	// skip holds leaves handled elsewhere (SOPS-encrypted leaves).
	skip map[*yaml.Node]bool
	// awsPair: the document holds an AWS key ID and a secret-shaped value.
	awsPair bool
	hits    []hit
	budget  int
	// sops: the document is part of a SOPS file (its Secret data is
	// governed by the sops rules, not by plaintext-secret).
	sops bool
}

func (d *docScan) emit(rule string, line int, p []pathElem, value []byte, msg string) {
	h := hit{rule: rule, file: d.file, line: line, doc: d.doc, keyPath: keyPathString(p), path: p, msg: msg}
	if value != nil {
		h.fp = fingerprintOf(value)
	} else {
		h.fp = fingerprintOfPlace(rule, d.file, h.keyPath)
	}
	d.hits = append(d.hits, h)
}

// valueMode says which value rules apply in a subtree.
type valueMode int

const (
	// modeTokens: only well-known token formats.
	modeTokens valueMode = iota
	// modeCredentials: credential-named keys holding literals, and tokens.
	modeCredentials
)

// scan runs the rules for the document's kind and flushes hits to the scanner.
func (d *docScan) scan(kustomizationFile bool) {
	d.scanNoFlush(kustomizationFile)
	d.s.hits = append(d.s.hits, d.hits...)
}

func (d *docScan) scanNoFlush(kustomizationFile bool) {
	if d.root == nil {
		return
	}
	d.budget = walkBudget
	d.prescan()
	apiVersion, _ := scalarString(mapGet(d.root, "apiVersion"))
	kind, _ := scalarString(mapGet(d.root, "kind"))
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = ""
	}
	isManifest := apiVersion != "" && kind != ""
	if items := mapGet(d.root, "items"); isManifest && strings.HasSuffix(kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
		// a List: each item is checked as its own object
		for i, it := range items.Content {
			sub := &docScan{s: d.s, file: d.file, doc: d.doc, root: it, skip: d.skip, sops: d.sops}
			sub.scanNoFlush(false)
			for _, h := range sub.hits {
				h.path = append([]pathElem{{key: "items"}, {index: i, isIdx: true}}, h.path...)
				h.keyPath = keyPathString(h.path)
				d.hits = append(d.hits, h)
			}
		}
		return
	}
	switch {
	case resource.IsSecret(map[string]any{"apiVersion": apiVersion, "kind": kind}):
		if !d.sops {
			d.secret()
		}
		d.walkExcept(modeTokens, "data", "stringData")
	case kustomizationFile || ((kind == "Kustomization" || kind == "Component") && strings.HasPrefix(apiVersion, "kustomize.config.k8s.io/")):
		d.kustomization()
		d.walkExcept(modeTokens, "secretGenerator")
	case kind == "ConfigMap" && group == "":
		d.walkExcept(modeTokens, "data")
		if data := mapGet(d.root, "data"); data != nil {
			d.walk(data, []pathElem{{key: "data"}}, modeCredentials, "", 0)
		}
	case isManifest:
		// Applications: valuesObject, values and parameters switch to
		// credential mode inside walk; env name/value pairs everywhere.
		d.walk(d.root, nil, modeTokens, "", 0)
	default:
		// plain YAML/JSON: Helm values and the like.
		d.walk(d.root, nil, modeCredentials, "", 0)
	}
}

// prescan finds sops-encrypted values in a file without sops metadata and
// whether the document pairs an AWS key ID with a secret key.
func (d *docScan) prescan() {
	var hasID, hasSecret bool
	var firstEnc *yaml.Node
	budget := walkBudget
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		budget--
		if budget < 0 || n == nil {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if d.skip[n] {
				return
			}
			if isEncrypted(n.Value) && firstEnc == nil {
				firstEnc = n
			}
			if awsKeyID(n.Value) != "" {
				hasID = true
			}
			if looksLikeAWSSecret(n.Value) {
				hasSecret = true
			}
		case yaml.MappingNode, yaml.SequenceNode, yaml.DocumentNode:
			for _, c := range n.Content {
				visit(c)
			}
		}
	}
	visit(d.root)
	d.awsPair = hasID && hasSecret
	if firstEnc != nil && d.skip == nil {
		d.emit(report.RuleSecretSopsMetadata, firstEnc.Line, nil, nil,
			"document has sops-encrypted values (ENC[...]) but no sops metadata: it cannot be decrypted or verified; re-encrypt the file with sops")
	}
}

// walkExcept walks the top-level mapping except the given keys.
func (d *docScan) walkExcept(mode valueMode, except ...string) {
	if d.root.Kind != yaml.MappingNode {
		d.walk(d.root, nil, mode, "", 0)
		return
	}
	for i := 0; i+1 < len(d.root.Content); i += 2 {
		k, v := d.root.Content[i], d.root.Content[i+1]
		skip := false
		for _, e := range except {
			if k.Value == e {
				skip = true
			}
		}
		if !skip {
			d.walk(v, []pathElem{{key: k.Value}}, mode, k.Value, k.Line)
		}
	}
}

// walk applies the value rules to a subtree. keyName is the key that holds
// n (the env var or parameter name for name/value pairs), keyLine its line.
func (d *docScan) walk(n *yaml.Node, p []pathElem, mode valueMode, keyName string, keyLine int) {
	d.budget--
	if n == nil || d.budget < 0 {
		return
	}
	if isCustomTag(n.Tag) {
		return // a function such as !Find [...] or !Ref X, not a literal
	}
	switch n.Kind {
	case yaml.MappingNode:
		if d.pair(n, p) {
			return
		}
		if mapGet(n, "remoteRef") != nil || mapGet(n, "sourceRef") != nil {
			// an ExternalSecret data entry (also inside Helm values): secretKey
			// names the key to create, remoteRef where the value lives
			return
		}
		// next to the name of a Secret (secretName, existingSecret), a
		// *Key entry names a key of that Secret, not a value
		namesSecret := mapGet(n, "secretName") != nil || mapGet(n, "existingSecret") != nil || mapGet(n, "existingSecretName") != nil
		// under secretKeys/existingSecretKeys every entry names a key of a Secret
		keyMap := false
		if len(p) > 0 && !p[len(p)-1].isIdx {
			w := keyWords(p[len(p)-1].key)
			keyMap = len(w) >= 2 && w[len(w)-1] == "keys" && w[len(w)-2] == "secret"
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if len(p) == 0 && k.Value == "sops" {
				continue
			}
			cm := mode
			if w := keyWords(k.Value); keyMap || namesSecret && len(w) > 0 && w[len(w)-1] == "key" {
				cm = modeTokens
			}
			if k.Value == "valuesObject" || k.Value == "parameters" {
				cm = modeCredentials
			}
			if k.Value == "values" && v.Kind == yaml.ScalarNode && isHelmSource(p) {
				d.inlineValues(v, withKey(p, k.Value))
				continue
			}
			d.walk(v, withKey(p, k.Value), cm, k.Value, k.Line)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.walk(c, withIdx(p, i), mode, keyName, c.Line)
		}
	case yaml.ScalarNode:
		d.value(n, p, mode, keyName, keyLine)
	}
	// aliases are scanned where their anchor is defined.
}

// isCustomTag reports whether a node carries an application tag (!Ref,
// !Find, !Sub...), not one of YAML's own (!!str) or none.
func isCustomTag(tag string) bool {
	return len(tag) > 1 && tag[0] == '!' && tag[1] != '!'
}

// isHelmSource reports whether the path ends in a helm source block.
func isHelmSource(p []pathElem) bool {
	return len(p) > 0 && !p[len(p)-1].isIdx && p[len(p)-1].key == "helm"
}

// pair handles a {name: X, value: Y} mapping (container env, Helm
// parameters, plugin env): Y is judged under the name X. It returns true
// when n was such a pair.
func (d *docScan) pair(n *yaml.Node, p []pathElem) bool {
	name, ok := scalarString(mapGet(n, "name"))
	val := mapGet(n, "value")
	if !ok || val == nil || val.Kind != yaml.ScalarNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "value" {
			d.value(v, withKey(p, "value"), modeCredentials, name, k.Line)
			continue
		}
		d.walk(v, withKey(p, k.Value), modeTokens, k.Value, k.Line)
	}
	return true
}

// value applies the token and credential rules to one scalar.
func (d *docScan) value(n *yaml.Node, p []pathElem, mode valueMode, keyName string, keyLine int) {
	if d.skip[n] {
		return
	}
	v, ok := scalarString(n)
	if !ok || v == "" || isEncrypted(v) {
		return
	}
	line := keyLine
	if line == 0 {
		line = n.Line
	}
	if tok := knownToken(v, keyName, d.awsPair); tok != "" {
		d.emit(report.RuleSecretKnownToken, line, p, []byte(v), tok+" in a plaintext value: move it to a SOPS-encrypted file and rotate it")
		return
	}
	if mode == modeCredentials && isCredentialKey(keyName) && !isPlaceholder(v) && !namesASecret(keyName, v) && !namesACredential(keyName, v) {
		d.emit(report.RuleSecretCredentialValue, line, p, []byte(v),
			fmt.Sprintf("%q holds a literal credential: reference a Secret (existingSecret, secretKeyRef) or encrypt it with sops", keyName))
	}
}

// inlineValues scans a Helm values string embedded in an Application.
func (d *docScan) inlineValues(n *yaml.Node, p []pathElem) {
	if d.skip[n] {
		return
	}
	docs, err, _ := parseDocs([]byte(n.Value))
	if err != nil {
		d.value(n, p, modeTokens, "values", n.Line)
		return
	}
	offset := n.Line
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		offset-- // a flow scalar starts on the key's line
	}
	for _, doc := range docs {
		sub := &docScan{s: d.s, file: d.file, doc: d.doc, awsPair: d.awsPair, budget: d.budget}
		root := docRoot(doc)
		sub.walk(root, p, modeCredentials, "", 0)
		for _, h := range sub.hits {
			h.line += offset
			d.hits = append(d.hits, h)
		}
	}
}

// secret checks a core/v1 Secret's data and stringData.
func (d *docScan) secret() {
	name, _ := scalarString(mapGet(mapGet(d.root, "metadata"), "name"))
	for _, field := range []string{"data", "stringData"} {
		m := mapGet(d.root, field)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			if d.skip[v] || v.Kind != yaml.ScalarNode || v.Value == "" || isEncrypted(v.Value) {
				continue
			}
			val := []byte(v.Value)
			if field == "data" {
				if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v.Value)); err == nil {
					val = b
				}
			}
			if len(val) == 0 || isPublicCertificate(val) || isDataPlaceholder(string(val)) || namesASetting(k.Value, string(val)) ||
				argoSecretURL(d.root, k.Value, string(val)) {
				continue // empty, public, a placeholder such as changeme or a file path, a port or flag
			}
			if field == "stringData" && d.configFile(v, []pathElem{{key: field}, {key: k.Value}}) {
				continue // a configuration file: judged by the credentials in it
			}
			d.emit(report.RuleSecretPlaintext, k.Line, []pathElem{{key: field}, {key: k.Value}}, val,
				fmt.Sprintf("Secret %q holds a plaintext value: encrypt the file with sops (or use a SealedSecret/ExternalSecret)", name))
		}
	}
}

// argoSecretURL reports whether the entry is the url of an Argo CD
// repository or cluster Secret (label argocd.argoproj.io/secret-type) with no
// password in it: where to connect, not a credential.
func argoSecretURL(root *yaml.Node, key, v string) bool {
	t, _ := scalarString(mapGet(mapGet(mapGet(root, "metadata"), "labels"), "argocd.argoproj.io/secret-type"))
	return t != "" && (key == "url" || key == "server") && !strings.ContainsAny(v, " \n") && knownToken(v, key, false) == ""
}

// configFile scans a Secret's stringData value that is a YAML or JSON
// configuration file (a mapping over several lines, such as a Thanos
// objstore.yml or a SeaweedFS s3 config) with the credential rules, so that
// a credential in it is reported at its own line and a file whose
// credentials are empty or placeholders is not reported. It returns false
// when the value is no such file.
func (d *docScan) configFile(n *yaml.Node, p []pathElem) bool {
	if !strings.Contains(strings.TrimSpace(n.Value), "\n") {
		return false
	}
	docs, err, _ := parseDocs([]byte(n.Value))
	if err != nil || len(docs) == 0 {
		return false
	}
	for _, doc := range docs {
		if r := docRoot(doc); r == nil || r.Kind != yaml.MappingNode {
			return false
		}
	}
	d.inlineValues(n, p)
	return true
}

// isPublicCertificate reports whether a value is only public PEM material.
func isPublicCertificate(b []byte) bool {
	s := string(b)
	return (strings.Contains(s, "-----BEGIN CERTIFICATE-----") || strings.Contains(s, "-----BEGIN PUBLIC KEY-----")) &&
		!strings.Contains(s, "PRIVATE KEY")
}

// kustomization checks secretGenerator and configMapGenerator entries.
func (d *docScan) kustomization() {
	dir := path.Dir(d.file)
	if gens := mapGet(d.root, "secretGenerator"); gens != nil && gens.Kind == yaml.SequenceNode {
		for gi, g := range gens.Content {
			name, _ := scalarString(mapGet(g, "name"))
			gp := []pathElem{{key: "secretGenerator"}, {index: gi, isIdx: true}}
			if lits := mapGet(g, "literals"); lits != nil && lits.Kind == yaml.SequenceNode {
				for li, l := range lits.Content {
					k, v, ok := strings.Cut(l.Value, "=")
					if !ok || v == "" || isEncrypted(v) {
						continue
					}
					d.emit(report.RuleSecretGeneratorLiteral, l.Line, withIdx(withKey(gp, "literals"), li), []byte(v),
						fmt.Sprintf("secretGenerator %q has a literal value for %q: put it in a SOPS-encrypted file (e.g. with KSOPS)", name, k))
				}
			}
			var refs []*yaml.Node
			var fields []string
			for _, f := range []string{"envs", "files"} {
				if l := mapGet(g, f); l != nil && l.Kind == yaml.SequenceNode {
					for _, r := range l.Content {
						refs = append(refs, r)
						fields = append(fields, f)
					}
				}
			}
			if e := mapGet(g, "env"); e != nil && e.Kind == yaml.ScalarNode {
				refs = append(refs, e)
				fields = append(fields, "env")
			}
			for i, r := range refs {
				ref := r.Value
				if fields[i] == "files" {
					if _, after, ok := strings.Cut(ref, "="); ok {
						ref = after
					}
				}
				if ref == "" || strings.Contains(ref, "://") || path.IsAbs(ref) {
					continue
				}
				rel := path.Clean(path.Join(dir, ref))
				if strings.HasPrefix(rel, "../") || rel == ".." {
					continue
				}
				f, err := d.s.load(rel)
				if err != nil {
					continue // missing: a render error, not a leak
				}
				if d.s.isSopsEncrypted(f) || len(strings.TrimSpace(string(f.data))) == 0 {
					continue
				}
				d.emit(report.RuleSecretGeneratorLiteral, r.Line, withKey(gp, fields[i]), nil,
					fmt.Sprintf("secretGenerator %q reads %s, which is not SOPS-encrypted", name, rel))
			}
		}
	}
	if gens := mapGet(d.root, "configMapGenerator"); gens != nil && gens.Kind == yaml.SequenceNode {
		for gi, g := range gens.Content {
			lits := mapGet(g, "literals")
			if lits == nil || lits.Kind != yaml.SequenceNode {
				continue
			}
			for li, l := range lits.Content {
				k, v, ok := strings.Cut(l.Value, "=")
				if !ok || !isCredentialKey(k) || isPlaceholder(v) || isEncrypted(v) {
					continue
				}
				d.emit(report.RuleSecretCredentialValue, l.Line,
					[]pathElem{{key: "configMapGenerator"}, {index: gi, isIdx: true}, {key: "literals"}, {index: li, isIdx: true}},
					[]byte(v), fmt.Sprintf("configMapGenerator literal %q holds a credential: use a SOPS-encrypted Secret", k))
			}
		}
	}
}
