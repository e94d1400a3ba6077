// Command gen generates the embedded CRD catalog of package validate,
// catalog/index.json and catalog/crds.gz: the CustomResourceDefinitions of
// the upstream Go modules pinned in catalogSources (catalog.go), then of the
// files vendored
// byte-exact from GitHub repositories at pinned commits in vendoredSources
// (upstream/, see upstream/PROVENANCE; each checked against its git blob
// hash), trimmed to what validation reads, each with its provenance (module
// or github.com/owner/repo, version or commit, file). It fetches each module
// with `go mod download`, which does not touch go.mod, and writes
// deterministic files (sorted entries, no gzip name or time).
//
// Run it with `go generate ./internal/validate` (network: Go module proxy only).
// Usage: gen [-catalog DIR] [-upstream DIR]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
)

func main() {
	out := flag.String("catalog", "catalog", "output directory of index.json and crds.gz")
	upstream := flag.String("upstream", "gen/upstream", "directory of the vendored upstream CRD files (vendoredSources)")
	flag.Parse()
	if err := generateCatalog(*out, *upstream); err != nil {
		fmt.Fprintln(os.Stderr, "gen: catalog:", err)
		os.Exit(1)
	}
}

// download puts mod ("path@version") into the module cache and returns its
// directory.
func download(mod string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(outb, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no directory", mod)
	}
	return info.Dir, nil
}
