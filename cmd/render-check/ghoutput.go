package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/render-check/render-check/internal/rootfs"
)

var outputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// setStepOutput appends one step output to $GITHUB_OUTPUT. Every value
// gets its own random heredoc delimiter: go-githubactions uses a fixed one,
// so a value carrying it (a file name from the repo) could end the value
// early and forge another output.
func setStepOutput(name, value string) error {
	path := os.Getenv("GITHUB_OUTPUT")
	if path == "" {
		return nil
	}
	if !outputName.MatchString(name) {
		return fmt.Errorf("step output name %q is not valid", name)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	delim := "ghadelimiter_" + hex.EncodeToString(b[:])
	if strings.Contains(value, delim) {
		return fmt.Errorf("step output %s: value contains its delimiter", name)
	}
	f, err := rootfs.Append(path, "")
	if err != nil {
		return fmt.Errorf("step output %s: %w", name, err)
	}
	if _, err := fmt.Fprintf(f, "%s<<%s\n%s\n%s\n", name, delim, value, delim); err != nil {
		f.Close()
		return fmt.Errorf("step output %s: %w", name, err)
	}
	return f.Close()
}
