package workspace

import (
	"strings"
)

// NormalizeURL returns a canonical form of a git repository URL so that the
// spellings of one repository compare equal: https and ssh
// (git@host:org/repo, ssh://git@host/org/repo), with or without ".git" and
// a trailing slash, in any case (as Argo CD compares repository URLs). The
// result is "host/path" in lower case.
func NormalizeURL(u string) string {
	s := strings.ToLower(strings.TrimSpace(u))
	if s == "" {
		return ""
	}
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	} else if at := strings.Index(s, "@"); at >= 0 && strings.Contains(s[at:], ":") {
		// scp-like: [user@]host:path
		s = s[at+1:]
		s = strings.Replace(s, ":", "/", 1)
	} else if c := strings.Index(s, ":"); c > 0 && !strings.Contains(s[:c], "/") {
		s = s[:c] + "/" + s[c+1:]
	}
	// drop userinfo
	if at := strings.LastIndex(strings.SplitN(s, "/", 2)[0], "@"); at >= 0 {
		s = s[at+1:]
	}
	host, path, _ := strings.Cut(s, "/")
	// drop a port only for ssh/https defaults; keep others
	host = strings.TrimSuffix(strings.TrimSuffix(host, ":22"), ":443")
	path = strings.TrimRight(path, "/")
	path = strings.TrimSuffix(path, ".git")
	path = strings.TrimRight(path, "/")
	if path == "" {
		return host
	}
	return host + "/" + path
}

// IsRemoteURL reports whether a git remote URL names a repository on a
// server (https://, ssh://, git://, or scp-like user@host:path), not a local
// path or file:// URL that no Application can name.
func IsRemoteURL(u string) bool {
	s := strings.TrimSpace(u)
	if i := strings.Index(s, "://"); i > 0 {
		return !strings.EqualFold(s[:i], "file")
	}
	at := strings.Index(s, "@")
	c := strings.Index(s, ":")
	return at > 0 && c > at && !strings.Contains(s[:at], "/")
}
