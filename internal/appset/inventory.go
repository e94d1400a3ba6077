package appset

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// IsClusterSecret reports whether a decoded object is an Argo CD cluster
// Secret (label argocd.argoproj.io/secret-type: cluster).
func IsClusterSecret(obj map[string]any) bool {
	if k, _ := obj["kind"].(string); k != "Secret" {
		return false
	}
	if av, _ := obj["apiVersion"].(string); av != "v1" {
		return false
	}
	md, _ := obj["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	v, _ := l[SecretTypeLabel].(string)
	return v == "cluster"
}

// ClusterFromSecret reads a cluster Secret's name, server, project, labels
// and annotations, from stringData or base64 data. Metadata stays readable
// in a SOPS-encrypted file; an encrypted name or server cannot be read, and
// problem says so (the cluster is then left out of the inventory).
func ClusterFromSecret(obj map[string]any, file string, line int) (c Cluster, problem string) {
	md, _ := obj["metadata"].(map[string]any)
	secretName, _ := md["name"].(string)
	c = Cluster{File: file, Line: line, Labels: stringsOf(md["labels"]), Annotations: stringsOf(md["annotations"])}
	field := func(k string) (string, bool) {
		if sd, ok := obj["stringData"].(map[string]any); ok {
			if v, ok := sd[k]; ok {
				s := fmt.Sprint(v)
				return s, !isEncrypted(s)
			}
		}
		if d, ok := obj["data"].(map[string]any); ok {
			if v, ok := d[k].(string); ok {
				if isEncrypted(v) {
					return "", false
				}
				b, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					return "", false
				}
				return string(b), true
			}
		}
		return "", true
	}
	var unreadable []string
	var ok bool
	if c.Name, ok = field("name"); !ok {
		unreadable = append(unreadable, "name")
	}
	if c.Server, ok = field("server"); !ok {
		unreadable = append(unreadable, "server")
	}
	if c.Project, ok = field("project"); !ok {
		c.Project = ""
	}
	if len(unreadable) > 0 {
		return c, fmt.Sprintf("cluster Secret %s: %s cannot be read (SOPS-encrypted or not base64): the cluster is not in the inventory of the clusters generator; leave name and server unencrypted (e.g. encrypted_regex: ^(config)$) or declare the cluster under appSetClusters in .render-check.yaml", secretName, strings.Join(unreadable, " and "))
	}
	return c, ""
}

func isEncrypted(s string) bool { return strings.HasPrefix(s, "ENC[") }

func stringsOf(v any) map[string]string {
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[k] = s
		} else {
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

// Inventory merges cluster Secrets and declared clusters into one entry per
// name, sorted by name: Secrets with the same name collapse into the last
// one, as in the controller; a declared cluster replaces a Secret of its
// name.
func Inventory(secrets, declared []Cluster) []Cluster {
	byName := map[string]Cluster{}
	for _, c := range secrets {
		byName[c.Name] = c
	}
	for _, c := range declared {
		byName[c.Name] = c
	}
	out := make([]Cluster, 0, len(byName))
	for _, c := range byName {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Cluster) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// FSCheckout is a Checkout over a file system holding the repository.
type FSCheckout struct {
	// FS is rooted at the repository.
	FS fs.FS
	// List is the repository's files (only these are ever read).
	List []string
	// URLs reports whether a repoURL names this repository.
	URLs func(url string) bool
	// MaxFileSize bounds a file read by a git files generator (default 4 MiB).
	MaxFileSize int64
}

// IsThisRepo implements Checkout.
func (c *FSCheckout) IsThisRepo(url string) bool { return c.URLs != nil && c.URLs(url) }

// Files implements Checkout.
func (c *FSCheckout) Files() ([]string, error) { return c.List, nil }

// ReadFile implements Checkout: only listed files, within the size bound.
func (c *FSCheckout) ReadFile(rel string) ([]byte, error) {
	if _, found := slices.BinarySearch(c.List, rel); !found {
		return nil, fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
	}
	limit := c.MaxFileSize
	if limit <= 0 {
		limit = 4 << 20
	}
	st, err := fs.Stat(c.FS, rel)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", rel, limit)
	}
	b, err := fs.ReadFile(c.FS, rel)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	return b, nil
}
