package router

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	renderScript     = "render.sh"
	entrypointScript = "entrypoint.sh"

	// Generous bounds for a loaded 2-core CI machine; a healthy run needs a small fraction of them.
	startTimeout = 20 * time.Second
	stopTimeout  = 15 * time.Second
)

// env is the container environment a test gives the router, as an ECS task definition would.
type env map[string]string

// with returns a copy of e with the given key/value pairs set.
func (e env) with(kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// canaryEnv has the router split /api/ between the stable and the canary backend at weight; kv sets more
// variables, as env.with does.
func canaryEnv(stable, canary *backend, weight string, kv ...string) env {
	return env{
		"STABLE_UPSTREAM": stable.addr(),
		"CANARY_UPSTREAM": canary.addr(),
		"CANARY_WEIGHT":   weight,
		"ROUTES":          "/api/=api",
	}.with(kv...)
}

// scriptDefaults returns the default render.sh gives each variable that has one (${NAME:=default} or
// ${NAME:-default}; the first where a variable has several).
func scriptDefaults(t *testing.T) map[string]string {
	t.Helper()
	script, err := os.ReadFile(renderScript)
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]string{}
	for _, m := range regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*):[-=]([^}]*)\}`).FindAllSubmatch(script, -1) {
		if _, ok := defaults[string(m[1])]; !ok {
			defaults[string(m[1])] = string(m[2])
		}
	}
	return defaults
}

// nginxPath returns the nginx binary, skipping the test when there is none.
func nginxPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("nginx is not installed (./test.sh installs Debian's nginx-light); the router tests need a real nginx")
	return ""
}

// shell is the POSIX shell that runs the script: dash when present, as in the Debian-based nginx image.
func shell() string {
	if p, err := exec.LookPath("dash"); err == nil {
		return p
	}
	return "/bin/sh"
}

// nobody is the user the scripts and nginx run as when the tests run as root (as in CI): the image runs them as
// the unprivileged nginx user, so the tests should not pass only thanks to root.
const nobody = 65534

// unprivileged returns the credential to run the image's scripts with: nobody when the tests run as root and the
// scripts are reachable for nobody, nil (the current user) otherwise.
func unprivileged(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Getuid() != 0 {
		return nil
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil || info.Mode().Perm()&0o001 == 0 {
			t.Logf("running the router as root: %s is not searchable by other users", d)
			return nil
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	return &syscall.Credential{Uid: nobody, Gid: nobody}
}

// outputPipe returns the write end of a pipe whose output is copied into buf. Like runc, which hands the
// container's stdout and stderr to the container user (fixStdioPermissions), it gives the pipe to cred's user:
// nginx opens /dev/stdout for the access log, and that open needs the permission.
func outputPipe(t *testing.T, buf *lockedBuffer, cred *syscall.Credential) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		if err := w.Chown(int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		_, _ = io.Copy(buf, r)
		_ = r.Close()
	}()
	return w
}

// workDir makes a directory the test owns. It is world-traversable because nginx, started as root in CI, runs its
// workers as nobody, and they must reach the temp directories inside it.
func workDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fastscaler-router-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// run/ is ROUTER_RUNTIME_DIR: the scripts and nginx write there, possibly as nobody.
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if cred := unprivileged(t); cred != nil {
		if err := os.Chown(run, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rendered is the outcome of one run of render.sh.
type rendered struct {
	dir    string // the test's directory; ROUTER_RUNTIME_DIR is its run/
	conf   string // the nginx.conf written (only when err is nil)
	output string // what the script printed (stderr; stdout stays empty)
	err    error
}

// scriptEnv is the environment a script of the image runs with in the tests: e, plus PATH with nginx on it, plus
// ROUTER_RUNTIME_DIR in the test's directory instead of the image's /tmp/nginx.
func scriptEnv(t *testing.T, e env, dir string) []string {
	t.Helper()
	path := os.Getenv("PATH")
	if bin, err := exec.LookPath("nginx"); err != nil || bin == "" {
		// Debian installs nginx in /usr/sbin, which is not on every user's PATH.
		path += ":/usr/sbin:/usr/local/sbin"
	}
	out := []string{"PATH=" + path, "ROUTER_RUNTIME_DIR=" + filepath.Join(dir, "run")}
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

// scriptPath returns the absolute path of a script in this directory.
func scriptPath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// render runs render.sh, the first thing entrypoint.sh does at container start, with e as the environment.
func render(t *testing.T, e env) rendered {
	t.Helper()
	dir := workDir(t)
	cmd := exec.Command(shell(), scriptPath(t, renderScript))
	cmd.Dir = dir
	cmd.Env = scriptEnv(t, e, dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: unprivileged(t)}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if stdout.Len() > 0 {
		t.Errorf("the script wrote to stdout, which carries the JSON access log: %q", stdout.String())
	}
	return rendered{dir: dir, conf: filepath.Join(dir, "run", "nginx.conf"), output: stderr.String(), err: runErr}
}

// mustRender renders e and fails the test when the script refuses it.
func mustRender(t *testing.T, e env) rendered {
	t.Helper()
	r := render(t, e)
	if r.err != nil {
		t.Fatalf("rendering the router config failed: %v\n%s", r.err, r.output)
	}
	return r
}

// nginxTest runs `nginx -t` on a rendered config and returns its output and error.
func nginxTest(t *testing.T, r rendered) (string, error) {
	t.Helper()
	out, err := exec.Command(nginxPath(t), "-t", "-p", r.dir, "-c", r.conf, "-e", "stderr").CombinedOutput()
	return string(out), err
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// router is a running router: entrypoint.sh and the nginx it started.
type router struct {
	base       string // http://127.0.0.1:LISTEN_PORT (or LISTEN_ADDRESS when the test sets it)
	statusAddr string // 127.0.0.1:STATUS_PORT (idem)
	conf       string // the rendered nginx.conf
	cmd        *exec.Cmd
	stdout     *lockedBuffer // the access log
	stderr     *lockedBuffer // render.sh's messages and nginx's error log
	exited     chan struct{} // closed when the entrypoint exits
	waitErr    error         // valid once exited is closed
}

// startRouter runs entrypoint.sh, as the container does, with e plus loopback ports picked here, and waits until
// nginx answers. It listens on 127.0.0.1 unless e sets LISTEN_ADDRESS. The router is stopped like ECS stops it
// (SIGTERM) when the test ends.
func startRouter(t *testing.T, e env) *router {
	t.Helper()
	nginxPath(t)
	listen := e["LISTEN_ADDRESS"]
	if listen == "" {
		listen = "127.0.0.1"
	}
	host := strings.Trim(listen, "[]")
	// A port picked free can be taken by someone else before nginx binds it; try again with new ports then.
	for attempt := 1; ; attempt++ {
		ports := freePorts(t, 2)
		dir := workDir(t)
		rt := &router{
			base:       "http://" + net.JoinHostPort(host, fmt.Sprint(ports[0])),
			statusAddr: net.JoinHostPort(host, fmt.Sprint(ports[1])),
			conf:       filepath.Join(dir, "run", "nginx.conf"),
			stdout:     &lockedBuffer{},
			stderr:     &lockedBuffer{},
			exited:     make(chan struct{}),
		}
		rt.cmd = exec.Command(shell(), scriptPath(t, entrypointScript))
		rt.cmd.Dir = dir
		rt.cmd.Env = scriptEnv(t, e.with(
			"LISTEN_ADDRESS", listen,
			"LISTEN_PORT", fmt.Sprint(ports[0]),
			"STATUS_PORT", fmt.Sprint(ports[1]),
		), dir)
		cred := unprivileged(t)
		stdout, stderr := outputPipe(t, rt.stdout, cred), outputPipe(t, rt.stderr, cred)
		rt.cmd.Stdout, rt.cmd.Stderr = stdout, stderr
		// Own process group: if the router has to be killed, nginx and its workers go with it and free the ports.
		rt.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
		err := rt.cmd.Start()
		// The children hold their own copies of the write ends; the copiers see EOF once they have all exited.
		_ = stdout.Close()
		_ = stderr.Close()
		if err != nil {
			t.Fatalf("starting %s: %v", entrypointScript, err)
		}
		go func() {
			rt.waitErr = rt.cmd.Wait()
			close(rt.exited)
		}()
		err = rt.waitReady()
		if err == nil {
			t.Cleanup(func() { rt.stop(t, syscall.SIGTERM) })
			return rt
		}
		rt.kill()
		if attempt < 3 && strings.Contains(rt.stderr.String(), "Address already in use") {
			continue
		}
		t.Fatalf("the router did not become ready: %v\noutput:\n%s", err, rt.stderr.String())
	}
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var listeners []net.Listener
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range listeners {
		_ = l.Close()
	}
	return ports
}

// waitReady polls /healthz and the status port until both answer or nginx exits.
func (rt *router) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-rt.exited:
			return fmt.Errorf("the router exited: %v", rt.waitErr)
		default:
		}
		ok := false
		if resp, err := client.Get(rt.base + "/healthz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.DialTimeout("tcp", rt.statusAddr, time.Second); err == nil {
					_ = c.Close()
					ok = true
				}
			}
		}
		if ok {
			client.CloseIdleConnections()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from %s/healthz and %s within %v", rt.base, rt.statusAddr, startTimeout)
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not a wait for an event
	}
}

// stop sends sig to the entrypoint, as ECS or docker stop would, and fails the test unless the router then exits
// with status 0.
func (rt *router) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	select {
	case <-rt.exited:
		return
	default:
	}
	_ = rt.cmd.Process.Signal(sig)
	select {
	case <-rt.exited:
		if rt.waitErr != nil {
			t.Errorf("the router exited with %v after %v\noutput:\n%s", rt.waitErr, sig, rt.stderr.String())
		}
	case <-time.After(stopTimeout):
		rt.kill()
		t.Errorf("the router did not exit within %v of %v\noutput:\n%s", stopTimeout, sig, rt.stderr.String())
	}
}

// kill ends the entrypoint, nginx and its workers at once.
func (rt *router) kill() {
	_ = syscall.Kill(-rt.cmd.Process.Pid, syscall.SIGKILL)
	<-rt.exited
}

// logLines waits until the access log holds at least n lines and returns them all. nginx writes a line after the
// response has gone out, so a client can see the response before the line exists.
func (rt *router) logLines(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		text := strings.TrimRight(rt.stdout.String(), "\n")
		var lines []string
		if text != "" {
			lines = strings.Split(text, "\n")
		}
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("access log has %d lines, want at least %d:\n%s", len(lines), n, text)
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}

// backend is a small HTTP server standing in for one API service.
type backend struct {
	name  string
	srv   *httptest.Server
	hits  atomic.Int64
	conns atomic.Int64 // TCP connections accepted: shows whether nginx reuses upstream connections

	// hold, when set by holdSlow, makes /api/slow requests wait until release (for the graceful shutdown test).
	hold        chan struct{}
	arrived     chan struct{}
	releaseOnce sync.Once
}

// holdSlow makes the backend hold /api/slow requests until release is called, or the test ends: a held handler
// would otherwise keep the test server's Close, and so the test, waiting forever.
func (b *backend) holdSlow(t *testing.T) {
	b.hold = make(chan struct{})
	t.Cleanup(b.release)
}

// release lets held requests finish.
func (b *backend) release() { b.releaseOnce.Do(func() { close(b.hold) }) }

// seen is what a backend reports about a request it received.
type seen struct {
	Backend        string `json:"backend"`
	URI            string `json:"uri"`
	Host           string `json:"host"`
	XForwardedFor  string `json:"x_forwarded_for"`
	XForwardedProt string `json:"x_forwarded_proto"`
	XRequestID     string `json:"x_request_id"`
	Connection     string `json:"connection"`
	Proto          string `json:"proto"`
}

func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{name: name, arrived: make(chan struct{}, 16)}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		if r.URL.Path == "/api/slow" && b.hold != nil {
			b.arrived <- struct{}{}
			<-b.hold
		}
		w.Header().Set("X-Backend", b.name)
		// The API's own CORS header: the router must hide it and answer CORS itself.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("status") == "500" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		_ = json.NewEncoder(w).Encode(seen{
			Backend:        b.name,
			URI:            r.URL.RequestURI(),
			Host:           r.Host,
			XForwardedFor:  r.Header.Get("X-Forwarded-For"),
			XForwardedProt: r.Header.Get("X-Forwarded-Proto"),
			XRequestID:     r.Header.Get("X-Request-Id"),
			Connection:     r.Header.Get("Connection"),
			Proto:          r.Proto,
		})
	}))
	b.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			b.conns.Add(1)
		}
	}
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

// addr is the backend's host:port, as STABLE_UPSTREAM and friends take it.
func (b *backend) addr() string { return b.srv.Listener.Addr().String() }

// newClient returns an HTTP client for the router; from, when not empty, is the local address to dial from.
func newClient(from string) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 64,
			DisableCompression:  true,
		},
		// The tests look at redirects and cookies themselves.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// response is what the tests look at in an HTTP response.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends one request and reads the whole response.
func do(t *testing.T, c *http.Client, method, url string, header map[string]string) response {
	t.Helper()
	resp, err := send(c, method, url, header)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// send is do for goroutines other than the test's: it returns the error instead of failing.
func send(c *http.Client, method, url string, header map[string]string) (response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return response{}, err
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading body: %w", method, url, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}, nil
}

// seenBy decodes what the backend reported about the request.
func (r response) seenBy(t *testing.T) seen {
	t.Helper()
	var s seen
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		t.Fatalf("response is not from a test backend (status %d): %q", r.status, r.body)
	}
	return s
}

// corsHeaders picks the CORS-related headers out of a response, for comparison with cmp.Diff.
func corsHeaders(h http.Header) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") || k == "Vary" {
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

// isExitError reports whether err is a non-zero exit of a process (as opposed to failing to start it).
func isExitError(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}
