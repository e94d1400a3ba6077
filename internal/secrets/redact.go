package secrets

import (
	"regexp"
	"strings"
)

// Redacted is what a credential found in a message or manifest becomes.
const Redacted = "<redacted>"

// reKeyValue finds "key: value" and "key=value" pairs in free text (error
// messages quoting YAML, env dumps); the value is redacted when the key
// names a credential.
var reKeyValue = regexp.MustCompile(`([A-Za-z0-9_.-]+)(["']?[ \t]*[:=][ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s"',}\]]+)`)

// RedactText replaces in s every value the detectors recognise: well-known
// token formats, PEM private keys, passwords in URLs, and the values of
// credential-named keys. For messages quoted from kustomize, kyaml and
// Helm, which may dump the object or value that failed.
func RedactText(s string) string {
	for _, p := range tokenPatterns {
		s = p.re.ReplaceAllString(s, Redacted)
	}
	s = reURLPassword.ReplaceAllStringFunc(s, func(m string) string {
		sub := reURLPassword.FindStringSubmatch(m)
		if sub == nil || isPlaceholder(sub[1]) {
			return m
		}
		return strings.Replace(m, ":"+sub[1]+"@", ":"+Redacted+"@", 1)
	})
	return reKeyValue.ReplaceAllStringFunc(s, func(m string) string {
		sub := reKeyValue.FindStringSubmatch(m)
		v := strings.Trim(sub[3], `"'`)
		if !isCredentialKey(sub[1]) || v == "" || v == Redacted || isPlaceholder(v) || isEncrypted(v) {
			return m
		}
		return sub[1] + sub[2] + Redacted
	})
}

// RedactValues returns obj with every credential value outside a Secret's
// data replaced by replace(value): known token formats anywhere, values of
// credential-named keys, and the value of an env-style {name, value} entry
// whose name is a credential (a container's DB_PASSWORD). obj itself is
// not modified; unchanged subtrees are shared.
func RedactValues(obj map[string]any, replace func(string) string) map[string]any {
	out, _ := redactNode(obj, "", replace)
	m, _ := out.(map[string]any)
	return m
}

// redactNode returns v redacted and whether anything changed.
func redactNode(v any, key string, replace func(string) string) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		var out map[string]any
		envName, _ := t["name"].(string)
		for k, child := range t {
			ck := k
			if k == "value" && envName != "" {
				ck = envName
			}
			nv, ch := redactNode(child, ck, replace)
			if !ch {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(t))
				for k2, v2 := range t {
					out[k2] = v2
				}
			}
			out[k] = nv
		}
		if out == nil {
			return t, false
		}
		return out, true
	case []any:
		var out []any
		for i, child := range t {
			nv, ch := redactNode(child, key, replace)
			if !ch {
				continue
			}
			if out == nil {
				out = append([]any(nil), t...)
			}
			out[i] = nv
		}
		if out == nil {
			return t, false
		}
		return out, true
	case string:
		if t == "" || strings.HasPrefix(t, "<redacted") || isEncrypted(t) {
			return t, false
		}
		if knownToken(t, key, false) != "" || (isCredentialKey(key) && !isPlaceholder(t)) {
			return replace(t), true
		}
	}
	return v, false
}
