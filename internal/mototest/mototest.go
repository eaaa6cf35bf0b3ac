// Package mototest starts moto_server (moto 5, an AWS API emulator for python3) on loopback for tests that check
// fastscaler's AWS calls against a second, independent implementation of the wire protocol.
package mototest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Start runs moto_server on a free port of 127.0.0.1 until the test ends and returns its URL. Without moto_server
// the test is skipped, unless FASTSCALER_REQUIRE_MOTO=1, which fails it instead.
func Start(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("FASTSCALER_REQUIRE_MOTO") == "1" {
			tb.Fatalf("moto_server not found and FASTSCALER_REQUIRE_MOTO=1: %v", err)
		}
		tb.Skip("moto_server not installed (pip install 'moto[server]'); set FASTSCALER_REQUIRE_MOTO=1 to fail instead")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	logPath := filepath.Join(tb.TempDir(), "moto_server.log") // like nginxtest's: read only when it fails
	out, err := os.Create(logPath)
	if err != nil {
		tb.Fatalf("creating moto_server's log: %v", err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		tb.Fatalf("starting moto_server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = out.Close(); close(exited) }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	hc := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := hc.Get(url + "/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			tb.Fatalf("moto_server exited: %s", log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("moto_server did not answer on %s within 20 s", url)
		}
	}
}
