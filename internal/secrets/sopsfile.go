package secrets

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/render-check/render-check/internal/report"
)

// sopsMeta is the parsed "sops" metadata of a file.
type sopsMeta struct {
	line         int
	macLine      int
	mac          string
	lastModified string
	rules        sopsRules
	groups       []keyGroup
	threshold    int
	problems     []string
}

// keyTypes are the master key lists sops writes, top level or per group.
var keyTypes = []string{"age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"}

func parseGroup(n *yaml.Node) (keyGroup, int) {
	var g keyGroup
	count := 0
	for _, t := range keyTypes {
		l := mapGet(n, t)
		if l == nil || l.Kind != yaml.SequenceNode {
			continue
		}
		for _, k := range l.Content {
			count++
			if t == "age" {
				if enc, ok := scalarString(mapGet(k, "enc")); ok && enc != "" {
					g.ageEnc = append(g.ageEnc, enc)
					continue
				}
			}
			g.other++
		}
	}
	return g, count
}

func parseSopsMeta(n *yaml.Node) *sopsMeta {
	m := &sopsMeta{line: n.Line}
	str := func(k string) string {
		v := mapGet(n, k)
		if v == nil || v.Kind != yaml.ScalarNode {
			return ""
		}
		return v.Value
	}
	m.mac = str("mac")
	if v := mapGet(n, "mac"); v != nil {
		m.macLine = v.Line
	}
	m.lastModified = str("lastmodified")
	switch {
	case m.mac == "":
		m.problems = append(m.problems, "mac is missing")
	case !isEncrypted(m.mac):
		m.problems = append(m.problems, "mac is not an encrypted MAC")
	}
	if m.lastModified == "" {
		m.problems = append(m.problems, "lastmodified is missing")
	} else if _, err := time.Parse(time.RFC3339, m.lastModified); err != nil {
		m.problems = append(m.problems, "lastmodified is not an RFC 3339 time")
	}
	var ok bool
	r := &m.rules
	r.unencryptedSuffix = str("unencrypted_suffix")
	r.encryptedSuffix = str("encrypted_suffix")
	for _, re := range []struct {
		key string
		dst **regexpT
	}{
		{"unencrypted_regex", &r.unencryptedRegex}, {"encrypted_regex", &r.encryptedRegex},
		{"unencrypted_comment_regex", &r.unencryptedComment}, {"encrypted_comment_regex", &r.encryptedComm},
	} {
		if *re.dst, ok = compileRule(str(re.key)); !ok {
			m.problems = append(m.problems, re.key+" is not a valid regular expression")
		}
	}
	r.macOnlyEncrypted = str("mac_only_encrypted") == "true"
	if kg := mapGet(n, "key_groups"); kg != nil && kg.Kind == yaml.SequenceNode && len(kg.Content) > 0 {
		for _, gn := range kg.Content {
			g, c := parseGroup(gn)
			if c == 0 {
				m.problems = append(m.problems, "a key group has no keys")
			}
			m.groups = append(m.groups, g)
		}
		fmt.Sscan(str("shamir_threshold"), &m.threshold)
	} else if g, c := parseGroup(n); c > 0 {
		m.groups = []keyGroup{g}
	} else {
		m.problems = append(m.problems, "no key group (age, pgp, kms, gcp_kms, azure_kv, hc_vault) can decrypt the data key")
	}
	return m
}

