package registry

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Ref is an image reference parsed with go-containerregistry's name package,
// keeping what the person wrote: whether a tag was given and which digest
// was pinned.
type Ref struct {
	// Original is the reference as written.
	Original string
	// Repository is the canonical repository (docker.io/library defaults applied).
	Repository name.Repository
	// Tag is the explicit tag, "" when none was written.
	Tag string
	// Digest is the pinned digest ("sha256:..."), "" when none.
	Digest string
}

// Parse parses an image reference ("nginx", "localhost:5000/app:1.2",
// "repo:tag@sha256:...").
func Parse(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	parsed, err := name.ParseReference(s)
	if err != nil {
		return Ref{}, fmt.Errorf("parsing image reference %q: %w", s, err)
	}
	r := Ref{Original: s, Repository: parsed.Context()}
	base := s
	if d, ok := parsed.(name.Digest); ok {
		r.Digest = d.DigestStr()
		base, _, _ = strings.Cut(s, "@")
	}
	t, err := name.NewTag(base, name.WithDefaultTag(""))
	if err != nil {
		return Ref{}, fmt.Errorf("parsing image reference %q: %w", s, err)
	}
	r.Tag = t.TagStr()
	return r, nil
}

// Registry returns the registry host ("index.docker.io" for Docker Hub).
func (r Ref) Registry() string { return r.Repository.RegistryStr() }

// String returns the canonical form: registry/repository[:tag][@digest], with
// ":latest" when neither a tag nor a digest was written.
func (r Ref) String() string {
	s := r.Repository.Name()
	switch {
	case r.Tag != "":
		s += ":" + r.Tag
	case r.Digest == "":
		s += ":" + name.DefaultTag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// EffectiveTag is the tag a runtime pulls: the written tag, else "latest"
// unless a digest is pinned.
func (r Ref) EffectiveTag() string {
	if r.Tag == "" && r.Digest == "" {
		return name.DefaultTag
	}
	return r.Tag
}

// Mutable reports whether the reference floats: no digest and no tag or "latest".
func (r Ref) Mutable() bool {
	return r.Digest == "" && (r.Tag == "" || r.Tag == name.DefaultTag)
}

// at returns the tag and digest references of r inside target
// ("host[:port][/prefix]", "" for r's own registry); insecure hosts are
// reached over plain HTTP as well.
func (r Ref) at(target string, insecure map[string]bool) (tag *name.Tag, dig *name.Digest, err error) {
	repo := r.Repository.Name()
	if target != "" {
		repo = strings.TrimSuffix(target, "/") + "/" + r.Repository.RepositoryStr()
	}
	host, _, _ := strings.Cut(repo, "/")
	var opts []name.Option
	if insecure[normalizeHost(host)] {
		opts = append(opts, name.Insecure)
	}
	if t := r.EffectiveTag(); t != "" {
		nt, err := name.NewTag(repo+":"+t, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("mirror reference for %s: %w", r.Original, err)
		}
		tag = &nt
	}
	if r.Digest != "" {
		nd, err := name.NewDigest(repo+"@"+r.Digest, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("mirror reference for %s: %w", r.Original, err)
		}
		dig = &nd
	}
	return tag, dig, nil
}
