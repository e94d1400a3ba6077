package repo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// GitOrigin returns the URL of the "origin" remote of the checkout at root,
// read from .git/config (a .git file pointing at a worktree's git dir is
// followed). It returns "" with no error when root is not a git checkout or
// has no origin.
func GitOrigin(root string) (string, error) {
	gitDir, err := gitDir(root)
	if err != nil || gitDir == "" {
		return "", err
	}
	cfgPath := filepath.Join(gitDir, "config")
	if common, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		cfgPath = filepath.Join(gitDir, strings.TrimSpace(string(common)), "config")
	}
	data, err := os.ReadFile(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading git config: %w", err)
	}
	return originFromConfig(data), nil
}

// GitHead returns the commit the checkout at root has checked out, or "" when
// it cannot be resolved from the .git directory.
func GitHead(root string) string {
	gitDir, err := gitDir(root)
	if err != nil || gitDir == "" {
		return ""
	}
	head, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	h := strings.TrimSpace(string(head))
	ref, ok := strings.CutPrefix(h, "ref: ")
	if !ok {
		return h
	}
	common := gitDir
	if c, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		common = filepath.Join(gitDir, strings.TrimSpace(string(c)))
	}
	for _, d := range []string{gitDir, common} {
		if b, err := os.ReadFile(filepath.Join(d, filepath.FromSlash(ref))); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	packed, err := os.ReadFile(filepath.Join(common, "packed-refs"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(packed), "\n") {
		if sha, name, ok := strings.Cut(strings.TrimSpace(line), " "); ok && name == ref {
			return sha
		}
	}
	return ""
}

func gitDir(root string) (string, error) {
	p := filepath.Join(root, ".git")
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading git dir: %w", err)
	}
	if st.IsDir() {
		return p, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("reading .git file: %w", err)
	}
	d, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
	if !ok {
		return "", nil
	}
	if !filepath.IsAbs(d) {
		d = filepath.Join(root, d)
	}
	return d, nil
}

// originFromConfig finds url in the [remote "origin"] section of a git config.
func originFromConfig(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	in := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			sec := strings.Trim(line, "[]")
			name, sub, _ := strings.Cut(sec, " ")
			in = strings.EqualFold(name, "remote") && strings.Trim(strings.TrimSpace(sub), `"`) == "origin"
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "url") {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}
