package secrets

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// credentialWords are last words of a key name that denote a credential.
var credentialWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "pass": true, "passphrase": true,
	"secret": true, "token": true, "apikey": true, "privatekey": true, "accesskey": true,
	"secretkey": true, "clientsecret": true, "credential": true, "credentials": true,
	"authkey": true, "masterkey": true, "signingkey": true, "encryptionkey": true,
}

// keyQualifiers make a trailing "key" a credential: api key, private key...
var keyQualifiers = map[string]bool{
	"api": true, "private": true, "access": true, "secret": true, "auth": true,
	"master": true, "signing": true, "encryption": true, "license": true, "account": true,
}

// keyWords splits a key name into lower-case words at separators and
// camelCase boundaries: "clientSecret" -> [client secret], "DB_PASSWORD" ->
// [db password], "APIKey" -> [api key].
func keyWords(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// isCredentialKey reports whether a key name denotes a credential by its
// last word(s). References (existingSecret, *Ref, secretName) are not.
func isCredentialKey(name string) bool {
	w := keyWords(name)
	if len(w) == 0 {
		return false
	}
	for _, x := range w {
		if x == "existing" || x == "ref" || x == "from" {
			return false
		}
	}
	last := w[len(w)-1]
	if last == "secret" && len(w) >= 2 && (w[len(w)-2] == "external" || w[len(w)-2] == "sealed") {
		return false // a kind (ExternalSecret, SealedSecret), as in argocd-cm resource.customizations keys
	}
	if credentialWords[last] {
		return true
	}
	if last == "key" && len(w) >= 2 && keyQualifiers[w[len(w)-2]] {
		return true
	}
	return false
}

var (
	reEnvRef = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z0-9_]*$`)
	// reArgoSecretRef is Argo CD's reference to a key of a Secret in its
	// namespace ($argo-webhook-secret:secret, $dex.github.clientSecret).
	reArgoSecretRef = regexp.MustCompile(`^\$[A-Za-z0-9][-A-Za-z0-9_.]*(:[-A-Za-z0-9_.]+)?$`)
	// reGrafanaRef is Grafana's $__env{VAR}, $__file{path}, $__vault{...}.
	reGrafanaRef = regexp.MustCompile(`^\$__(env|file|vault)\{[^}]*\}$`)
	// reFillInName is an upper-case instruction naming what goes there:
	// UPDATE_AWS_ACCESS_KEY_ID, REPLACE_DB_PASSWORD (catalog templates).
	reFillInName = regexp.MustCompile(`^(UPDATE|REPLACE|CHANGE|SET|FILL|INSERT|ENTER|PUT|ADD)_[A-Z0-9_]+$`)
	// reFillIn is an instruction to fill the value in: UPDATE_ME,
	// REPLACE_WITH_TOKEN, set-me, CHANGE_ME_PLEASE.
	reFillIn = regexp.MustCompile(`(?i)(^|[^a-z])(change|update|replace|set|fill|insert|enter|put|add)[-_ .]?(me|it|this|here|with|your|in)([^a-z]|$)`)
	// reResourceName is a Kubernetes object name (DNS-1123 subdomain).
	reResourceName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	reNumber       = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)
	reDuration     = regexp.MustCompile(`^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w|y))+$`)
	reFiller       = regexp.MustCompile(`^(x+|X+|\*+|\.+|-+|_+|#+|0+)$`)
	reMarker       = regexp.MustCompile(`(?i)change[-_ .]?(me|it)|goes[-_ .]?here|replace[-_ .]?(me|this)|^your[-_ ].*|redacted|placeholder|^(todo|tbd|fixme|none|null|nil|undefined|empty|secret|password|token|example|dummy|test|unset|n/?a)$|<[^>]*>|\{\{|\$\{|\$\(|%\{|%\(`)
	reBool         = regexp.MustCompile(`(?i)^(true|false|yes|no|on|off|enabled|disabled)$`)
	reReference    = regexp.MustCompile(`^(ref\+|vault:|arn:|secretsmanager:|sm://|akv://|gcpsm://|op://|awssm:|projects/[^/]+/secrets/)`)
	reURLScheme    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)
	reWindowsPath  = regexp.MustCompile(`^[A-Za-z]:[\\/]`)
	// reIdentifier is a name made of words: jwtSecret, S3_ACCESS_KEY,
	// private.key, mysql-root-password.
	reIdentifier = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*([-_.][A-Za-z0-9]+)*$`)
	// rePascalCase is a capitalised word run (WorkshopPassword): typed as a
	// value by a person, unlike a key name.
	rePascalCase = regexp.MustCompile(`^[A-Z][a-z]+[A-Z]`)
	// reNoCredential says no credential is used: sk-no-key-required,
	// not-needed, noauth.
	reNoCredential = regexp.MustCompile(`(?i)^(sk-)?((no|not)[-_]?(auth|key|needed|required|used)|unused|required)([-_][a-z]+)*$`)
	// reTitleLabel is a display label of capitalised words (a dashboard
	// column renamed "Downloaded Share Token").
	reTitleLabel = regexp.MustCompile(`^[A-Z][a-z]+( [A-Z][a-z]+)+$`)
	// reSSHPublicKey is one OpenSSH public key line (authorized_keys).
	reSSHPublicKey = regexp.MustCompile(`^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( [^\n]*)?$`)
	// reUpperSnake is an environment variable name: S3_ACCESS_KEY.
	reUpperSnake = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	// reLowerCamel is a key name: jwtSecret, postgresPassword.
	reLowerCamel = regexp.MustCompile(`^[a-z][a-z0-9]*([A-Z][a-z0-9]*)+$`)
	// reKeyFileName is the name of a key or certificate file: private.key.
	reKeyFileName = regexp.MustCompile(`^[A-Za-z0-9_-]+\.(key|pem|crt|cert|p12|pfx|jks|keystore|json)$`)
	// reGrant is a permission level (GitHub workflow permissions: id-token: write).
	reGrant = regexp.MustCompile(`^(read|write|read-all|write-all)$`)
)

// isPlaceholder reports whether a credential-named key's literal is not a
// secret: empty, a reference, a template or placeholder, a number,
// duration, boolean word, path or URL without userinfo.
func isPlaceholder(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" {
		return true
	}
	switch {
	case reEnvRef.MatchString(t), reArgoSecretRef.MatchString(t), reGrafanaRef.MatchString(t), reFillIn.MatchString(t),
		reNumber.MatchString(t), reDuration.MatchString(t),
		reFiller.MatchString(t), reMarker.MatchString(t), reBool.MatchString(t), reReference.MatchString(t),
		reNoCredential.MatchString(t), reGrant.MatchString(t), reKeyFileName.MatchString(t), reTitleLabel.MatchString(t):
		return true
	case strings.HasPrefix(t, "/"), strings.HasPrefix(t, "./"), strings.HasPrefix(t, "../"),
		strings.HasPrefix(t, "~/"), strings.HasPrefix(t, "file:"), reWindowsPath.MatchString(t):
		return true
	case reURLScheme.MatchString(t):
		u, err := url.Parse(t)
		if err != nil {
			return false
		}
		_, hasPw := u.User.Password()
		return !hasPw
	}
	return false
}

// isDataPlaceholder reports whether a Secret's data value is a stand-in,
// not a secret: a filler (xxx), a marker (changeme, <password>, UPDATE_ME) or
// a file path. Unlike isPlaceholder, numbers and words stay secrets (a PIN).
func isDataPlaceholder(v string) bool {
	t := strings.TrimSpace(v)
	switch {
	case t == "", reFiller.MatchString(t), reMarker.MatchString(t), reFillIn.MatchString(t), reFillInName.MatchString(t),
		t == "{}", t == "[]", reSSHPublicKey.MatchString(t):
		return true
	case strings.HasPrefix(t, "/") && !strings.ContainsAny(t, " \n"), strings.HasPrefix(t, "./"):
		return true
	}
	return false
}

// settingWords are last words of a Secret data key that name a connection
// setting rather than a secret.
var settingWords = map[string]bool{
	"port": true, "host": true, "hostname": true, "secure": true, "region": true, "bucket": true,
	"enabled": true, "database": true, "user": true, "username": true, "endpoint": true,
	"name": true, "project": true, "type": true, "remote": true, "uri": true,
}

// namesASetting reports whether a Secret data entry is a connection setting
// kept beside the credentials (SMTP_PORT: 587, SMTP_SECURE: true,
// username: workflows): the key's last word names the setting and the value
// is one line with no known credential format in it.
func namesASetting(key, v string) bool {
	w := keyWords(key)
	return len(w) > 0 && settingWords[w[len(w)-1]] && !strings.ContainsAny(v, "\n") && knownToken(v, key, false) == ""
}

// namesACredential reports whether a credential-named key's value is a
// name rather than a value: the key's own name or its tail
// (mas_storage_accesskey: "storage_accesskey", BASIC_AUTH_PASS:
// BASIC_AUTH_PASS), or the name of a credential spelled as an environment
// variable or a key is (S3_PASSWORD, jwtSecret). A capitalised word run
// (WorkshopPassword) or a lower-case phrase (prod_password) reads as a
// typed value and stays a credential.
func namesACredential(keyName, v string) bool {
	if len(v) > 100 || !reIdentifier.MatchString(v) || rePascalCase.MatchString(v) {
		return false
	}
	wv, wk := keyWords(v), keyWords(keyName)
	if len(wv) == 0 || len(wk) == 0 {
		return false
	}
	if hasWordSuffix(wk, wv) {
		return true
	}
	if n := len(wk); n >= 3 && wk[n-2] == "secret" && wk[n-1] == "key" && !strings.ContainsAny(v, "0123456789") &&
		(reUpperSnake.MatchString(v) || reLowerCamel.MatchString(v)) {
		// passwordSecretKey, trustedKeyServersSecretKey: the key within a
		// Secret that holds the value, named like one
		return true
	}
	// a lower-case phrase (prod_password, registry-password) may be the
	// password itself; an environment variable or key name is spelled as one
	return len(wv) >= 2 && (reUpperSnake.MatchString(v) || reLowerCamel.MatchString(v)) && isCredentialKey(v)
}

// hasWordSuffix reports whether the words s end with the words suffix.
func hasWordSuffix(s, suffix []string) bool {
	if len(suffix) > len(s) {
		return false
	}
	for i := range suffix {
		if s[len(s)-len(suffix)+i] != suffix[i] {
			return false
		}
	}
	return true
}

// namesASecret reports whether a credential-named key holds the name of a
// Secret rather than its value: the key's last word is "secret" (tlsSecret,
// backupTargetCredentialSecret, basicAuth.secret) and the value is a
// Kubernetes object name made of words, not a random-looking token (no
// part of 12 or more characters mixing letters and digits).
func namesASecret(keyName, v string) bool {
	w := keyWords(keyName)
	if len(w) == 0 || w[len(w)-1] != "secret" || len(v) > 253 || !reResourceName.MatchString(v) {
		return false
	}
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == '-' || r == '.' }) {
		letters, digits := false, false
		for _, r := range part {
			if r >= '0' && r <= '9' {
				digits = true
			} else {
				letters = true
			}
		}
		if len(part) >= 12 && letters && digits {
			return false
		}
	}
	return true
}

// tokenPattern is one well-known credential format.
type tokenPattern struct {
	name string
	re   *regexp.Regexp
}

var tokenPatterns = []tokenPattern{
	{"PEM private key", regexp.MustCompile(`-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----\s*[A-Za-z0-9+/=:\s,-]{40,}`)},
	{"age secret key", regexp.MustCompile(`\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b`)},
	{"GitHub token", regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,255}\b`)},
	{"GitHub fine-grained token", regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{22,255}\b`)},
	{"GitLab token", regexp.MustCompile(`\bgl(pat|ptt|dt|rt|cbt|oas|ft|imt|soat)-[A-Za-z0-9_-]{20,}`)},
	{"GitLab runner registration token", regexp.MustCompile(`\bGR1348941[A-Za-z0-9_-]{20,}`)},
	{"Slack token", regexp.MustCompile(`\bxox[abposre]-[A-Za-z0-9-]{10,}`)},
	{"Slack webhook URL", regexp.MustCompile(`https://hooks\.slack\.com/(services|workflows|triggers)/[A-Za-z0-9/_-]{20,}`)},
	{"Stripe secret key", regexp.MustCompile(`\b(sk|rk)_(live|test)_[A-Za-z0-9]{16,}`)},
	{"Stripe webhook secret", regexp.MustCompile(`\bwhsec_[A-Za-z0-9]{24,}`)},
	{"Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}`)},
	{"Google OAuth client secret", regexp.MustCompile(`\bGOCSPX-[A-Za-z0-9_-]{28}`)},
}

var (
	reAWSKeyID     = regexp.MustCompile(`(?:^|[^A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?:[^A-Za-z0-9]|$)`)
	reAWSSecret    = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
	reURLPassword  = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@[^\s]`)
	reAWSSecretKey = regexp.MustCompile(`(?i)(aws.?secret|secret.?access.?key)`)
)

// knownToken returns the name of the well-known credential format found in
// v, or "". keyName helps recognise AWS secret access keys; awsPair
// reports whether the same document holds both an AWS access key ID and a
// secret-key-shaped value (an ID alone is an identifier, not a credential).
func knownToken(v, keyName string, awsPair bool) string {
	for _, p := range tokenPatterns {
		if p.re.MatchString(v) {
			return p.name
		}
	}
	if m := reURLPassword.FindStringSubmatch(v); m != nil && !isPlaceholder(m[1]) {
		return "URL with a password"
	}
	if looksLikeAWSSecret(v) && (reAWSSecretKey.MatchString(keyName) || awsPair) {
		return "AWS secret access key"
	}
	if awsPair {
		if id := awsKeyID(v); id != "" {
			return "AWS access key ID (with a secret key in the same document)"
		}
	}
	return ""
}

// awsKeyID returns an AWS access key ID in v, ignoring AWS's documented
// example IDs.
func awsKeyID(v string) string {
	m := reAWSKeyID.FindStringSubmatch(v)
	if m == nil || strings.Contains(m[1], "EXAMPLE") {
		return ""
	}
	return m[1]
}

// looksLikeAWSSecret reports whether v could be an AWS secret access key.
func looksLikeAWSSecret(v string) bool {
	t := strings.TrimSpace(v)
	return reAWSSecret.MatchString(t) && hasMixedChars(t) && !strings.Contains(t, "EXAMPLEKEY")
}

// hasMixedChars rejects all-letter or all-digit strings (words, hashes).
func hasMixedChars(s string) bool {
	var lower, upper, digit bool
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return lower && upper && digit
}
