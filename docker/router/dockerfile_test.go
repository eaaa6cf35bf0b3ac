package router

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A cheap static guard for what the issue requires of the two Dockerfiles. No Docker engine runs in CI, so these
// tests read the files; the behaviour of the router image is proven by the other tests, with real nginx.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd   string // upper case: FROM, RUN, ...
	args  string
	stage int // index of the build stage it belongs to; -1 before the first FROM
}

// parseDockerfile reads the instructions of a Dockerfile, substituting the defaults of the ARGs declared before the
// first FROM into FROM lines, as the builder does.
func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out     []instruction
		pending string
		stage   = -1
		args    = map[string]string{}
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && pending == "") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line = strings.TrimSpace(pending + line)
		pending = ""
		if line == "" {
			continue
		}
		cmd, rest, _ := strings.Cut(line, " ")
		ins := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(rest)}
		switch ins.cmd {
		case "FROM":
			stage++
			for k, v := range args {
				ins.args = strings.ReplaceAll(ins.args, "${"+k+"}", v)
			}
		case "ARG":
			if stage < 0 {
				k, v, _ := strings.Cut(ins.args, "=")
				args[k] = v
			}
		}
		ins.stage = stage
		out = append(out, ins)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// find returns the instructions named cmd, in stage (-2 for any stage).
func find(ins []instruction, cmd string, stage int) []instruction {
	var out []instruction
	for _, i := range ins {
		if i.cmd == cmd && (stage == -2 || i.stage == stage) {
			out = append(out, i)
		}
	}
	return out
}

var pinnedImage = regexp.MustCompile(`^[a-z0-9.-]+(/[a-z0-9._-]+)*(:[A-Za-z0-9._-]*[0-9][A-Za-z0-9._-]*|:nonroot)?(@sha256:[0-9a-f]{64})?$`)

// checkPinned checks that every base image names a version (or digest), never an implicit or explicit latest.
func checkPinned(t *testing.T, ins []instruction) {
	t.Helper()
	for _, from := range find(ins, "FROM", -2) {
		fields := strings.Fields(from.args)
		fields = slices.DeleteFunc(fields, func(f string) bool { return strings.HasPrefix(f, "--platform=") })
		image := fields[0]
		if !strings.Contains(image, ":") && !strings.Contains(image, "@") || strings.Contains(image, ":latest") ||
			!pinnedImage.MatchString(image) {
			t.Errorf("base image %q is not pinned to a version", image)
		}
	}
}

// checkNonRoot checks that the final stage sets a USER that is not root.
func checkNonRoot(t *testing.T, ins []instruction, want string) {
	t.Helper()
	last := ins[len(ins)-1].stage
	users := find(ins, "USER", last)
	if len(users) == 0 {
		t.Fatalf("the final stage sets no USER")
	}
	got := users[len(users)-1].args
	if got != want {
		t.Errorf("final USER %q, want %q", got, want)
	}
	if u, _, _ := strings.Cut(got, ":"); u == "root" || u == "0" {
		t.Errorf("final USER %q is root", got)
	}
}

// single returns the one instruction named cmd in stage, failing the test unless there is exactly one.
func single(t *testing.T, ins []instruction, cmd string, stage int) string {
	t.Helper()
	found := find(ins, cmd, stage)
	if len(found) != 1 {
		t.Fatalf("want exactly one %s in stage %d, found %d", cmd, stage, len(found))
	}
	return found[0].args
}

