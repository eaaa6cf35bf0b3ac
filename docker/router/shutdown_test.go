package router

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGracefulShutdown stops the router while a request is in flight, with the signal ECS sends (SIGTERM) and the
// one the image declares (SIGQUIT): either way nginx stops accepting connections, the in-flight request still
// completes with 200, and the router exits with status 0.
func TestGracefulShutdown(t *testing.T) {
	nginxPath(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			stable := newBackend(t, "stable")
			stable.holdSlow(t)
			rt := startRouter(t, env{"STABLE_UPSTREAM": stable.addr()})

			type result struct {
				resp response
				err  error
			}
			done := make(chan result, 1)
			go func() {
				r, err := send(newClient(""), http.MethodGet, rt.base+"/api/slow", nil)
				done <- result{r, err}
			}()
			select {
			case <-stable.arrived:
			case <-time.After(10 * time.Second):
				t.Fatal("the slow request never reached the backend")
			}

			if err := rt.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			// nginx closes its listeners at once on a graceful stop: wait until new connections are refused.
			addr := strings.TrimPrefix(rt.base, "http://")
			deadline := time.Now().Add(10 * time.Second)
			for {
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err != nil {
					break
				}
				_ = c.Close()
				if time.Now().After(deadline) {
					t.Fatalf("still accepting connections 10 s after %v\noutput:\n%s", sig, rt.stderr.String())
				}
				time.Sleep(10 * time.Millisecond) // poll interval
			}
			select {
			case <-rt.exited:
				t.Fatalf("the router exited with a request in flight: %v\noutput:\n%s", rt.waitErr, rt.stderr.String())
			default:
			}

			stable.release()
			res := <-done
			if res.err != nil || res.resp.status != http.StatusOK || res.resp.header.Get("X-Backend") != "stable" {
				t.Errorf("in-flight request: status %d from %q, error %v; want 200 from stable",
					res.resp.status, res.resp.header.Get("X-Backend"), res.err)
			}
			select {
			case <-rt.exited:
				if rt.waitErr != nil {
					t.Errorf("the router exited with %v, want status 0\noutput:\n%s", rt.waitErr, rt.stderr.String())
				}
			case <-time.After(stopTimeout):
				t.Fatalf("the router did not exit within %v of finishing the last request\noutput:\n%s",
					stopTimeout, rt.stderr.String())
			}
		})
	}
}

// TestUnprivileged checks, when the tests run as root, that the router really ran as the unprivileged user: nginx's
// master process and everything it wrote belong to nobody, as they belong to the nginx user in the image.
func TestUnprivileged(t *testing.T) {
	nginxPath(t)
	cred := unprivileged(t)
	if cred == nil {
		t.Skip("the tests run as a non-root user already, or nobody cannot reach this checkout")
	}
	rt := startRouter(t, env{"STABLE_UPSTREAM": newBackend(t, "stable").addr()})
	run := filepath.Dir(rt.conf)
	pid, err := os.ReadFile(filepath.Join(run, "nginx.pid"))
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(pid)), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "Uid:") {
			if want := fmt.Sprintf("Uid:\t%d\t%d\t%d\t%d", nobody, nobody, nobody, nobody); line != want {
				t.Errorf("nginx master: %q, want %q", line, want)
			}
		}
	}
	entries, err := os.ReadDir(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := info.Sys().(*syscall.Stat_t); !ok || st.Uid != nobody {
			t.Errorf("%s is not owned by nobody", e.Name())
		}
	}
}
