package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCPUProfileEnv runs the shipped binary with RENDER_CHECK_CPUPROFILE and
// checks a pprof profile (gzip-compressed protobuf) is written, and that the
// run's result is unchanged.
func TestCPUProfileEnv(t *testing.T) {
	bin := buildShipBinary(t)
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	cmd := exec.Command(bin, "check", "--root", "../../testdata/clusters", "--images", "off", "--no-cache")
	cmd.Env = append(os.Environ(), "RENDER_CHECK_CPUPROFILE="+prof)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("check with a profile: %v\n%s", err, out)
	}
	b, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile is not a gzip pprof file (%d bytes)", len(b))
	}
}
