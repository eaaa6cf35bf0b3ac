package scripts_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// platform is one target of the release.
type platform struct{ goos, goarch string }

var platforms = []platform{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// TestReleaseDryRun runs scripts/release.sh into a temporary directory, as CI's dry run of a release, and checks what
// it wrote: one archive per platform holding one `fastscaler` binary built for that OS and CPU with -trimpath and the
// version stamped, and a SHA256SUMS file that verifies every archive and names nothing else. It builds the CLI four
// times: about a minute with a warm build cache on 2 cores, several the first time; -short skips it.
func TestReleaseDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the release dry run cross-compiles the CLI for four platforms")
	}
	const version = "v0.0.0-dryrun"
	out := t.TempDir()
	cmd := exec.Command("./release.sh", version, out)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("release.sh %s %s: %v\n%s", version, out, err, stderr.String())
	}
	t.Logf("release.sh: %v", time.Since(start).Round(time.Second))

	sums := readSums(t, filepath.Join(out, "SHA256SUMS"))
	var names []string
	for _, p := range platforms {
		name := fmt.Sprintf("fastscaler_%s_%s_%s.tar.gz", version, p.goos, p.goarch)
		names = append(names, name)
		t.Run(p.goos+"/"+p.goarch, func(t *testing.T) {
			archive, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatalf("the archive is missing: %v", err)
			}
			sum := sha256.Sum256(archive)
			if want, ok := sums[name]; !ok {
				t.Errorf("SHA256SUMS does not list %s", name)
			} else if got := hex.EncodeToString(sum[:]); got != want {
				t.Errorf("%s: sha256 %s, SHA256SUMS says %s", name, got, want)
			}
			bin := onlyBinary(t, archive)
			if err := checkHeader(bin, p); err != nil {
				t.Errorf("%s: the binary is not for %s/%s: %v", name, p.goos, p.goarch, err)
			}
			checkBuildInfo(t, bin, p, version)
			if p.goos == runtime.GOOS && p.goarch == runtime.GOARCH {
				checkVersion(t, bin, version)
			}
		})
	}
	for name := range sums {
		if !slices.Contains(names, name) {
			t.Errorf("SHA256SUMS lists %s, which is not an archive of the release", name)
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(platforms)+1 {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Errorf("release.sh wrote %v; want the %d archives and SHA256SUMS only", got, len(platforms))
	}
}

// TestReleaseRefusesABadVersion checks that the script refuses, with its usage and exit status 2, a version that
// could not name a file or be stamped safely, before it builds anything.
func TestReleaseRefusesABadVersion(t *testing.T) {
	for _, args := range [][]string{{}, {""}, {"../v1"}, {"v1 2"}, {"-v1"}, {"v1", t.TempDir(), "extra"}} {
		out := t.TempDir()
		cmd := exec.Command("./release.sh", args...)
		cmd.Env = append(os.Environ(), "GOFLAGS=-n") // should a build start after all, print it instead of running it
		output, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("release.sh %q: %v, want exit status 2\n%s", args, err, output)
		}
		if !strings.Contains(string(output), "usage: scripts/release.sh VERSION") {
			t.Errorf("release.sh %q does not print its usage:\n%s", args, output)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("release.sh %q wrote files", args)
		}
	}
}

// readSums reads a sha256sum file: "HEX  NAME" lines.
func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("SHA256SUMS is missing: %v", err)
	}
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("SHA256SUMS: %q is not a sha256sum line", sc.Text())
		}
		sums[strings.TrimPrefix(name, "*")] = sum
	}
	if len(sums) == 0 {
		t.Fatal("SHA256SUMS is empty")
	}
	return sums
}

// onlyBinary returns the content of the archive's one entry, an executable regular file called fastscaler.
func onlyBinary(t *testing.T, archive []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("not a gzip file: %v", err)
	}
	tr := tar.NewReader(zr)
	var bin []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the tar: %v", err)
		}
		if h.Name != "fastscaler" || h.Typeflag != tar.TypeReg || h.Mode&0o111 == 0 {
			t.Fatalf("the archive holds %s (type %c, mode %o); want one executable file called fastscaler", h.Name, h.Typeflag, h.Mode)
		}
		if bin, err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	if bin == nil {
		t.Fatal("the archive holds no fastscaler binary")
	}
	return bin
}

