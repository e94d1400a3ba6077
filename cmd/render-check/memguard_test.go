package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// TestMemoryGuard runs the shipped binary on a chart whose template writes
// a bounded value in a loop (1 GB of output, no function call for the
// template bounds to catch): under RENDER_CHECK_MAX_MEMORY the run stops
// with exit 2 and one line naming the app, instead of growing until the
// runner is out of memory; the bundled example passes under the same limit.
func TestMemoryGuard(t *testing.T) {
	clearCIEnv(t)
	bin := buildShipBinary(t)
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS":           checkOwners,
		".render-check.yaml":           checkConfig + "render:\n  limits: {timeout: 120s}\n",
		"clusters/lab/apps/loop.yaml":  checkApp("loop", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    targetRevision: main\n    path: charts/loop\n"),
		"charts/loop/Chart.yaml":       "apiVersion: v2\nname: loop\nversion: 1.0.0\n",
		"charts/loop/templates/x.yaml": `{{ $s := repeat 1000000 "x" }}{{ range until 1000 }}{{ $s }}{{ end }}`,
	})
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "RENDER_CHECK_MAX_MEMORY=300MiB")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stderr.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, stderr.String()
	}
	code, stderr := run("check", "--root", root, "--images", "off", "--no-cache")
	if code != exitError || !strings.Contains(stderr, "memory limit exceeded") || !strings.Contains(stderr, "lab/loop") {
		t.Fatalf("want exit 2 naming lab/loop, got exit %d:\n%s", code, stderr)
	}
	if code, stderr := run("check", "--root", "../../testdata/clusters", "--images", "off", "--no-cache"); code != exitOK {
		t.Fatalf("the example under the same limit: exit %d:\n%s", code, stderr)
	}
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "RENDER_CHECK_MAX_MEMORY=lots")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "RENDER_CHECK_MAX_MEMORY") {
		t.Fatalf("a bad limit must exit 2 naming the variable: %v\n%s", err, out)
	}
}

func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{"512MiB": 512 << 20, "8G": 8 << 30, "1048576": 1 << 20, "2Gi": 2 << 30, "0": 0} {
		if got, err := parseMemory(in); err != nil || got != want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "lots", "1.5G", "99999999999G"} {
		if _, err := parseMemory(in); err == nil {
			t.Errorf("parseMemory(%q) accepted", in)
		}
	}
}

// TestTuneGC: the collector's relaxed target, set unless GOGC is; it
// falls back towards Go's default as the live heap nears the budget.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if old, ok := os.LookupEnv("GOGC"); ok {
		os.Unsetenv("GOGC")
		t.Cleanup(func() { os.Setenv("GOGC", old) })
	}
	stop := tuneGC()
	got := debug.SetGCPercent(100)
	stop()
	if got != gcPercent {
		t.Errorf("GC percent %d, want %d", got, gcPercent)
	}
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	tuneGC()()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("with GOGC=50 the GC percent became %d", got)
	}
	const mib = 1 << 20
	for _, tc := range []struct {
		live, budget int64
		want         int
	}{
		{0, 1024 * mib, gcPercent},
		{100 * mib, 1024 * mib, gcPercent}, // room for 5x
		{300 * mib, 1024 * mib, 225},       // 1024/300 = 3.4x: 241 -> 225
		{512 * mib, 1024 * mib, 100},       // no room: Go's default
		{2048 * mib, 1024 * mib, 100},      // never below the default
		{100 * mib, 150 * mib, 100},        // a small guard
	} {
		if got := gcPercentFor(tc.live, tc.budget); got != tc.want {
			t.Errorf("gcPercentFor(%d MiB, %d MiB) = %d, want %d", tc.live/mib, tc.budget/mib, got, tc.want)
		}
	}
}
