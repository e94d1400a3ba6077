package main

import (
	"os"
	"os/exec"
	"testing"
)

func TestZZProfileBump(t *testing.T) {
	src := os.Getenv("SCOPE_REPO")
	if src == "" {
		t.Skip()
	}
	dst := t.TempDir() + "/r"
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatal(string(out))
	}
	args := []string{"bump", "--root", dst, "--image", "ghcr.io/bench/svc-000", "--tag", "9.9.9", "--no-verify"}
	if c := os.Getenv("SCOPE_CLUSTER"); c != "" {
		args = append(args, "--cluster", c)
	}
	code, stdout, stderr := runCLI(t, args...)
	t.Logf("%d\n%s\n%s", code, stdout, stderr)
}