// executables are the executable formats of the release, by GOOS: how to read a binary's header, and what it says
// of an executable for each GOARCH.
var executables = map[string]struct {
	format string
	read   func(io.ReaderAt) (cpu, typ fmt.Stringer, err error)
	typ    fmt.Stringer            // an executable's file type
	cpus   map[string]fmt.Stringer // the header's CPU, by GOARCH
}{
	"linux":  {"ELF", readELF, elf.ET_EXEC, map[string]fmt.Stringer{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}},
	"darwin": {"Mach-O", readMachO, macho.TypeExec, map[string]fmt.Stringer{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}},
}

func readELF(r io.ReaderAt) (cpu, typ fmt.Stringer, err error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, nil, err
	}
	return f.Machine, f.Type, nil
}

func readMachO(r io.ReaderAt) (cpu, typ fmt.Stringer, err error) {
	f, err := macho.NewFile(r)
	if err != nil {
		return nil, nil, err
	}
	return f.Cpu, f.Type, nil
}

// checkHeader reads the binary's executable header: an ELF executable on linux, a Mach-O one on darwin, for the
// platform's CPU.
func checkHeader(bin []byte, p platform) error {
	x, ok := executables[p.goos]
	if !ok {
		return fmt.Errorf("no header check for %s", p.goos)
	}
	cpu, typ, err := x.read(bytes.NewReader(bin))
	if err != nil {
		return fmt.Errorf("reading the %s header: %w", x.format, err)
	}
	if want := x.cpus[p.goarch]; cpu != want || typ != x.typ {
		return fmt.Errorf("%s %v %v, want a %v executable", x.format, cpu, typ, want)
	}
	return nil
}

// TestCheckHeader: checkHeader passes this test's own binary for this platform, and fails it for another CPU,
// another OS, and what is not an executable.
func TestCheckHeader(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	here := platform{runtime.GOOS, runtime.GOARCH}
	if _, ok := executables[here.goos]; !ok {
		t.Skipf("the release has no %s binaries", here.goos)
	}
	if err := checkHeader(bin, here); err != nil {
		t.Errorf("this test's binary, for %v: %v", here, err)
	}
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[here.goarch]
	otherOS := map[string]string{"linux": "darwin", "darwin": "linux"}[here.goos]
	for _, p := range []platform{{here.goos, other}, {otherOS, here.goarch}, {"windows", here.goarch}} {
		if err := checkHeader(bin, p); err == nil {
			t.Errorf("this test's binary passes as one for %v", p)
		}
	}
	if err := checkHeader([]byte("#!/bin/sh\n"), here); err == nil || !strings.HasPrefix(err.Error(), "reading the ") {
		t.Errorf("a shell script: %v, want an unreadable header", err)
	}
}

// checkBuildInfo reads the build settings Go stamps into every binary (the package, the platform, -trimpath, no cgo)
// and looks for the stamped version.
func checkBuildInfo(t *testing.T, bin []byte, p platform, version string) {
	t.Helper()
	info, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("reading the build info: %v", err)
	}
	if info.Path != "github.com/fastscaler/fastscaler/cmd/fastscaler" {
		t.Errorf("built from %s, want cmd/fastscaler", info.Path)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"GOOS": p.goos, "GOARCH": p.goarch, "-trimpath": "true", "CGO_ENABLED": "0"} {
		if settings[key] != want {
			t.Errorf("build setting %s = %q, want %q", key, settings[key], want)
		}
	}
	// Go leaves -ldflags out of the build info of a -trimpath build: look for the stamped version itself.
	if !bytes.Contains(bin, []byte(version)) {
		t.Errorf("the binary does not hold the version %s (-X main.version)", version)
	}
	if wd, err := os.Getwd(); err == nil && bytes.Contains(bin, []byte(filepath.Dir(wd))) {
		t.Errorf("the binary holds the checkout's path %s: -trimpath did not apply", filepath.Dir(wd))
	}
}

// checkVersion runs the binary of this machine's platform: `fastscaler version` prints the stamped version.
func checkVersion(t *testing.T, bin []byte, version string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fastscaler")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("fastscaler version: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "fastscaler "+version; got != want {
		t.Errorf("fastscaler version printed %q, want %q", got, want)
	}
}