func TestAutoscalerDockerfile(t *testing.T) {
	ins := parseDockerfile(t, filepath.Join("..", "autoscaler", "Dockerfile"))
	checkPinned(t, ins)
	final := ins[len(ins)-1].stage
	if final < 1 {
		t.Fatalf("want a multi-stage build (builder + runtime), found %d stage(s)", final+1)
	}
	if got := single(t, ins, "FROM", final); got != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("runtime image %q, want gcr.io/distroless/static-debian12:nonroot", got)
	}
	checkNonRoot(t, ins, "65532:65532")
	if hc := find(ins, "HEALTHCHECK", -2); len(hc) > 0 {
		t.Errorf("HEALTHCHECK %q: the image must have none (ECS runs `/fastscaler healthcheck`)", hc[0].args)
	}
	if diff := cmp.Diff(`["/fastscaler"]`, single(t, ins, "ENTRYPOINT", final)); diff != "" {
		t.Errorf("ENTRYPOINT (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(`["run"]`, single(t, ins, "CMD", final)); diff != "" {
		t.Errorf("CMD (-want +got):\n%s", diff)
	}
	if got := single(t, ins, "EXPOSE", final); got != "9090" {
		t.Errorf("EXPOSE %q, want 9090 (FASTSCALER_LISTEN's default port)", got)
	}

	// The build: static (CGO off), trimmed paths, stripped, version stamped into main.version, the fastscaler command.
	var build string
	for _, run := range find(ins, "RUN", -2) {
		if strings.Contains(run.args, "go build") {
			build = run.args
		}
	}
	env := ""
	for _, e := range find(ins, "ENV", -2) {
		env += " " + e.args
	}
	if !strings.Contains(env+" "+build, "CGO_ENABLED=0") {
		t.Errorf("the build does not set CGO_ENABLED=0")
	}
	for _, want := range []string{"-trimpath", `-ldflags "-s -w -X main.version=${VERSION}"`, "./cmd/fastscaler"} {
		if !strings.Contains(build, want) {
			t.Errorf("the go build command lacks %s: %s", want, build)
		}
	}
	if got := single(t, ins, "COPY", final); !strings.HasPrefix(got, "--from=") || !strings.HasSuffix(got, " /fastscaler") {
		t.Errorf("the runtime stage copies %q, want the built binary to /fastscaler", got)
	}

	// The builder's Go matches go.mod, and the variable the version is stamped into exists: -X on a missing
	// variable is silently ignored, and `fastscaler version` would say "dev" forever.
	goMod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(goMod)
	if goVersion == nil || !strings.Contains(single(t, ins, "ARG", -1), "GO_VERSION="+string(goVersion[1])) {
		t.Errorf("ARG GO_VERSION does not match the go directive of go.mod (%s)", goVersion)
	}
	if !hasStringVar(t, filepath.Join("..", "..", "cmd", "fastscaler"), "version") {
		t.Errorf("package main in cmd/fastscaler has no package-level string variable version for -X main.version")
	}
}

// hasStringVar reports whether the Go package in dir declares a package-level variable name of type string
// (explicitly, or by a string literal).
func hasStringVar(t *testing.T, dir, name string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name != name {
						continue
					}
					if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "string" {
						return true
					}
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

func TestRouterDockerfile(t *testing.T) {
	ins := parseDockerfile(t, "Dockerfile")
	checkPinned(t, ins)
	from := single(t, ins, "FROM", 0)
	if !regexp.MustCompile(`^nginx:1\.\d+\.\d+-(bookworm|trixie)$`).MatchString(from) {
		t.Errorf("base image %q, want the official Debian-based nginx image pinned to a release (its /bin/sh is dash, "+
			"which the tests run the scripts with)", from)
	}
	checkNonRoot(t, ins, "101:101")
	if got := single(t, ins, "STOPSIGNAL", 0); got != "SIGQUIT" {
		t.Errorf("STOPSIGNAL %q, want SIGQUIT (nginx's graceful stop)", got)
	}
	if got := single(t, ins, "ENTRYPOINT", 0); got != `["/opt/fastscaler-router/entrypoint.sh"]` {
		t.Errorf("ENTRYPOINT %q, want the exec form of /opt/fastscaler-router/entrypoint.sh", got)
	}
	if got := single(t, ins, "CMD", 0); got != "[]" {
		t.Errorf("CMD %q, want [] (no arguments: serve)", got)
	}

	// The ports exposed are render.sh's defaults.
	defaults := scriptDefaults(t)
	def := func(name string) string {
		v, ok := defaults[name]
		if !ok {
			t.Fatalf("%s sets no default for %s", renderScript, name)
		}
		return v
	}
	if got, want := single(t, ins, "EXPOSE", 0), def("LISTEN_PORT")+" "+def("STATUS_PORT"); got != want {
		t.Errorf("EXPOSE %q, want %q (LISTEN_PORT and STATUS_PORT defaults)", got, want)
	}

	// entrypoint.sh finds render.sh and the template beside itself, so all three go to one directory, and the
	// ignore file must let all three into the build context.
	copied := map[string]bool{}
	for _, c := range find(ins, "COPY", 0) {
		f := strings.Fields(c.args)
		if f[len(f)-1] != "/opt/fastscaler-router/" {
			t.Errorf("COPY %s: want every file in /opt/fastscaler-router/", c.args)
		}
		for _, src := range f[:len(f)-1] {
			if !strings.HasPrefix(src, "--") {
				copied[src] = true
			}
		}
	}
	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{entrypointScript, renderScript, "nginx.conf.template"} {
		if !copied[name] {
			t.Errorf("the Dockerfile does not COPY %s", name)
		}
		if !strings.Contains(string(ignore), "\n!"+name+"\n") {
			t.Errorf("Dockerfile.dockerignore keeps %s out of the build context", name)
		}
	}
	// /etc/nginx/nginx.conf points at the file render.sh writes.
	if rd := def("ROUTER_RUNTIME_DIR"); !strings.Contains(single(t, ins, "RUN", 0), "ln -sf "+rd+"/nginx.conf /etc/nginx/nginx.conf") {
		t.Errorf("the image does not link /etc/nginx/nginx.conf to %s/nginx.conf", rd)
	}
}
