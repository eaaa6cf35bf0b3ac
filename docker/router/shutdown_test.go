package router

import (
	"net"
	"net/http"
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
