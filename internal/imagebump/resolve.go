package imagebump

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
)

// ErrNotFound is wrapped by Registry.Exists when the registry answered that
// the tag or digest does not exist.
var ErrNotFound = errors.New("not found in the registry")

// Registry is what a bump needs from a container registry.
type Registry interface {
	// Exists returns nil when ref (repo:tag or repo@digest) exists, an
	// error wrapping ErrNotFound when the registry says it does not, and any
	// other error when it could not be checked (auth, network).
	Exists(ctx context.Context, ref string) error
	// Tags lists the repository's tags.
	Tags(ctx context.Context, repository string) ([]string, error)
}

// ParseRepository validates an image repository given on the command line
// and returns its normalised name ("nginx" -> "index.docker.io/library/nginx").
// A tag or digest is an error: the new one is given separately.
func ParseRepository(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty image repository")
	}
	sp, ok := parseImage(s)
	if !ok {
		if _, err := name.NewRepository(s); err != nil {
			return "", fmt.Errorf("image repository %q: %w", s, err)
		}
		return "", fmt.Errorf("image repository %q is not valid", s)
	}
	if sp.tagStart >= 0 || sp.digStart >= 0 {
		return "", fmt.Errorf("image %q: give the repository only (without :tag or @digest) and the new tag with --tag, --semver or --digest", s)
	}
	return sp.canonical, nil
}

// ValidateTag checks a --tag value.
func ValidateTag(tag string) error {
	if _, err := name.NewTag("example.invalid/x:" + tag); err != nil || strings.ContainsAny(tag, ":@/") {
		return fmt.Errorf("tag %q is not a valid image tag", tag)
	}
	return nil
}

// ValidateDigest checks a --digest value (algorithm:hex).
func ValidateDigest(d string) error {
	if _, err := name.NewDigest("example.invalid/x@" + d); err != nil {
		return fmt.Errorf("digest %q is not valid (want sha256:<64 hex digits>): %w", d, err)
	}
	return nil
}

// ParseRange validates a --semver range.
func ParseRange(r string) (*semver.Constraints, error) {
	c, err := semver.NewConstraint(r)
	if err != nil {
		return nil, fmt.Errorf("semver range %q: %w", r, err)
	}
	return c, nil
}

// pickSemver returns the highest tag matching the range. Tags that are not
// semantic versions are ignored; pre-releases match only when the range
// itself names one (Masterminds/semver rules). Between equal versions
// written differently (v1.2.3 and 1.2.3), the one without "v" wins.
func pickSemver(tags []string, rng string) (string, error) {
	c, err := ParseRange(rng)
	if err != nil {
		return "", err
	}
	type tv struct {
		tag string
		v   *semver.Version
	}
	var ok []tv
	for _, t := range tags {
		v, err := semver.NewVersion(t)
		if err != nil || !c.Check(v) {
			continue
		}
		ok = append(ok, tv{t, v})
	}
	if len(ok) == 0 {
		return "", fmt.Errorf("no tag matches %q among %d tags", rng, len(tags))
	}
	sort.Slice(ok, func(i, j int) bool {
		if cmp := ok[i].v.Compare(ok[j].v); cmp != 0 {
			return cmp > 0
		}
		if ok[i].v.Original() != ok[j].v.Original() {
			return !strings.HasPrefix(ok[i].tag, "v") && strings.HasPrefix(ok[j].tag, "v") || ok[i].tag < ok[j].tag && strings.HasPrefix(ok[i].tag, "v") == strings.HasPrefix(ok[j].tag, "v")
		}
		return ok[i].tag < ok[j].tag
	})
	return ok[0].tag, nil
}