// scanSopsFile checks a file with sops metadata: metadata complete, every
// value sops would encrypt is encrypted, MAC verified when a key is at hand;
// the values sops leaves in plaintext get the usual value rules.
func (s *scanner) scanSopsFile(f *srcFile) {
	s.sopsFiles++
	first := mapGet(docRoot(f.docs[0]), "sops")
	if first == nil || first.Kind != yaml.MappingNode {
		s.add(hit{rule: report.RuleSecretSopsMetadata, file: f.path, line: 1, fp: fingerprintOfPlace(report.RuleSecretSopsMetadata, f.path, "sops"),
			msg: "sops metadata is not in the first document, where sops reads it"})
		return
	}
	meta := parseSopsMeta(first)
	meta.line = keyLineOf(docRoot(f.docs[0]), "sops")
	if len(meta.problems) > 0 {
		s.add(hit{rule: report.RuleSecretSopsMetadata, file: f.path, line: meta.line, keyPath: "sops",
			fp:  fingerprintOfPlace(report.RuleSecretSopsMetadata, f.path, "sops"),
			msg: "incomplete sops metadata: " + strings.Join(meta.problems, "; ")})
	}
	w := &sopsWalker{rules: &meta.rules, budget: walkBudget}
	docOf := map[int]int{}
	for i, d := range f.docs {
		before := len(w.leaves)
		w.walkDoc(d)
		for j := before; j < len(w.leaves); j++ {
			docOf[j] = i + 1
		}
	}
	if w.err != nil {
		s.add(hit{rule: report.RuleSecretUnparsable, file: f.path, line: 1, fp: fingerprintOfPlace(report.RuleSecretUnparsable, f.path, ""),
			msg: "sops file too complex to check: " + w.err.Error()})
		return
	}
	skip := map[*yaml.Node]bool{}
	plaintext := 0
	for i, l := range w.leaves {
		if l.isComment || !l.encrypt {
			continue
		}
		skip[l.node] = true
		if v, ok := scalarString(l.node); ok && (v == "" || isEncrypted(v)) {
			continue
		}
		plaintext++
		s.add(hit{rule: report.RuleSecretSopsPlaintextValue, file: f.path, line: l.node.Line, doc: docOf[i],
			keyPath: strings.Join(l.path, "."), fp: fingerprintOf([]byte(l.node.Value)),
			msg: "value is not encrypted although this file's sops rules say it must be (added after encryption?): re-encrypt with sops"})
	}
	for i, d := range f.docs {
		dc := &docScan{s: s, file: f.path, doc: i + 1, root: docRoot(d), skip: skip}
		dc.sops = true
		dc.scan(false)
	}
	if plaintext > 0 || len(meta.problems) > 0 {
		return // sops itself would refuse this file; the MAC cannot be checked
	}
	if s.keys.Len() == 0 {
		s.macNoKey++
		return
	}
	key, err := dataKey(meta.groups, meta.threshold, s.keys.identities)
	if errors.Is(err, errNoKey) {
		s.macNoMatch++
		return
	}
	if err != nil {
		s.add(hit{rule: report.RuleSecretSopsMACMismatch, file: f.path, line: meta.line, keyPath: "sops",
			fp: fingerprintOfPlace(report.RuleSecretSopsMACMismatch, f.path, "sops"), msg: "data key cannot be recovered from the key groups"})
		return
	}
	res, err := verifyMAC(w.leaves, &meta.rules, key, meta.mac, meta.lastModified)
	clear(key)
	switch {
	case err != nil:
		s.add(hit{rule: report.RuleSecretUnparsable, file: f.path, line: meta.line, fp: fingerprintOfPlace(report.RuleSecretUnparsable, f.path, "sops"),
			msg: "MAC cannot be computed: " + err.Error()})
	case res.badLeaf >= 0:
		l := w.leaves[res.badLeaf]
		s.add(hit{rule: report.RuleSecretSopsMACMismatch, file: f.path, line: l.node.Line, doc: docOf[res.badLeaf],
			keyPath: strings.Join(l.path, "."), fp: fingerprintOfPlace(report.RuleSecretSopsMACMismatch, f.path, strings.Join(l.path, ".")),
			msg: "encrypted value does not decrypt under the file's data key (tampered, or copied from another key or file)"})
	case res.macUnreadable:
		s.add(hit{rule: report.RuleSecretSopsMACMismatch, file: f.path, line: max(meta.macLine, meta.line), keyPath: "sops.mac",
			fp:  fingerprintOfPlace(report.RuleSecretSopsMACMismatch, f.path, "sops.mac"),
			msg: "stored MAC does not decrypt (mac or lastmodified edited by hand)"})
	case res.mismatch:
		s.add(hit{rule: report.RuleSecretSopsMACMismatch, file: f.path, line: max(meta.macLine, meta.line), keyPath: "sops.mac",
			fp:  fingerprintOfPlace(report.RuleSecretSopsMACMismatch, f.path, "sops.mac"),
			msg: "MAC mismatch: values were added, removed, reordered or edited without sops"})
	}
}

// scanSopsDotenv checks a SOPS-encrypted dotenv file (flattened sops_*
// metadata lines): every value its rules encrypt must be ENC[...]. Its MAC
// is not verified (dotenv trees are not YAML documents).
func (s *scanner) scanSopsDotenv(f *srcFile) {
	meta := map[string]string{}
	for _, l := range f.lines {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && strings.HasPrefix(k, "sops_") {
			meta[strings.TrimPrefix(k, "sops_")] = v
		}
	}
	if meta["mac"] == "" {
		return // INI or another format: only its presence is checked
	}
	s.sopsFiles++
	var problems []string
	if meta["lastmodified"] == "" {
		problems = append(problems, "lastmodified is missing")
	}
	r := &sopsRules{unencryptedSuffix: meta["unencrypted_suffix"], encryptedSuffix: meta["encrypted_suffix"]}
	var ok bool
	for key, dst := range map[string]**regexpT{"unencrypted_regex": &r.unencryptedRegex, "encrypted_regex": &r.encryptedRegex} {
		if *dst, ok = compileRule(meta[key]); !ok {
			problems = append(problems, key+" is not a valid regular expression")
		}
	}
	if len(problems) > 0 {
		s.add(hit{rule: report.RuleSecretSopsMetadata, file: f.path, line: 1, keyPath: "sops",
			fp: fingerprintOfPlace(report.RuleSecretSopsMetadata, f.path, "sops"), msg: "incomplete sops metadata: " + strings.Join(problems, "; ")})
	}
	for i, l := range f.lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		k, v, found := strings.Cut(t, "=")
		if !found || strings.HasPrefix(k, "sops_") || v == "" || isEncrypted(v) || !r.shouldEncrypt([]string{k}, [][]string{{}}, false) {
			continue
		}
		s.add(hit{rule: report.RuleSecretSopsPlaintextValue, file: f.path, line: i + 1, keyPath: k, fp: fingerprintOf([]byte(v)),
			msg: "value is not encrypted although this file's sops rules say it must be (added after encryption?): re-encrypt with sops"})
	}
}
