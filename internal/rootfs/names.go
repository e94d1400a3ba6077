package rootfs

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ValidAppName checks an Argo CD Application name before it becomes a path
// part: a DNS-1123 subdomain, as the API server requires (an app outside
// the control-plane namespace is NS_NAME, so '_' joining two is allowed).
func ValidAppName(name string) error {
	for _, part := range strings.SplitN(name, "_", 2) {
		if errs := validation.IsDNS1123Subdomain(part); len(errs) > 0 {
			return fmt.Errorf("application name %q: %s", name, strings.Join(errs, "; "))
		}
	}
	return nil
}

// chartName is what Helm accepts as a chart name in a path part.
var chartName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidChartName checks a chart name (from an Application, a Chart.yaml
// dependency or a repository index) before it becomes a cache path part.
// An OCI chart may carry a repository path ("org/chart"); every segment
// must be a valid name, never "." or "..".
func ValidChartName(name string) error {
	if name == "" || len(name) > 250 {
		return fmt.Errorf("chart name %q: empty or too long", name)
	}
	for _, seg := range strings.Split(name, "/") {
		if !chartName.MatchString(seg) || seg == "." || seg == ".." || strings.Contains(seg, "..") {
			return fmt.Errorf("chart name %q is not a valid chart name", name)
		}
	}
	return nil
}

// ValidPathElement checks a name from content that becomes one path
// element (a cluster directory name, a file name): no separator, not "."
// or "..", no control characters.
func ValidPathElement(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%q is not a valid file name", name)
	}
	return nil
}
