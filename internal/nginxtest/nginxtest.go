// Package nginxtest runs real nginx processes (Debian's package) on loopback addresses for tests.
//
// Each Server is its own nginx master process, because stub_status counters are per process: one process per
// simulated router task is what makes the counters independent, as they are on ECS.
package nginxtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Binary returns the path of the nginx binary, or an error saying how to install it.
func Binary() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("nginx not found: install it (./test.sh installs Debian's nginx-light)")
}

// TB is the part of testing.TB these helpers use, so that benchmark programs can use them too.
type TB interface {
	Helper()
	Fatal(args ...any)
	Skip(args ...any)
	Cleanup(func())
	TempDir() string
}

// Require returns the nginx binary or skips the test when nginx is missing and FASTSCALER_REQUIRE_NGINX is unset;
// with FASTSCALER_REQUIRE_NGINX=1 (set by ./test.sh) a missing nginx fails the test instead.
func Require(tb TB) string {
	tb.Helper()
	p, err := Binary()
	if err != nil {
		if os.Getenv("FASTSCALER_REQUIRE_NGINX") != "" {
			tb.Fatal(err)
		}
		tb.Skip(err)
	}
	return p
}

// Options configures one nginx.
type Options struct {
	Addrs      []string // host:port pairs to listen on; each serves traffic at / and stub_status at StatusPath
	StatusPath string   // default /nginx_status
	Garbage    bool     // serve a body that is not stub_status at StatusPath, like a misconfigured router
	Workers    int      // worker processes, default 1
}

// Server is one running nginx master process.
type Server struct {
	Addrs []string
	bin   string
	dir   string
	cmd   *exec.Cmd
	done  chan error
}

// Start starts nginx and waits until every address accepts connections. The test's cleanup stops it.
func Start(tb TB, opts Options) *Server {
	tb.Helper()
	bin := Require(tb)
	s, err := start(bin, tb.TempDir(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

func start(bin, dir string, opts Options) (*Server, error) {
	if opts.StatusPath == "" {
		opts.StatusPath = "/nginx_status"
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	status := "stub_status;"
	if opts.Garbage {
		status = `default_type text/plain; return 200 "this is not stub_status\n";`
	}
	listens := ""
	for _, a := range opts.Addrs {
		listens += fmt.Sprintf("    listen %s reuseport;\n", a)
	}
	conf := fmt.Sprintf(`worker_processes %d;
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[2]s/body;
  proxy_temp_path %[2]s/proxy;
  fastcgi_temp_path %[2]s/fastcgi;
  uwsgi_temp_path %[2]s/uwsgi;
  scgi_temp_path %[2]s/scgi;
  keepalive_requests 100000;
  server {
%[3]s
    location = %[4]s { %[5]s }
    location / { default_type text/plain; return 200 "ok\n"; }
  }
}
`, opts.Workers, dir, listens, opts.StatusPath, status)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so Stop reaches the workers too
	out, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting nginx: %w", err)
	}
	s := &Server{Addrs: opts.Addrs, bin: bin, dir: dir, cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); _ = out.Close() }()
	if err := s.waitReady(10 * time.Second); err != nil {
		s.Stop()
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return nil, fmt.Errorf("nginx on %v did not start: %w\n%s", opts.Addrs, err, log)
	}
	return s, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, a := range s.Addrs {
		for {
			select {
			case err := <-s.done:
				s.done <- err
				return fmt.Errorf("nginx exited: %v", err)
			default:
			}
			c, err := net.DialTimeout("tcp", a, 200*time.Millisecond)
			if err == nil {
				_ = c.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: %w", a, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// Stop kills nginx and its workers at once (like a task that dies) and waits for it to exit. It is idempotent.
func (s *Server) Stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(10 * time.Second):
	}
}

// Restart stops nginx and starts it again on the same addresses, which resets its counters.
func (s *Server) Restart(tb TB, opts Options) {
	tb.Helper()
	s.Stop()
	opts.Addrs = s.Addrs
	ns, err := start(s.bin, s.dir, opts)
	if err != nil {
		tb.Fatal(err)
	}
	*s = *ns
}

// FreePort returns a TCP port that is free on 127.0.0.1 at the time of the call.
func FreePort(tb TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr joins a loopback host and port.
func Addr(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// FreePortOn returns a TCP port free on every given host at the time of the call.
func FreePortOn(tb TB, hosts []string) int {
	tb.Helper()
	for range 50 {
		port := FreePort(tb)
		ok := true
		for _, h := range hosts {
			l, err := net.Listen("tcp", net.JoinHostPort(h, strconv.Itoa(port)))
			if err != nil {
				ok = false
				break
			}
			_ = l.Close()
		}
		if ok {
			return port
		}
	}
	tb.Fatal("no port free on every router address")
	return 0
}
